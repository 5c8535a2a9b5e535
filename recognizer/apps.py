from django.apps import AppConfig


class RecognizerConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "recognizer"
    verbose_name = "Digit recognizer"

    def ready(self):
        from django.test.signals import setting_changed

        from recognizer import serving

        # A test that points DIGITS_MODEL_DIR elsewhere must not be served the predictor
        # loaded for the old setting.
        setting_changed.connect(serving.reset_on_setting_change, dispatch_uid="recognizer-serving-reset")
