"""The one-digit judge: whether a candidate piece of a number is exactly one digit.

Cutting touching digits apart (``ml.cutting``), the digit model's confidence cannot tell
two digits read as one from one wide digit: it is as sure that two 4s touching are a 4
as that each of them is. The judge is a second, small network (``ml.models.judge``)
trained for exactly that question on numbers made of MNIST digits and cut by the
segmenter itself (``ml.judge_training``). It is a model folder like any other
(``ml.artifacts``), its ``arch`` "judge", bundled beside the digit model, and it is
served by LiteRT in the same way; it does not depend on which digit model is active, so
a retrained digit model keeps using it.
"""

from __future__ import annotations

import os

import numpy as np

from ml.artifacts import ARTIFACTS_DIR, Artifact, ArtifactError, load_artifact
from ml.litert import LiteRTModel

JUDGE_ARCH = "judge"
BUNDLED_JUDGE_VERSION = "20261203-judge-bundled-v3"


def bundled_judge_dir():
    return ARTIFACTS_DIR / BUNDLED_JUDGE_VERSION


class OneDigitJudge:
    """A loaded judge. Thread-safe, as ``LiteRTModel`` is."""

    def __init__(self, artifact: Artifact):
        arch = artifact.metadata.get("arch")
        if arch != JUDGE_ARCH:
            raise ArtifactError(f"{artifact.path} holds a {arch!r} model, not a one-digit judge ({JUDGE_ARCH!r})")
        self.artifact = artifact
        self._model = LiteRTModel(artifact.tflite_path)
        if self._model.outputs != 1:
            raise ArtifactError(f"{artifact.tflite_path} gives {self._model.outputs} outputs; a judge gives one")

    @classmethod
    def load(cls, path: str | os.PathLike | None = None) -> OneDigitJudge:
        """Load a judge folder (None: the bundled judge). Raises ``ArtifactError``."""
        return cls(load_artifact(path or bundled_judge_dir()))

    @property
    def version(self) -> str:
        return self.artifact.version

    def one_digit_for(self, model_inputs: np.ndarray) -> np.ndarray:
        """(n, 28, 28) model inputs -> (n,) how surely each is exactly one digit, 0..1."""
        return self._model.infer(model_inputs)[:, 0]
