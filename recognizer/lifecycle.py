"""Model versions: registering them, switching the active one safely, and retraining.

The guarantees, and where each one comes from:

- Exactly one version is active at all times: activation is one transaction that locks
  the rows it changes, and a partial unique constraint refuses a second active row.
- A retrain never disturbs what serves: the new folder is written aside and renamed
  into place complete (``ml.artifacts.save_artifact``), registered only then, and
  removed again if registration fails; leftovers of killed runs are swept by the next.
- One retrain at a time across processes and machines: a row in the database
  (``RetrainLock``), taken by an atomic insert, kept alive by a heartbeat every epoch.
  No transaction stays open while training: SQLite would refuse every other write.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import DateTimeField, ExpressionWrapper, Q
from django.db.models.functions import Now

from recognizer import serving
from recognizer.feedback import feedback_samples, feedback_scores
from recognizer.models import ModelVersion, RetrainLock

logger = logging.getLogger(__name__)

# A new version may be this much worse on MNIST test (0.05 percentage points: five
# images of 10,000, about the noise between two seeds) and still be activated.
ACTIVATION_TOLERANCE = 0.0005
RETRAIN_LOCK_NAME = "retrain"
# An epoch of the default recipe takes about half a minute; a heartbeat this old means
# the holder died (kill -9, a lost machine) without releasing the lock.
STALE_LOCK_AFTER = timedelta(minutes=10)
# Unregistered folders younger than this are left alone when sweeping: the clock
# guards against a holder whose lock was wrongly judged stale.
LEFTOVER_MIN_AGE_SECONDS = 5 * 60
# What a version's folder metadata says about it that the Models page and commands show.
METRIC_KEYS = (
    "mnist_test_accuracy", "per_class_accuracy", "confusion_matrix", "history", "training_seconds",
    "feedback",
)
FORCE_HINT = "Use force to activate it anyway."


class ActivationRefused(Exception):
    """The version may not become active; the message says why (for the user)."""


class RetrainBusy(Exception):
    """Another retrain holds the lock; the message names it."""


# --- Versions ---------------------------------------------------------------------------


def metrics_from_metadata(metadata: dict) -> dict:
    return {key: metadata[key] for key in METRIC_KEYS if key in metadata}


def model_version_for(*, predictor) -> ModelVersion:
    """The row of the version a predictor serves, registered on demand (a folder pinned
    with ``DIGITS_MODEL_DIR`` may never have been registered)."""
    metadata = getattr(predictor, "metadata", None) or {}
    artifact = getattr(predictor, "artifact", None)
    # Once per prediction: the scores (kilobytes of JSON) are not read back.
    model_version, _ = ModelVersion.objects.defer("metrics").get_or_create(
        version=predictor.version,
        defaults={
            "arch": metadata.get("arch", ""),
            "artifact_path": ModelVersion.stored_path(artifact.path) if artifact is not None else "",
            "metrics": metrics_from_metadata(metadata),
            "notes": "Registered when it first answered.",
        },
    )
    return model_version


def model_version_register(*, artifact, created_by=None, notes: str = "") -> ModelVersion:
    """Record a complete model folder (an ``ml.artifacts.Artifact``) as an inactive version."""
    model_version = ModelVersion(
        version=artifact.version,
        arch=artifact.metadata.get("arch", ""),
        artifact_path=ModelVersion.stored_path(artifact.path),
        metrics=metrics_from_metadata(artifact.metadata),
        created_by=created_by,
        notes=notes,
    )
    model_version.full_clean()
    with transaction.atomic():
        model_version.save()
    return model_version


def activate_model_version(*, version: str, by=None, force: bool = False) -> ModelVersion:
    """Make ``version`` the one every worker serves; returns it.

    Refused (``ActivationRefused``) when its folder is missing or broken, or when it is
    worse on MNIST test than the active version by more than ``ACTIVATION_TOLERANCE``,
    unless ``force`` (which overrides the accuracy rule only). Raises
    ``ModelVersion.DoesNotExist`` for an unknown version.
    """
    from ml.artifacts import ArtifactError, load_artifact

    with transaction.atomic():
        # Locking both rows serialises concurrent activations: the second one sees the
        # first one's result, not the state before it.
        rows = list(ModelVersion.objects.select_for_update().filter(Q(version=version) | Q(is_active=True)))
        target = next((row for row in rows if row.version == version), None)
        if target is None:
            raise ModelVersion.DoesNotExist(f"No model version {version!r}.")
        current = next((row for row in rows if row.is_active), None)
        if current == target:
            return target
        if target.artifact_dir is None:
            raise ActivationRefused(f"{version} has no model folder: it can be listed but not served.")
        try:
            load_artifact(target.artifact_dir)
        except ArtifactError as exc:
            raise ActivationRefused(f"{version} cannot be served: {exc}") from exc
        if current is not None and not force:
            _check_not_worse(target, current)
        if current is not None:
            # Off before on: the unique constraint holds after every single statement.
            ModelVersion.objects.filter(pk=current.pk).update(is_active=False)
        ModelVersion.objects.filter(pk=target.pk).update(is_active=True)
        target.is_active = True
        stamp = {"version": target.version, "artifact_path": target.artifact_path}
        transaction.on_commit(lambda: serving.announce_active_version(**stamp))
    logger.info(
        "Model version %s activated%s%s (was %s)",
        version, f" by {by}" if by else "", " with force" if force else "",
        current.version if current else "none",
    )
    return target


def _check_not_worse(target: ModelVersion, current: ModelVersion) -> None:
    new, old = target.mnist_test_accuracy, current.mnist_test_accuracy
    if old is None:
        return  # nothing to compare with: a version known only by name
    if new is None:
        raise ActivationRefused(f"{target.version} has no MNIST test score to compare; {FORCE_HINT}")
    if new < old - ACTIVATION_TOLERANCE:
        raise ActivationRefused(
            f"{target.version} scores {new:.2%} on MNIST test, {100 * (old - new):.2f} points below the "
            f"active {current.version} ({old:.2%}); the limit is {100 * ACTIVATION_TOLERANCE:.2f}. "
            + FORCE_HINT
        )


# --- The retrain lock -----------------------------------------------------------------------


def lock_holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def retrain_lock_acquire(*, holder: str) -> None:
    """Take the retrain lock, or a stale one over; raises ``RetrainBusy``.

    Times come from the database's clock, not this machine's: the holders may be on
    machines whose clocks disagree.
    """
    for _ in range(3):  # the holder may release between our insert and our look
        try:
            with transaction.atomic():
                RetrainLock.objects.create(
                    name=RETRAIN_LOCK_NAME, holder=holder, started_at=Now(), heartbeat_at=Now()
                )
            return
        except IntegrityError:
            pass
        # A conditional update is atomic: of two processes taking over the same stale
        # lock, the second one's WHERE no longer matches.
        stale_before = ExpressionWrapper(Now() - STALE_LOCK_AFTER, output_field=DateTimeField())
        stale = RetrainLock.objects.filter(name=RETRAIN_LOCK_NAME, heartbeat_at__lt=stale_before)
        previous = stale.values_list("holder", flat=True).first()
        if stale.update(holder=holder, started_at=Now(), heartbeat_at=Now()):
            logger.warning("Took over the retrain lock of %s: no heartbeat for too long", previous)
            return
        lock = RetrainLock.objects.filter(name=RETRAIN_LOCK_NAME).first()
        if lock is not None:
            raise RetrainBusy(
                f"Another retrain is running ({lock.holder}, started {lock.started_at:%Y-%m-%d %H:%M:%S %Z}, "
                f"last heard from {lock.heartbeat_at:%H:%M:%S}). Wait for it to finish; a lock not refreshed "
                f"for {STALE_LOCK_AFTER.total_seconds() / 60:.0f} minutes is taken over."
            )
    raise RetrainBusy("The retrain lock keeps changing hands; try again.")


def retrain_lock_heartbeat(*, holder: str) -> None:
    """Show the lock's holder is alive; raises ``RetrainBusy`` if it was taken over."""
    if not RetrainLock.objects.filter(name=RETRAIN_LOCK_NAME, holder=holder).update(heartbeat_at=Now()):
        raise RetrainBusy("This retrain lost its lock (taken over as stale); stopping without registering.")


