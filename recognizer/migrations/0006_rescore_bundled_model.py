"""The bundled model's MNIST scores are now taken as it serves: on upright inputs
(``ml.framing.deskew``) with the second look (``ml.second_look``), 99.54 % -> 99.60 %.
Its folder's metadata holds the new scores; copy them to its row on a database migrated
before, so that the Models page and the activation rule (a new version may not be worse
on MNIST than the active one) compare like with like. A fresh database read them in 0003.

The metadata is read as 0003 reads it, not through recognizer.lifecycle, for the reason
0003 gives.
"""

from importlib import import_module

from django.db import migrations


def rescore_bundled(apps, schema_editor):
    register_0003 = import_module("recognizer.migrations.0003_register_model_versions")
    ModelVersion = apps.get_model("recognizer", "ModelVersion")
    bundled = register_0003._bundled()
    if bundled["metrics"]:  # an unreadable folder keeps the scores it had
        ModelVersion.objects.filter(version=bundled["version"]).update(metrics=bundled["metrics"])


class Migration(migrations.Migration):

    dependencies = [("recognizer", "0005_numbers_and_api_tokens")]

    operations = [migrations.RunPython(rescore_bundled, migrations.RunPython.noop)]
