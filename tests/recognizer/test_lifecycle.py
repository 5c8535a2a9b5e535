"""lifecycle: safe activation, the retrain lock, leftovers of killed runs, corrections as data."""

import os
import time
from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone
from ml.artifacts import BUNDLED_VERSION

from recognizer import imaging, lifecycle
from recognizer.models import ModelVersion, RetrainLock

pytestmark = pytest.mark.django_db


def active_versions() -> list[str]:
    return list(ModelVersion.objects.filter(is_active=True).values_list("version", flat=True))


# --- Versions and activation ---


def test_a_fresh_site_serves_the_bundled_model_as_its_only_active_version():
    bundled = ModelVersion.objects.get(version=BUNDLED_VERSION)
    assert active_versions() == [BUNDLED_VERSION]
    assert bundled.artifact_path == "ml/artifacts/" + BUNDLED_VERSION  # relative: the checkout may move
    assert bundled.artifact_dir.is_dir()
    assert bundled.metrics["mnist_test_accuracy"] > 0.99
    assert len(bundled.metrics["per_class_accuracy"]) == 10 and bundled.metrics["history"]


def test_activation_within_the_tolerance_switches_exactly_one(bundled_copy):
    bundled_copy("slightly-worse", accuracy_delta=-0.0004)

    activated = lifecycle.activate_model_version(version="slightly-worse")

    assert activated.is_active
    assert active_versions() == ["slightly-worse"]


def test_activation_refused_when_worse_by_more_than_the_tolerance(bundled_copy):
    bundled_copy("worse", accuracy_delta=-0.0006)

    with pytest.raises(lifecycle.ActivationRefused, match=r"0\.06 points below"):
        lifecycle.activate_model_version(version="worse")
    assert active_versions() == [BUNDLED_VERSION]

    lifecycle.activate_model_version(version="worse", force=True)
    assert active_versions() == ["worse"]


def test_a_better_version_activates_and_rollback_is_allowed_with_force(bundled_copy):
    bundled_copy("better", accuracy_delta=+0.002)
    lifecycle.activate_model_version(version="better")
    assert active_versions() == ["better"]

    with pytest.raises(lifecycle.ActivationRefused):
        lifecycle.activate_model_version(version=BUNDLED_VERSION)
    lifecycle.activate_model_version(version=BUNDLED_VERSION, force=True)
    assert active_versions() == [BUNDLED_VERSION]


def test_activating_the_active_version_changes_nothing():
    assert lifecycle.activate_model_version(version=BUNDLED_VERSION).is_active
    assert active_versions() == [BUNDLED_VERSION]


def test_a_version_whose_folder_is_broken_is_refused_even_with_force(bundled_copy):
    copy = bundled_copy("broken")
    (copy.artifact_dir / "model.tflite").write_bytes(b"truncated")

    with pytest.raises(lifecycle.ActivationRefused, match="cannot be served"):
        lifecycle.activate_model_version(version="broken", force=True)
    assert active_versions() == [BUNDLED_VERSION]


def test_a_version_known_only_by_name_cannot_be_activated():
    ModelVersion.objects.create(version="name-only", arch="cnn")
    with pytest.raises(lifecycle.ActivationRefused, match="no model folder"):
        lifecycle.activate_model_version(version="name-only", force=True)


def test_an_unknown_version_does_not_exist():
    with pytest.raises(ModelVersion.DoesNotExist):
        lifecycle.activate_model_version(version="never-trained")


def test_the_database_refuses_a_second_active_version(bundled_copy):
    from django.db import IntegrityError, transaction

    copy = bundled_copy("second")
    with pytest.raises(IntegrityError), transaction.atomic():
        ModelVersion.objects.filter(pk=copy.pk).update(is_active=True)


# --- The retrain lock ---


def test_the_lock_refuses_a_second_holder_and_names_the_first():
    lifecycle.retrain_lock_acquire(holder="build-box:4242")

    with pytest.raises(lifecycle.RetrainBusy, match="build-box:4242"):
        lifecycle.retrain_lock_acquire(holder="web-1:77")

    lifecycle.retrain_lock_heartbeat(holder="build-box:4242")
    lifecycle.retrain_lock_release(holder="build-box:4242")
    lifecycle.retrain_lock_acquire(holder="web-1:77")
    assert RetrainLock.objects.get().holder == "web-1:77"


def test_a_stale_lock_is_taken_over_and_its_old_holder_notices():
    lifecycle.retrain_lock_acquire(holder="crashed:1")
    long_ago = timezone.now() - lifecycle.STALE_LOCK_AFTER - timedelta(seconds=1)
    RetrainLock.objects.update(heartbeat_at=long_ago)

    lifecycle.retrain_lock_acquire(holder="new:2")

    assert RetrainLock.objects.get().holder == "new:2"
    with pytest.raises(lifecycle.RetrainBusy, match="lost its lock"):
        lifecycle.retrain_lock_heartbeat(holder="crashed:1")
    lifecycle.retrain_lock_release(holder="crashed:1")  # must not free the new holder's lock
    assert RetrainLock.objects.get().holder == "new:2"