def retrain_lock_release(*, holder: str) -> None:
    RetrainLock.objects.filter(name=RETRAIN_LOCK_NAME, holder=holder).delete()


# --- Leftovers of interrupted runs ----------------------------------------------------------


def leftover_folders_remove(
    *, models_dir: Path, min_age_seconds: float = LEFTOVER_MIN_AGE_SECONDS
) -> list[Path]:
    """Remove what killed retrains left in ``models_dir``; call only holding the lock.

    Only what a retrain writes is touched: hidden staging folders, and model folders
    (their metadata names their own folder) that no ``ModelVersion`` points at.
    """
    from ml.artifacts import METADATA_FILE

    if not models_dir.is_dir():
        return []
    registered = {
        model_version.artifact_dir.resolve()
        for model_version in ModelVersion.objects.exclude(artifact_path="")
        if model_version.artifact_dir is not None
    }
    cutoff = time.time() - min_age_seconds
    removed = []
    for folder in models_dir.iterdir():
        if not folder.is_dir() or folder.is_symlink() or folder.resolve() in registered:
            continue
        if folder.stat().st_mtime > cutoff:
            continue
        staging = folder.name.startswith(".")
        if staging or _names_itself(folder / METADATA_FILE, folder.name):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
            logger.warning("Removed %s, left by an interrupted retrain", folder)
    return removed


def _names_itself(metadata_file: Path, name: str) -> bool:
    try:
        return json.loads(metadata_file.read_text()).get("version") == name
    except (OSError, ValueError, AttributeError):
        return False


# --- Retraining -----------------------------------------------------------------------------


