"""A new bundled model replaces 20261121-cnn-bundled (its folder is no longer shipped).

Register the bundled folder's version (read as 0003 reads it, for the reason 0003 gives)
and make it active where the old bundled model was the one served, or where none was:
a site whose admin activated a model of their own keeps serving it, and can activate the
new bundled one when they choose. The old bundled row stays, for the submissions it
answered, but without a folder: it can be listed, never served again.
"""

from importlib import import_module

from django.db import migrations

PREVIOUS_BUNDLED = "20261121-cnn-bundled"


def adopt(apps, schema_editor):
    register_0003 = import_module("recognizer.migrations.0003_register_model_versions")
    ModelVersion = apps.get_model("recognizer", "ModelVersion")
    bundled = register_0003._bundled()
    version = bundled.pop("version")
    if version == PREVIOUS_BUNDLED:
        return
    new, _ = ModelVersion.objects.get_or_create(version=version, defaults=bundled)
    previous = ModelVersion.objects.filter(version=PREVIOUS_BUNDLED).first()
    serving_previous = previous is not None and previous.is_active
    if previous is not None:
        previous.is_active = False  # off before on: one active row after every statement
        previous.artifact_path = ""
        previous.notes = f"The model bundled before {version}; its folder is no longer shipped."
        previous.save(update_fields=["is_active", "artifact_path", "notes"])
    if serving_previous or not ModelVersion.objects.filter(is_active=True).exists():
        ModelVersion.objects.filter(pk=new.pk).update(is_active=True)


class Migration(migrations.Migration):

    dependencies = [("recognizer", "0006_rescore_bundled_model")]

    operations = [migrations.RunPython(adopt, migrations.RunPython.noop)]
