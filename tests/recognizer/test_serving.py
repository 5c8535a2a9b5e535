"""serving: one predictor per process, loaded once; failures are 503-able and logged once."""

import logging
import shutil
import threading

import pytest
from django.db import connections
from ml.artifacts import BUNDLED_VERSION, bundled_dir

from recognizer import serving

# Serving asks the database which version is active.
pytestmark = pytest.mark.django_db


def test_predictor_is_loaded_once_and_shared():
    serving.reset()
    first = serving.get_predictor()
    assert serving.get_predictor() is first
    assert first.version


def test_concurrent_first_calls_share_one_predictor():
    serving.reset()
    seen = []
    def request():
        seen.append(serving.get_predictor())
        connections.close_all()  # as Django does after each request; PostgreSQL counts them

    threads = [threading.Thread(target=request) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(predictor) for predictor in seen}) == 1


def test_missing_model_raises_model_unavailable_with_the_reason(broken_model):
    with pytest.raises(serving.ModelUnavailable, match=str(broken_model)):
        serving.get_predictor()


def test_failure_is_logged_once_not_per_request(broken_model, caplog):
    with caplog.at_level(logging.DEBUG, logger="recognizer.serving"):
        for _ in range(5):
            with pytest.raises(serving.ModelUnavailable):
                serving.get_predictor()
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert len(errors) == 1


def test_retry_after_the_interval(broken_model, monkeypatch):
    with pytest.raises(serving.ModelUnavailable):
        serving.get_predictor()
    # The model becomes available again (a copy of the bundled one appears in the pinned
    # folder), but serving waits out the interval...
    shutil.copytree(bundled_dir(), broken_model, dirs_exist_ok=True)
    with pytest.raises(serving.ModelUnavailable):
        serving.get_predictor()
    # ...and loads it once the interval has passed.
    monkeypatch.setattr(serving, "RETRY_AFTER_SECONDS", 0.0)
    assert serving.get_predictor().version


def test_reset_can_install_a_predictor():
    from ml.predictor import Predictor

    predictor = Predictor.load()
    serving.reset(predictor)
    assert serving.get_predictor() is predictor
    serving.reset()


# --- Live switching: workers follow the active ModelVersion ---


@pytest.fixture
def live(settings, fresh_serving):
    """Serving that checks the active version on every call (no interval to wait out)."""
    settings.DIGITS_MODEL_CHECK_SECONDS = 0
    return fresh_serving


def test_a_worker_moves_to_a_newly_activated_version(live, bundled_copy, drawn_digit):
    from recognizer import lifecycle

    before = serving.get_predictor()
    assert before.version == BUNDLED_VERSION
    bundled_copy("20261122-cnn-next")

    lifecycle.activate_model_version(version="20261122-cnn-next")

    after = serving.get_predictor()
    assert after.version == "20261122-cnn-next" and after is not before
    assert serving.get_predictor() is after  # loaded once, not per request
    # A request that took the old predictor before the switch finishes with it.
    assert before.predict(drawn_digit("one")).digit == 1


def test_between_checks_a_request_costs_no_query(settings, fresh_serving, django_assert_num_queries):
    settings.DIGITS_MODEL_CHECK_SECONDS = 3600
    first = serving.get_predictor()
    with django_assert_num_queries(0):
        for _ in range(20):
            assert serving.get_predictor() is first


def test_a_check_is_one_small_query(live, django_assert_num_queries):
    serving.get_predictor()
    with django_assert_num_queries(1):
        serving.get_predictor()


def test_a_new_version_that_fails_to_load_leaves_the_old_one_serving(live, bundled_copy, caplog):
    from recognizer import lifecycle

    before = serving.get_predictor()
    copy = bundled_copy("20261122-cnn-vanishing")
    lifecycle.activate_model_version(version=copy.version)
    (copy.artifact_dir / "model.tflite").write_bytes(b"gone bad after activation")

    with caplog.at_level(logging.DEBUG, logger="recognizer.serving"):
        for _ in range(5):
            assert serving.get_predictor() is before
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert len(errors) == 1 and copy.version in errors[0].getMessage()


def test_with_a_shared_cache_workers_read_the_switch_from_it(
    live, settings, tmp_path, bundled_copy, django_capture_on_commit_callbacks, django_assert_num_queries
):
    from django.core.cache import cache

    from recognizer import lifecycle

    backend = "django.core.cache.backends.filebased.FileBasedCache"
    settings.CACHES = {"default": {"BACKEND": backend, "LOCATION": str(tmp_path)}}
    serving.get_predictor()  # fills the cache from the database
    with django_assert_num_queries(0):
        assert serving.get_predictor().version == BUNDLED_VERSION
    bundled_copy("20261122-cnn-cached")

    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.activate_model_version(version="20261122-cnn-cached")

    assert cache.get(serving.ACTIVE_VERSION_CACHE_KEY)[0] == "20261122-cnn-cached"
    with django_assert_num_queries(0):
        assert serving.get_predictor().version == "20261122-cnn-cached"


def test_a_pinned_folder_is_served_whatever_is_active(live, settings, bundled_copy, user, drawn_digit):
    from recognizer import lifecycle, services

    pinned = bundled_copy("20261122-cnn-pinned")
    settings.DIGITS_MODEL_DIR = str(pinned.artifact_dir)
    pinned.delete()  # an unregistered folder: its row is made when it first answers
    bundled_copy("20261122-cnn-other")
    lifecycle.activate_model_version(version="20261122-cnn-other")

    submission = services.submission_create(user=user, image_bytes=drawn_digit("one"), source="canvas")

    assert serving.get_predictor().version == "20261122-cnn-pinned"
    assert submission.model_version.version == "20261122-cnn-pinned"
    assert submission.model_version.artifact_dir == pinned.artifact_dir


def test_every_prediction_records_the_version_that_answered(live, bundled_copy, user, drawn_digit):
    from recognizer import lifecycle, services

    first = services.submission_create(user=user, image_bytes=drawn_digit("one"), source="canvas")
    bundled_copy("20261122-cnn-second")
    lifecycle.activate_model_version(version="20261122-cnn-second")
    second = services.submission_create(user=user, image_bytes=drawn_digit("one"), source="canvas")

    assert first.model_version.version == BUNDLED_VERSION
    assert second.model_version.version == "20261122-cnn-second"