@dataclass
class RetrainReport:
    """What a retrain made, next to what served before it."""

    model_version: ModelVersion
    previous: ModelVersion | None
    activated: bool
    refusal: str | None  # why it was not activated, when activation was asked for
    removed_leftovers: list[Path] = field(default_factory=list)


def retrain(
    *,
    arch: str = "cnn",
    epochs: int | None = None,
    batch_size: int | None = None,
    limit: int | None = None,
    seed: int = 0,
    data_path: str | os.PathLike | None = None,
    include_feedback: bool = False,
    activate: bool = True,
    force: bool = False,
    notes: str = "",
    created_by=None,
    progress: bool = False,
) -> RetrainReport:
    """Train a new version into ``DIGITS_MODELS_DIR``, register it and (unless refused
    or ``activate=False``) activate it. Raises ``RetrainBusy`` when another retrain runs.

    Interrupted anywhere (Ctrl-C, an exception, a kill), it leaves the active version,
    its files and the versions table as they were: nothing is registered before the
    folder is complete, and a folder that fails to register is removed.
    """
    from ml.artifacts import new_version_id
    from ml.train import DEFAULT_BATCH_SIZE, DEFAULT_EPOCHS, save_trained, train

    from recognizer import selectors

    holder = lock_holder_name()
    retrain_lock_acquire(holder=holder)
    try:
        models_dir = Path(settings.DIGITS_MODELS_DIR)
        removed = leftover_folders_remove(models_dir=models_dir)
        previous = selectors.active_model_version()
        feedback = feedback_samples() if include_feedback else None
        extra = (feedback.train_inputs, feedback.train_labels) if feedback and feedback.n_train else None
        result = train(
            arch=arch,
            epochs=epochs or DEFAULT_EPOCHS,
            batch_size=batch_size or DEFAULT_BATCH_SIZE,
            seed=seed,
            limit=limit,
            extra_samples=extra,
            progress=progress,
            data_path=data_path or settings.DIGITS_MNIST_PATH,
            on_epoch=lambda record: retrain_lock_heartbeat(holder=holder),
        )
        retrain_lock_heartbeat(holder=holder)  # still ours before writing anything
        version = _unused_version(new_version_id(arch), models_dir)
        metadata = {"created_by": getattr(created_by, "username", None), "notes": notes}
        if feedback is not None:
            before_dir = previous.artifact_dir if previous is not None else None
            metadata["feedback"] = feedback_scores(feedback, active_dir=before_dir, model=result.model)
        artifact = save_trained(result, models_dir / version, version, **metadata)
        try:
            model_version, refusal = _register_and_activate(
                artifact=artifact, created_by=created_by, notes=notes, activate=activate, force=force
            )
        except BaseException:
            shutil.rmtree(artifact.path, ignore_errors=True)
            raise
    finally:
        try:
            retrain_lock_release(holder=holder)
        except DatabaseError:
            # Do not hide what went wrong; the lock goes stale and is taken over.
            logger.exception("Could not release the retrain lock")
    return RetrainReport(model_version, previous, model_version.is_active, refusal, removed)


def _register_and_activate(*, artifact, created_by, notes, activate, force):
    """One transaction: the new row, and the switch to it unless refused. Returns the
    version and the refusal's message (None when activated or not asked to)."""
    refusal = None
    with transaction.atomic():
        model_version = model_version_register(artifact=artifact, created_by=created_by, notes=notes)
        if activate:
            try:
                # Its own savepoint: a refused activation keeps the registration.
                model_version = activate_model_version(
                    version=model_version.version, by=created_by, force=force
                )
            except ActivationRefused as exc:
                refusal = str(exc)
    return model_version, refusal


def _unused_version(version: str, models_dir: Path) -> str:
    candidate, n = version, 1
    while ModelVersion.objects.filter(version=candidate).exists() or (models_dir / candidate).exists():
        n += 1
        candidate = f"{version}-{n}"
    return candidate


# --- Scoring a registered version -----------------------------------------------------------


def model_version_evaluate(*, version: str | None = None, data_path: str | os.PathLike | None = None):
    """Score a version (default: the active one) on MNIST test, by the LiteRT model that
    serves. Returns ``(ModelVersion, ml.evaluate.Evaluation)``; raises
    ``ModelVersion.DoesNotExist`` or ``ml.artifacts.ArtifactError``."""
    from ml.artifacts import ArtifactError
    from ml.evaluate import evaluate_on_mnist
    from ml.predictor import Predictor

    from recognizer import selectors

    try:
        model_version = (
            selectors.model_version_get(version=version) if version else selectors.active_model_version()
        )
    except ModelVersion.DoesNotExist as exc:
        raise ModelVersion.DoesNotExist(f"No model version {version!r}.") from exc
    if model_version is None:
        raise ModelVersion.DoesNotExist("No model version is active.")
    if model_version.artifact_dir is None:
        raise ArtifactError(f"{model_version.version} has no model folder.")
    predictor = Predictor.load(model_version.artifact_dir)
    return model_version, evaluate_on_mnist(predictor, data_path or settings.DIGITS_MNIST_PATH)
