"""A trained model on disk: a folder with the Keras model, its LiteRT export and metadata.

    <version>/model.keras      the trained Keras model (retraining, export, Keras checks)
    <version>/model.tflite     its LiteRT export: what serving runs
    <version>/metadata.json    version, architecture, training data and record, MNIST
                               scores, and the sha256 of both model files

Writing goes to a hidden temporary folder renamed into place at the end, so an
interrupted save never leaves a half-written version. Loading checks that the files are
all there and belong together (their hashes match the metadata) and says what is wrong.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ARTIFACTS_DIR = Path(__file__).resolve().parent / "artifacts"
BUNDLED_VERSION = "20261121-cnn-bundled-v2"
KERAS_FILE = "model.keras"
TFLITE_FILE = "model.tflite"
METADATA_FILE = "metadata.json"
REQUIRED_METADATA = ("version", "arch", "created_at", "files", "input_shape")


class ArtifactError(RuntimeError):
    """A model folder is missing, incomplete or inconsistent; the message says how."""


@dataclass(frozen=True)
class Artifact:
    path: Path
    metadata: dict

    @property
    def version(self) -> str:
        return self.metadata["version"]

    @property
    def tflite_path(self) -> Path:
        return self.path / TFLITE_FILE

    @property
    def keras_path(self) -> Path:
        return self.path / KERAS_FILE


def bundled_dir() -> Path:
    return ARTIFACTS_DIR / BUNDLED_VERSION


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def new_version_id(arch: str, when: datetime | None = None) -> str:
    when = when or datetime.now(UTC)
    return f"{when:%Y%m%d-%H%M%S}-{arch}"


def export_tflite(model) -> bytes:
    """The LiteRT flatbuffer of a Keras model (float32: its outputs match Keras's)."""
    import contextlib
    import io

    import tensorflow as tf

    # The converter prints the traced signature to stdout; a command's output is not the
    # place for it.
    with contextlib.redirect_stdout(io.StringIO()):
        return tf.lite.TFLiteConverter.from_keras_model(model).convert()


def save_artifact(model, out_dir: str | os.PathLike, metadata: dict, scorer=None) -> Artifact:
    """Write ``model`` (Keras) and its LiteRT export into ``out_dir``, atomically.

    ``metadata`` must hold at least ``version`` and ``arch``; file hashes, the input
    shape and the creation time are added here. ``scorer(artifact)`` may return more
    metadata (test scores of the exported model) before the folder is put in place.
    """
    out_dir = Path(out_dir)
    if out_dir.exists():
        raise ArtifactError(f"{out_dir} already exists; a model version is never overwritten")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        model.save(staging / KERAS_FILE)
        (staging / TFLITE_FILE).write_bytes(export_tflite(model))
        record = {
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "input_shape": [28, 28, 1],
            **metadata,
            "files": {name: _sha256(staging / name) for name in (KERAS_FILE, TFLITE_FILE)},
        }
        if scorer is not None:
            record.update(scorer(Artifact(staging, record)))
        (staging / METADATA_FILE).write_text(json.dumps(record, indent=2) + "\n")
        for name in (KERAS_FILE, TFLITE_FILE, METADATA_FILE):
            with open(staging / name, "rb") as handle:
                os.fsync(handle.fileno())
        # mkdtemp makes the folder private (0700); web workers may run as another user.
        umask = os.umask(0)
        os.umask(umask)
        staging.chmod(0o777 & ~umask)
        os.rename(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Artifact(out_dir, record)


def load_artifact(path: str | os.PathLike | None = None, *, check_keras: bool = False) -> Artifact:
    """Open and check a model folder (None: the bundled model).

    Serving only needs the LiteRT file, so the Keras file's hash is checked on request
    (``check_keras``); its presence always is.
    """
    folder = Path(path) if path else bundled_dir()
    if not folder.is_dir():
        raise ArtifactError(f"Model folder not found: {folder}")
    meta_path = folder / METADATA_FILE
    if not meta_path.is_file():
        raise ArtifactError(f"{folder} has no {METADATA_FILE}: not a model folder, or an unfinished one")
    try:
        metadata = json.loads(meta_path.read_text())
    except (ValueError, UnicodeDecodeError) as exc:
        raise ArtifactError(f"{meta_path} is not valid JSON ({exc})") from exc
    if not isinstance(metadata, dict):
        raise ArtifactError(f"{meta_path} must hold a JSON object")
    missing = [key for key in REQUIRED_METADATA if key not in metadata]
    if missing:
        raise ArtifactError(f"{meta_path} lacks {', '.join(missing)}")
    for name in (TFLITE_FILE, KERAS_FILE):
        if not (folder / name).is_file():
            raise ArtifactError(f"{folder} is incomplete: {name} is missing")
    to_check = (TFLITE_FILE, KERAS_FILE) if check_keras else (TFLITE_FILE,)
    for name in to_check:
        expected = metadata["files"].get(name)
        if expected != _sha256(folder / name):
            raise ArtifactError(
                f"{folder / name} does not belong to this model: its sha256 differs from {METADATA_FILE}"
            )
    return Artifact(folder, metadata)