def test_a_lock_refreshed_recently_is_not_stale():
    lifecycle.retrain_lock_acquire(holder="slow:1")
    recently = timezone.now() - lifecycle.STALE_LOCK_AFTER + timedelta(minutes=1)
    RetrainLock.objects.update(heartbeat_at=recently)
    with pytest.raises(lifecycle.RetrainBusy):
        lifecycle.retrain_lock_acquire(holder="impatient:2")


# --- Leftovers of killed runs ---


def test_leftovers_of_killed_runs_are_removed_and_nothing_else(models_dir, bundled_copy):
    models_dir.mkdir(parents=True)
    staging = models_dir / ".20261121-101010-cnn.abc123"
    orphan = models_dir / "20261121-101010-cnn"  # complete, but its registration never happened
    young = models_dir / ".20261121-121212-cnn.def456"
    foreign = models_dir / "operator-notes"  # not a model folder: not ours to delete
    for folder in (staging, orphan, young, foreign):
        folder.mkdir()
    (orphan / "metadata.json").write_text('{"version": "20261121-101010-cnn"}')
    registered = models_dir / "registered"
    bundled_copy("registered").artifact_dir.rename(registered)
    ModelVersion.objects.filter(version="registered").update(artifact_path=str(registered))
    an_hour_ago = time.time() - 3600
    for folder in (staging, orphan, foreign, registered):
        os.utime(folder, (an_hour_ago, an_hour_ago))

    removed = lifecycle.leftover_folders_remove(models_dir=models_dir)

    assert sorted(removed) == sorted([staging, orphan])
    kept = sorted(path.name for path in models_dir.iterdir())
    assert kept == sorted([young.name, foreign.name, "registered"])


# --- Corrections as training data ---


def labelled(make_submission, user, count: int):
    """``count`` submissions the user corrected, each with a distinct 28x28 input."""
    submissions = []
    for index in range(count):
        model_input = np.zeros((28, 28), dtype=np.float32)
        model_input[index % 28, :] = 1.0
        model_input[:, 3] = 0.5
        submission = make_submission(
            user=user, digit=1, model_input=imaging.model_input_png(model_input),
            true_digit=index % 10, corrected_at=timezone.now(),
        )
        submissions.append((submission, model_input))
    return submissions


def test_feedback_samples_decode_the_inputs_and_split_by_id(make_submission, user):
    made = labelled(make_submission, user, 30)
    make_submission(user=user, digit=4)  # not labelled: not training data

    samples = lifecycle.feedback_samples()

    assert samples.n_train + samples.n_holdout == 30
    assert 1 <= samples.n_holdout < 15  # about a fifth
    assert samples.train_inputs.shape == (samples.n_train, 28, 28)
    assert samples.holdout_inputs.shape == (samples.n_holdout, 28, 28)
    assert samples.train_inputs.dtype == np.float32 and samples.train_inputs.max() <= 1.0
    by_id = {submission.pk: (model_input, submission.true_digit) for submission, model_input in made}
    for position, pk in enumerate(samples.holdout_ids):
        model_input, true_digit = by_id[pk]
        assert samples.holdout_labels[position] == true_digit
        np.testing.assert_allclose(samples.holdout_inputs[position], model_input, atol=1 / 255)
    # Deterministic, and a drawing keeps its side as more corrections arrive.
    assert lifecycle.feedback_samples().holdout_ids == samples.holdout_ids
    labelled(make_submission, user, 10)
    assert set(samples.holdout_ids) <= set(lifecycle.feedback_samples().holdout_ids)


@pytest.mark.parametrize("count, holdout", [(0, 0), (1, 0), (2, 1)])
def test_feedback_samples_hold_out_one_of_two_and_none_of_one(make_submission, user, count, holdout):
    labelled(make_submission, user, count)
    samples = lifecycle.feedback_samples()
    assert (samples.n_train, samples.n_holdout) == (count - holdout, holdout)


def test_feedback_samples_always_keep_both_sides_from_two_on(make_submission, user):
    labelled(make_submission, user, 1)
    for _ in range(6):
        labelled(make_submission, user, 1)
        samples = lifecycle.feedback_samples()
        assert samples.n_train >= 1 and samples.n_holdout >= 1


def test_is_correct_follows_the_users_word(make_submission, user):
    assert make_submission(user=user, digit=3).is_correct is None
    assert make_submission(user=user, digit=3, true_digit=3).is_correct is True
    assert make_submission(user=user, digit=3, true_digit=8).is_correct is False
