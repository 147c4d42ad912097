"""Curriculum learning: train on the easy samples first.

``fit(X, y, difficulty=scores)`` with ``curriculum='linear'``, ``'root'`` or
``'step'`` draws epoch e's minibatches only from the easiest fraction
``pacing(curriculum, e, curriculum_epochs)`` of the samples (higher scores
are harder); from epoch ``curriculum_epochs`` on, from all of them.
``history_`` records each epoch's ``samples``. ``difficulty_by_loss``
scores samples by a model's loss on them, one common choice (Hacohen &
Weinshall, 2019, score by a teacher's confidence).
"""

import math

import numpy as np
from sklearn.base import clone, is_classifier
from sklearn.utils.validation import check_array

__all__ = ["difficulty_by_loss", "pacing"]

# The fraction of the samples the first epoch sees.
START_FRACTION = 0.1
# 'step' reaches every sample in this many equal stages.
_STEPS = 4


def pacing(curriculum, epoch, curriculum_epochs):
    """The fraction of the samples (easiest first) that epoch ``epoch`` of a
    fit (counted from 0) draws from.

    'linear' rises in equal steps from START_FRACTION, 'root' as the square
    root (Platanios et al., 2019: more samples early, when each is new),
    'step' in four equal stages; 1 from ``curriculum_epochs`` on.

    Parameters
    ----------
    curriculum : {'linear', 'root', 'step'}
        The pacing function, the estimators' ``curriculum`` parameter.
    epoch : int
        Epochs already taken, counted from 0.
    curriculum_epochs : int
        The first epoch that draws from every sample.

    Returns
    -------
    fraction : float
        Between START_FRACTION (0.1, at epoch 0) and 1.
    """
    if epoch >= curriculum_epochs:
        return 1.0
    progress = epoch / curriculum_epochs
    if curriculum == "linear":
        return START_FRACTION + (1 - START_FRACTION) * progress
    if curriculum == "root":
        return math.sqrt(START_FRACTION**2 + (1 - START_FRACTION**2) * progress)
    if curriculum == "step":
        return (
            START_FRACTION
            + (1 - START_FRACTION) * math.floor(_STEPS * progress) / _STEPS
        )
    raise ValueError(
        f"curriculum must be 'linear', 'root' or 'step', got {curriculum!r}."
    )


def checked_difficulty(difficulty, n_samples):
    """difficulty as a float64 vector of n_samples finite scores."""
    scores = check_array(
        difficulty, ensure_2d=False, dtype=np.float64, input_name="difficulty"
    )
    if scores.ndim != 1 or scores.shape[0] != n_samples:
        raise ValueError(
            f"difficulty must hold one score per sample ({n_samples}), got shape "
            f"{scores.shape}."
        )
    return scores


def difficulty_by_loss(estimator, X, y):
    """Each sample's loss under ``estimator``: a difficulty score.

    A fitted estimator scores as it is; an unfitted one is first fitted (a
    clone, on X and y). Scores by a model fitted on the same samples rank
    the ones it could not fit as hardest; a model fitted on other data (a
    teacher) gives an independent ranking.

    Parameters
    ----------
    estimator : classifier with predict_proba, or regressor
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)

    Returns
    -------
    difficulty : ndarray of shape (n_samples,)
        The log-loss of each sample (classifier) or its squared error summed
        over the outputs (regressor).
    """
    try:
        fitted = hasattr(estimator, "n_features_in_")
    except Exception:  # a property that raises when not fitted
        fitted = False
    if not fitted:
        estimator = clone(estimator).fit(X, y)
    if is_classifier(estimator):
        y = np.asarray(y)
        if y.ndim != 1:
            raise ValueError(
                "difficulty_by_loss scores single-output classifiers; y has shape "
                f"{y.shape}."
            )
        probabilities = estimator.predict_proba(X)
        columns = np.searchsorted(estimator.classes_, y)
        columns = np.clip(columns, 0, len(estimator.classes_) - 1)
        if not np.array_equal(estimator.classes_[columns], y):
            raise ValueError("y holds labels the classifier has not seen.")
        picked = probabilities[np.arange(len(y)), columns]
        return -np.log(np.clip(picked, np.finfo(np.float64).tiny, None))
    predictions = np.asarray(estimator.predict(X), dtype=np.float64)
    errors = (predictions - np.asarray(y, dtype=np.float64)) ** 2
    return errors.reshape(len(errors), -1).sum(axis=1)
