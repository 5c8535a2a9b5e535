"""Register the bundled model as the first, active version, and give every stored
submission the ModelVersion row of the version string it recorded.

The metadata is read here rather than through recognizer.lifecycle on purpose: a
migration must keep doing what it did when it was written, whatever the app becomes.
"""

import json
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db import migrations
from django.utils import timezone

METRIC_KEYS = ("mnist_test_accuracy", "per_class_accuracy", "confusion_matrix", "history", "training_seconds")


def _stored_path(folder: Path) -> str:
    try:
        return str(folder.resolve().relative_to(Path(settings.BASE_DIR).resolve()))
    except ValueError:
        return str(folder.resolve())


def _bundled():
    from ml.artifacts import BUNDLED_VERSION, METADATA_FILE, bundled_dir

    folder = bundled_dir()
    try:
        metadata = json.loads((folder / METADATA_FILE).read_text())
    except (OSError, ValueError):
        # Still register it: serving reports the broken folder (503) more usefully than
        # a migration that refuses to run.
        metadata = {"version": BUNDLED_VERSION, "arch": BUNDLED_VERSION.split("-")[1]}
    created_at = timezone.now()
    if metadata.get("created_at"):
        try:
            created_at = datetime.fromisoformat(metadata["created_at"])
        except ValueError:
            pass
    return {
        "version": metadata.get("version", BUNDLED_VERSION),
        "arch": metadata.get("arch", ""),
        "artifact_path": _stored_path(folder),
        "metrics": {key: metadata[key] for key in METRIC_KEYS if key in metadata},
        "created_at": created_at,
        "notes": "The model bundled with the code.",
    }


def register(apps, schema_editor):
    ModelVersion = apps.get_model("recognizer", "ModelVersion")
    Submission = apps.get_model("recognizer", "Submission")
    bundled = _bundled()
    version = bundled.pop("version")
    ModelVersion.objects.update_or_create(version=version, defaults={**bundled, "is_active": True})
    names = Submission.objects.order_by().values_list("model_version_name", flat=True).distinct()
    for name in list(names):
        # A version only known by name (served from a pinned folder long gone): the
        # row keeps the history truthful; it has no folder, so it can never be activated.
        model_version, _ = ModelVersion.objects.get_or_create(
            version=name, defaults={"arch": "unknown", "notes": "Registered from stored submissions."}
        )
        Submission.objects.filter(model_version_name=name).update(model_version=model_version)


def unregister(apps, schema_editor):
    ModelVersion = apps.get_model("recognizer", "ModelVersion")
    Submission = apps.get_model("recognizer", "Submission")
    for model_version in ModelVersion.objects.all():
        submissions = Submission.objects.filter(model_version=model_version)
        submissions.update(model_version_name=model_version.version)


class Migration(migrations.Migration):

    dependencies = [("recognizer", "0002_modelversion_corrections")]

    operations = [migrations.RunPython(register, unregister)]
