"""Distillation from a teacher: ``fit(X, y, teacher=fitted)``.

A classifier distils from the teacher's logits: the engine blends its
cross-entropy with the KL divergence from the teacher's softened outputs
(cpp/nn/distillation.h). A fastdnn teacher gives its output layer's
pre-activations; any other classifier gives log-probabilities from
``predict_proba``, which are logits up to a per-row constant the softmax
ignores. A regressor distils by training on targets blended with the
teacher's predictions.
"""

import numpy as np
from sklearn.base import is_classifier
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

# Where a probability is 0, its logarithm is taken of float32's smallest
# normal number instead: finite, and far below any probability that counts.
_SMALLEST_PROBABILITY = float(np.finfo(np.float32).tiny)


def _check_teacher(student, teacher):
    try:
        check_is_fitted(teacher)
    except (NotFittedError, TypeError) as error:
        raise ValueError(
            f"teacher must be a fitted estimator; got {type(teacher).__name__}: {error}"
        ) from None
    if is_classifier(student):
        if not (is_classifier(teacher) and hasattr(teacher, "predict_proba")):
            raise ValueError(
                "A classifier's teacher must be a classifier with predict_proba; "
                f"{type(teacher).__name__} is not."
            )
        teacher_classes = getattr(teacher, "classes_", None)
        if teacher_classes is None or not np.array_equal(
            np.asarray(teacher_classes, dtype=object),
            np.asarray(student.classes_, dtype=object),
        ):
            raise ValueError(
                f"The teacher's classes {teacher_classes!r} are not the student's "
                f"{student.classes_!r}: distillation matches their outputs class by "
                "class."
            )
    elif not hasattr(teacher, "predict"):
        raise ValueError(f"A regressor's teacher must have predict; got {teacher!r}.")


def _is_fastdnn(estimator):
    return hasattr(estimator, "_logits") and hasattr(estimator, "_network")


def _log_probabilities(probabilities):
    return np.log(np.maximum(probabilities, _SMALLEST_PROBABILITY))


def teacher_logits(student, teacher, X):
    """The teacher's logits for X as the student's outputs take them:
    float32 (n_samples, n_outputs)."""
    _check_teacher(student, teacher)
    n_outputs = student.n_outputs_
    if _is_fastdnn(teacher):
        logits = teacher._logits(X)
    else:
        probabilities = teacher.predict_proba(X)
        if isinstance(probabilities, list):  # per-output (n, 2) arrays
            probabilities = np.column_stack([p[:, -1] for p in probabilities])
        probabilities = np.asarray(probabilities, dtype=np.float64)
        if student.out_activation_ == "softmax":
            logits = _log_probabilities(probabilities)
        elif n_outputs == 1 and probabilities.shape[1] == 2:
            # One logistic output: its logit is log p1 − log p0.
            log_p = _log_probabilities(probabilities)
            logits = log_p[:, 1:] - log_p[:, :1]
        else:  # multilabel: each output's log-odds
            logits = _log_probabilities(probabilities) - _log_probabilities(
                1.0 - probabilities
            )
    logits = np.ascontiguousarray(logits, dtype=np.float32)
    if logits.shape != (X.shape[0], n_outputs):
        raise ValueError(
            f"The teacher gives outputs of shape {logits.shape[1:]}, but the student "
            f"has {n_outputs} outputs."
        )
    if not np.isfinite(logits).all():
        raise ValueError("The teacher's outputs hold NaN or infinity.")
    return logits


def blended_targets(student, teacher, X, y):
    """A regressor's targets (n_samples, n_outputs) moved a fraction
    distillation_weight of the way towards the teacher's predictions."""
    _check_teacher(student, teacher)
    predictions = np.asarray(teacher.predict(X), dtype=np.float64).reshape(y.shape)
    if not np.isfinite(predictions).all():
        raise ValueError("The teacher's predictions hold NaN or infinity.")
    weight = float(student.distillation_weight)
    return (1.0 - weight) * y + weight * predictions
