"""Data migrations, run for real: migrate back, set the old state up, migrate forward."""

import json

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from ml.artifacts import BUNDLED_VERSION, METADATA_FILE, bundled_dir

# Each change of how the bundled model serves re-scores its row: before, after.
RESCORES = [
    ("0005_numbers_and_api_tokens", "0006_rescore_bundled_model"),  # upright, the second look
    ("0007_adopt_new_bundled_model", "0008_rescore_bundled_with_moves"),  # moved variants
]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("before", "after"), RESCORES)
def test_the_bundled_rows_scores_are_the_ones_its_folder_holds_now(before, after):
    apps = migrate([("recognizer", before)])
    ModelVersion = apps.get_model("recognizer", "ModelVersion")
    stale = {"mnist_test_accuracy": 0.9954, "per_class_accuracy": [0.99] * 10}
    # (An earlier transactional test may have flushed the row 0003 made.)
    ModelVersion.objects.update_or_create(
        version=BUNDLED_VERSION, defaults={"arch": "cnn", "metrics": stale, "is_active": True}
    )
    ModelVersion.objects.create(version="20261122-cnn-mine", arch="cnn", metrics={"mnist_test_accuracy": 0.99})

    apps = migrate([("recognizer", after)])
    ModelVersion = apps.get_model("recognizer", "ModelVersion")
    metadata = json.loads((bundled_dir() / METADATA_FILE).read_text())
    bundled = ModelVersion.objects.get(version=BUNDLED_VERSION)
    assert bundled.metrics["mnist_test_accuracy"] == metadata["mnist_test_accuracy"] != 0.9954
    assert bundled.metrics["confusion_matrix"] == metadata["confusion_matrix"]
    assert bundled.is_active
    mine = ModelVersion.objects.get(version="20261122-cnn-mine")
    assert mine.metrics == {"mnist_test_accuracy": 0.99}, "other versions are left alone"


BEFORE_NEW_BUNDLE = [("recognizer", "0006_rescore_bundled_model")]
NEW_BUNDLE = [("recognizer", "0007_adopt_new_bundled_model")]
PREVIOUS_BUNDLED = "20261121-cnn-bundled"


def set_up_previous_bundle(*, active: bool):
    """The state a site was in before the new bundle: the old bundled row, and no row
    for the new one (a fresh test database registered the new one in 0003)."""
    apps = migrate(BEFORE_NEW_BUNDLE)
    ModelVersion = apps.get_model("recognizer", "ModelVersion")
    ModelVersion.objects.filter(version=BUNDLED_VERSION).delete()
    ModelVersion.objects.update_or_create(
        version=PREVIOUS_BUNDLED,
        defaults={"arch": "cnn", "artifact_path": "ml/artifacts/" + PREVIOUS_BUNDLED, "is_active": active},
    )
    return ModelVersion


@pytest.mark.django_db(transaction=True)
def test_a_site_serving_the_old_bundle_serves_the_new_one():
    set_up_previous_bundle(active=True)

    ModelVersion = migrate(NEW_BUNDLE).get_model("recognizer", "ModelVersion")
    new = ModelVersion.objects.get(version=BUNDLED_VERSION)
    assert new.is_active and new.artifact_path == "ml/artifacts/" + BUNDLED_VERSION
    metadata = json.loads((bundled_dir() / METADATA_FILE).read_text())
    assert new.metrics["mnist_test_accuracy"] == metadata["mnist_test_accuracy"]
    previous = ModelVersion.objects.get(version=PREVIOUS_BUNDLED)
    assert not previous.is_active and previous.artifact_path == "", "kept for its history, never served"
    assert BUNDLED_VERSION in previous.notes


@pytest.mark.django_db(transaction=True)
def test_a_model_the_admin_activated_stays_active():
    ModelVersion = set_up_previous_bundle(active=False)
    ModelVersion.objects.create(version="20261122-cnn-mine", arch="cnn", is_active=True)

    ModelVersion = migrate(NEW_BUNDLE).get_model("recognizer", "ModelVersion")
    assert ModelVersion.objects.get(is_active=True).version == "20261122-cnn-mine"
    assert not ModelVersion.objects.get(version=BUNDLED_VERSION).is_active, "registered, ready to activate"
