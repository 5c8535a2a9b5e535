"""The lifecycle commands: retrain, models, activate, evaluate.

One real retrain trains a model (300 MNIST images, one epoch); the other retrain tests
reuse one training result from the session (``trained_once``) and run everything after
training for real: export, scoring, registration, activation, cleanup.
"""

import hashlib
import io
import json
from datetime import timedelta

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError
from django.utils import timezone
from ml.artifacts import BUNDLED_VERSION, bundled_dir

from recognizer import imaging, lifecycle
from recognizer.models import ModelVersion, RetrainLock

pytestmark = pytest.mark.django_db

SMALL = ("--limit", "300", "--epochs", "1", "--verbosity", "0")


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def state() -> tuple:
    """What an interrupted retrain must leave exactly as it was."""
    versions = sorted(ModelVersion.objects.values_list("version", "is_active"))
    files = {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in bundled_dir().iterdir()}
    return versions, files


@pytest.fixture(scope="session")
def training_cache():
    return {}


@pytest.fixture
def fake_training(monkeypatch, training_cache):
    """``ml.train.train`` trains for real once per session, with the arguments the first
    retrain gave it; later calls return that result at once, calling ``on_epoch`` the way
    training does (a test may make it raise). Returns the calls' arguments."""
    import ml.train

    real_train, calls = ml.train.train, []

    def train(**kwargs):
        calls.append(kwargs)
        if "result" not in training_cache:
            training_cache["result"] = real_train(**kwargs)
            return training_cache["result"]
        for record in training_cache["result"].history:
            kwargs["on_epoch"](record)
        return training_cache["result"]

    monkeypatch.setattr(ml.train, "train", train)
    return calls


def test_retrain_trains_registers_and_learns_from_corrections(
    models_dir, mnist_path, make_submission, user, fake_training
):
    bundled = ModelVersion.objects.get(version=BUNDLED_VERSION)
    for index in range(10):
        model_input = np.zeros((28, 28), dtype=np.float32)
        model_input[4:24, 12 + index % 4] = 1.0
        make_submission(
            user=user, digit=7, true_digit=1, model_input=imaging.model_input_png(model_input),
            model_version=bundled,
        )

    output = run(
        "retrain", *SMALL, "--data", str(mnist_path), "--include-feedback", "--no-activate", "--notes", "t"
    )

    new = ModelVersion.objects.exclude(version=BUNDLED_VERSION).get()
    assert not new.is_active and new.arch == "cnn" and new.notes == "t"
    assert new.artifact_dir == models_dir / new.version and (new.artifact_dir / "model.tflite").is_file()
    assert 0.0 <= new.metrics["mnist_test_accuracy"] <= 1.0
    assert len(new.metrics["per_class_accuracy"]) == 10 and len(new.metrics["confusion_matrix"]) == 10
    [epoch] = new.metrics["history"]
    assert set(epoch) == {"epoch", "loss", "accuracy", "test_loss", "test_accuracy", "seconds"}
    assert new.metrics["training_seconds"] > 0
    feedback = new.metrics["feedback"]
    assert feedback["n_train"] + feedback["n_holdout"] == 10 and feedback["n_holdout"] >= 1
    assert 0.0 <= feedback["accuracy_before"] <= 1.0 and 0.0 <= feedback["accuracy_after"] <= 1.0
    assert json.loads((new.artifact_dir / "metadata.json").read_text())["feedback"] == feedback
    assert "MNIST test accuracy" in output and "Held-out corrections" in output and "Training time" in output
    assert f"manage.py activate {new.version}" in output
    assert not RetrainLock.objects.exists()
    [call] = fake_training
    assert call["extra_samples"][0].shape == (feedback["n_train"], 28, 28)
    assert list(call["extra_samples"][1]) == [1] * feedback["n_train"]


def test_retrain_refuses_to_activate_a_worse_model(models_dir, fake_training):
    output = run("retrain", *SMALL)

    assert "Not activated" in output and "points below" in output
    assert ModelVersion.objects.get(is_active=True).version == BUNDLED_VERSION
    assert ModelVersion.objects.count() == 2


def test_retrain_force_activates_and_rollback_restores(models_dir, fake_training, user):
    output = run("retrain", *SMALL, "--force", "--created-by", user.username)

    new = ModelVersion.objects.get(is_active=True)
    assert new.version != BUNDLED_VERSION and new.created_by == user
    assert "Activated" in output
    assert ModelVersion.objects.filter(is_active=True).count() == 1

    with pytest.raises(CommandError, match="unknown-version"):
        run("activate", "unknown-version")
    assert "Active model version: " + BUNDLED_VERSION in run("activate", BUNDLED_VERSION)
    assert ModelVersion.objects.get(is_active=True).version == BUNDLED_VERSION
    with pytest.raises(CommandError, match="points below"):
        run("activate", new.version)
    run("activate", new.version, "--force")
    assert ModelVersion.objects.get(is_active=True).version == new.version


