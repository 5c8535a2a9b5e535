"""A model on disk: saved whole and atomically, loaded only when complete and consistent."""

import json
import shutil

import pytest

from ml.artifacts import ArtifactError, bundled_dir, load_artifact, save_artifact
from ml.predictor import Predictor


def test_training_a_few_hundred_images_gives_a_loadable_artifact(tiny_artifact):
    artifact = load_artifact(tiny_artifact.path, check_keras=True)
    meta = artifact.metadata
    assert meta["version"] == "tiny-cnn" and meta["arch"] == "cnn" and meta["epochs"] == 1
    assert meta["training_data"]["n_train"] == 300 and len(meta["training_data"]["sha256"]) == 64
    assert len(meta["history"]) == 1 and {"loss", "accuracy", "test_accuracy"} <= set(meta["history"][0])
    assert 0.0 < meta["mnist_test_accuracy"] <= 1.0 and len(meta["per_class_accuracy"]) == 10
    assert sum(map(sum, meta["confusion_matrix"])) == 10000
    assert Predictor.load(artifact.path).version == "tiny-cnn"


def copy_of(artifact, tmp_path):
    target = tmp_path / "copy"
    shutil.copytree(artifact.path, target)
    return target


def test_missing_folder_and_missing_files(tiny_artifact, tmp_path):
    with pytest.raises(ArtifactError, match="not found"):
        load_artifact(tmp_path / "nowhere")
    for name in ("metadata.json", "model.tflite", "model.keras"):
        folder = copy_of(tiny_artifact, tmp_path / name)
        (folder / name).unlink()
        with pytest.raises(ArtifactError, match=name.replace(".", r"\.")):
            load_artifact(folder)


def test_files_that_do_not_belong_together(tiny_artifact, tmp_path):
    folder = copy_of(tiny_artifact, tmp_path)
    (folder / "model.tflite").write_bytes(b"\x00" * 64)
    with pytest.raises(ArtifactError, match="model.tflite does not belong"):
        load_artifact(folder)
    folder = copy_of(tiny_artifact, tmp_path / "keras")
    with open(folder / "model.keras", "ab") as handle:
        handle.write(b"tampered")
    load_artifact(folder)  # serving checks only what it runs...
    with pytest.raises(ArtifactError, match="model.keras does not belong"):
        load_artifact(folder, check_keras=True)  # ...a full check sees the rest


def test_broken_metadata(tiny_artifact, tmp_path):
    folder = copy_of(tiny_artifact, tmp_path)
    (folder / "metadata.json").write_text("{not json")
    with pytest.raises(ArtifactError, match="not valid JSON"):
        load_artifact(folder)
    (folder / "metadata.json").write_text(json.dumps({"version": "x"}))
    with pytest.raises(ArtifactError, match="lacks arch"):
        load_artifact(folder)


def test_a_version_is_never_overwritten(tiny_artifact):
    with pytest.raises(ArtifactError, match="already exists"):
        save_artifact(None, tiny_artifact.path, {"version": "again", "arch": "cnn"})


def test_an_interrupted_save_leaves_nothing_behind(tmp_path):
    class Exploding:
        def save(self, path):
            path.write_bytes(b"half a model")
            raise KeyboardInterrupt  # as if Ctrl-C arrived mid-save

    with pytest.raises(KeyboardInterrupt):
        save_artifact(Exploding(), tmp_path / "v2", {"version": "v2", "arch": "cnn"})
    assert list(tmp_path.iterdir()) == []


def test_the_bundled_model_is_complete_and_accurate(mnist_path):
    from ml.evaluate import evaluate_on_mnist

    artifact = load_artifact(bundled_dir(), check_keras=True)
    assert artifact.metadata["arch"] == "cnn"
    # The recorded score is the served model's own, and a wrong or broken bundle fails here
    # (the accuracy targets themselves are reported by bench/accuracy.py).
    scores = evaluate_on_mnist(Predictor(artifact), mnist_path)
    assert scores.accuracy == artifact.metadata["mnist_test_accuracy"] >= 0.995
    assert artifact.metadata["training_data"]["n_train"] == 60000
    size = sum(path.stat().st_size for path in artifact.path.iterdir())
    assert size < 5_000_000, "the bundled model stays a few MB at most"
