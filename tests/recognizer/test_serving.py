"""serving: one predictor per process, loaded once; failures are 503-able and logged once."""

import logging
import threading

import pytest

from recognizer import serving


def test_predictor_is_loaded_once_and_shared():
    serving.reset()
    first = serving.get_predictor()
    assert serving.get_predictor() is first
    assert first.version


def test_concurrent_first_calls_share_one_predictor():
    serving.reset()
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(serving.get_predictor())) for _ in range(8)]
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


def test_retry_after_the_interval(broken_model, settings, monkeypatch):
    with pytest.raises(serving.ModelUnavailable):
        serving.get_predictor()
    # The model becomes available again (the bundled one), but serving waits out the interval...
    monkeypatch.setattr(serving.settings, "DIGITS_MODEL_DIR", None)
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