def test_retrain_passes_its_options_to_training(models_dir, monkeypatch, settings, mnist_path):
    import ml.train

    calls = []

    def train(**kwargs):
        calls.append(kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(ml.train, "train", train)
    settings.DIGITS_MNIST_PATH = str(mnist_path)
    with pytest.raises(CommandError, match="Interrupted: nothing was registered"):
        run(
            "retrain", "--arch", "mlp", "--epochs", "2", "--batch-size", "32", "--limit", "100",
            "--seed", "7", "--verbosity", "0",
        )

    [call] = calls
    chosen = (call["arch"], call["epochs"], call["batch_size"], call["limit"], call["seed"])
    assert chosen == ("mlp", 2, 32, 100, 7)
    assert call["data_path"] == str(mnist_path) and call["progress"] is False
    assert call["extra_samples"] is None


@pytest.mark.parametrize(
    "failure", ["interrupt-during-training", "disk-full-while-saving", "registration-fails"]
)
def test_an_interrupted_retrain_leaves_everything_as_it_was(models_dir, fake_training, monkeypatch, failure):
    import ml.evaluate

    before = state()
    if failure == "interrupt-during-training":  # Ctrl-C between two epochs
        def interrupt(**kwargs):
            raise KeyboardInterrupt

        monkeypatch.setattr(lifecycle, "retrain_lock_heartbeat", interrupt)
        expected = CommandError
    elif failure == "disk-full-while-saving":  # the folder is half written when it fails
        def no_space(*args, **kwargs):
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(ml.evaluate, "evaluate_predictor", no_space)
        expected = OSError
    else:  # the folder is complete and in place; the database write fails
        def database_down(**kwargs):
            raise DatabaseError("connection lost")

        monkeypatch.setattr(lifecycle, "model_version_register", database_down)
        expected = DatabaseError

    with pytest.raises(expected):
        run("retrain", *SMALL, "--force")

    assert state() == before
    assert not models_dir.exists() or list(models_dir.iterdir()) == []
    assert not RetrainLock.objects.exists()


def test_a_second_retrain_is_refused_while_one_runs(models_dir, fake_training):
    RetrainLock.objects.create(name=lifecycle.RETRAIN_LOCK_NAME, holder="trainer-host:31337")

    with pytest.raises(CommandError, match=r"Another retrain is running \(trainer-host:31337"):
        run("retrain", *SMALL)

    assert fake_training == []  # refused before training
    assert RetrainLock.objects.get().holder == "trainer-host:31337"
    assert ModelVersion.objects.count() == 1


def test_a_retrain_takes_over_a_stale_lock_and_sweeps_leftovers(models_dir, fake_training):
    long_ago = timezone.now() - timedelta(hours=1)
    RetrainLock.objects.create(
        name=lifecycle.RETRAIN_LOCK_NAME, holder="dead-host:1", started_at=long_ago, heartbeat_at=long_ago
    )
    leftover = models_dir / ".20261121-000000-cnn.killed"
    leftover.mkdir(parents=True)
    import os

    os.utime(leftover, (0, 0))

    output = run("retrain", *SMALL, "--no-activate")

    assert ModelVersion.objects.count() == 2
    assert not RetrainLock.objects.exists()
    assert not leftover.exists() and f"Removed {leftover}" in output


def test_models_lists_every_version_with_the_active_one_marked(bundled_copy, make_submission, user):
    bundled_copy("20261122-cnn-copy")
    make_submission(user=user, model_version=ModelVersion.objects.get(version=BUNDLED_VERSION))

    lines = run("models").splitlines()

    assert lines[0].split() == ["version", "arch", "MNIST", "created", "created", "by", "submissions"]
    active = next(line for line in lines if BUNDLED_VERSION in line)
    copy = next(line for line in lines if "20261122-cnn-copy" in line)
    assert active.startswith("*") and not copy.startswith("*")
    bundled_accuracy = ModelVersion.objects.get(version=BUNDLED_VERSION).mnist_test_accuracy
    assert f"{bundled_accuracy:.2%}" in active and active.rstrip().endswith("1") and copy.rstrip().endswith("0")


def test_evaluate_json_scores_the_active_version(mnist_path):
    report = json.loads(run("evaluate", "--data", str(mnist_path), "--json"))

    assert set(report) == {"accuracy", "per_class", "n", "model_version"}
    assert report["model_version"] == BUNDLED_VERSION and report["n"] == 10_000
    stored = ModelVersion.objects.get(is_active=True).mnist_test_accuracy
    assert report["accuracy"] == pytest.approx(stored, abs=1e-4)
    assert len(report["per_class"]) == 10


def test_evaluate_a_named_version_and_an_unknown_one(mnist_path, bundled_copy):
    bundled_copy("named")
    assert run("evaluate", "named", "--data", str(mnist_path)).startswith("named: accuracy 99.")
    with pytest.raises(CommandError, match="nope"):
        run("evaluate", "nope", "--data", str(mnist_path))
