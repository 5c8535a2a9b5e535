"""The recognition engine: MNIST data, preprocessing, models, training and serving.

Pure Python: nothing here imports Django, so every part works from a shell, a notebook
or ``python -m ml``. Serving (``ml.predictor``) never imports TensorFlow.
"""

from ml.preprocess import EmptyImageError, InvalidImageError, PreprocessError

__all__ = ["EmptyImageError", "InvalidImageError", "PreprocessError"]
