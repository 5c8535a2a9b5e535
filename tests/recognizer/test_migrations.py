"""Data migrations, run for real: migrate back, set the old state up, migrate forward."""

import json

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from ml.artifacts import BUNDLED_VERSION, METADATA_FILE, bundled_dir

BEFORE = [("recognizer", "0005_numbers_and_api_tokens")]
AFTER = [("recognizer", "0006_rescore_bundled_model")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_the_bundled_rows_scores_are_the_ones_its_folder_holds_now():
    apps = migrate(BEFORE)
    ModelVersion = apps.get_model("recognizer", "ModelVersion")
    stale = {"mnist_test_accuracy": 0.9954, "per_class_accuracy": [0.99] * 10}
    # (An earlier transactional test may have flushed the row 0003 made.)
    ModelVersion.objects.update_or_create(
        version=BUNDLED_VERSION, defaults={"arch": "cnn", "metrics": stale, "is_active": True}
    )
    ModelVersion.objects.create(version="20261122-cnn-mine", arch="cnn", metrics={"mnist_test_accuracy": 0.99})

    apps = migrate(AFTER)
    ModelVersion = apps.get_model("recognizer", "ModelVersion")
    metadata = json.loads((bundled_dir() / METADATA_FILE).read_text())
    bundled = ModelVersion.objects.get(version=BUNDLED_VERSION)
    assert bundled.metrics["mnist_test_accuracy"] == metadata["mnist_test_accuracy"] != 0.9954
    assert bundled.metrics["confusion_matrix"] == metadata["confusion_matrix"]
    assert bundled.is_active
    mine = ModelVersion.objects.get(version="20261122-cnn-mine")
    assert mine.metrics == {"mnist_test_accuracy": 0.99}, "other versions are left alone"
