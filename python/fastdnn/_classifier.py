"""MLPClassifier: scikit-learn's MLP classifier on fastdnn's engine."""

import numpy as np
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.metrics import accuracy_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import (
    _check_partial_fit_first_call,
    type_of_target,
    unique_labels,
)
from sklearn.utils.validation import column_or_1d

from fastdnn import _core, _docstrings
from fastdnn._base import BaseMultilayerPerceptron
from fastdnn._options import LABEL_SMOOTHING, SHARED_OPTIONS, with_parameters


def _fitted_label_binarizer(y):
    """LabelBinarizer().fit(y), counting the classes of small integer labels.

    LabelBinarizer finds the label type and then the classes, each with a
    np.unique of y, a visible part of a small net's fit and of each fit in a
    grid search (docs/architecture.md). For 1-d integer labels spanning a range
    no wider than their number, one bincount finds the same sorted classes,
    and their number the type, as type_of_target decides it (two or fewer:
    binary). Anything else is fitted by LabelBinarizer itself.
    """
    binarizer = LabelBinarizer()
    if not (
        type(y) is np.ndarray and y.ndim == 1 and y.dtype.kind in "iu" and len(y) > 0
    ):
        return binarizer.fit(y)
    low, high = int(y.min()), int(y.max())
    if high - low > len(y) or high > np.iinfo(np.intp).max:
        return binarizer.fit(y)
    counts = np.bincount(y.astype(np.intp) - low)
    binarizer.classes_ = (np.flatnonzero(counts) + low).astype(y.dtype)
    binarizer.y_type_ = "binary" if len(binarizer.classes_) <= 2 else "multiclass"
    binarizer.sparse_input_ = False
    return binarizer


@_docstrings.fill
@with_parameters((*SHARED_OPTIONS, LABEL_SMOOTHING), n_positional=2)
class MLPClassifier(ClassifierMixin, BaseMultilayerPerceptron):
    """Multi-layer perceptron classifier, a drop-in for scikit-learn's.

    Same parameters, fitted attributes and behaviour as
    ``sklearn.neural_network.MLPClassifier``; minibatches are trained by a C++
    engine with the GIL released. It minimises the log-loss: softmax
    cross-entropy for multiclass targets, sigmoid binary cross-entropy for
    binary and multilabel ones.

    Parameters
    ----------
    $parameters

    Attributes
    ----------
    classes_ : ndarray or list of ndarray of shape (n_classes,)
        Class labels for each output.

    $attributes

    See Also
    --------
    MLPRegressor : Multi-layer perceptron regressor.
    sklearn.neural_network.MLPClassifier : The estimator this one replaces.

    Examples
    --------
    >>> from fastdnn import MLPClassifier
    >>> from sklearn.datasets import make_classification
    >>> X, y = make_classification(n_samples=100, random_state=1)
    >>> clf = MLPClassifier(random_state=1, max_iter=300).fit(X, y)
    >>> clf.predict_proba(X[:1]).shape
    (1, 2)
    """

    # Not a parameter: a classifier's loss is the log-loss of its output.
    loss = "log_loss"

    def _validate_input(self, X, y, incremental, reset):
        X, y = self._validate_training_data(X, y, reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)

        # A fresh fit defines the classes; warm_start must keep them; a later
        # partial_fit may only bring classes it was told about.
        if not hasattr(self, "classes_") or (not self.warm_start and not incremental):
            self._label_binarizer = _fitted_label_binarizer(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if self.warm_start:
                if set(classes) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same "
                        "classes as in the previous call to fit. Previously "
                        f"got {self.classes_}, `y` has {classes}"
                    )
            elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError(
                    "`y` has classes not in `self.classes_`. "
                    f"`self.classes_` has {self.classes_}. 'y' has {classes}."
                )
        return X, self._binarize(y)

    def _binarize(self, y):
        """LabelBinarizer.transform(y) as bool, the engine's targets.

        For 1-d labels of two or more classes the indicator matrix is built
        directly from the sorted classes: transform would derive the label
        type and the classes again, which costs more than an epoch of a small
        net. The labels are known to be among the classes here.
        """
        binarizer = self._label_binarizer
        one_label_per_row = binarizer.y_type_ in ("binary", "multiclass")
        if y.ndim != 1 or not one_label_per_row or len(self.classes_) < 2:
            return binarizer.transform(y).astype(bool)
        if len(self.classes_) == 2:
            return (y == self.classes_[1]).reshape(-1, 1)
        codes = np.searchsorted(self.classes_, y)
        indicator = np.zeros((len(y), len(self.classes_)), dtype=bool)
        indicator[np.arange(len(y)), codes] = True
        return indicator

    def _validation_targets(self, y_val):
        """eval_set's labels as the engine's targets; unseen labels fail."""
        y_val = (
            column_or_1d(y_val) if y_val.ndim == 2 and y_val.shape[1] == 1 else y_val
        )
        unseen = np.setdiff1d(unique_labels(y_val), self.classes_)
        if len(unseen):
            raise ValueError(
                f"eval_set has labels not seen in training: {unseen}. "
                f"The classes are {self.classes_}."
            )
        return self._label_binarizer.transform(y_val)

    def predict(self, X):
        """Predict using the multi-layer perceptron classifier.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_classes)
            The predicted classes.
        """
        self._check_fitted()
        return self._predict(X)

    def _predict(self, X, check_input=True):
        return self._predictions_from(self._forward_pass_fast(X, check_input))

    def _predictions_from(self, outputs):
        # scikit-learn picks the first class for NaN outputs (NaN weights, or
        # inputs so large the hidden layers overflow): no class is picked.
        # The outputs are the engine's float32 values in X's dtype: scanned as
        # float32, exactly, by the engine's scan, the cheapest there is.
        if not _core.all_finite(outputs.astype(np.float32, copy=False)):
            rows = np.flatnonzero(~np.isfinite(outputs).all(axis=1))
            raise ValueError(
                f"The network's outputs are NaN or infinite for {len(rows)} of "
                f"{len(outputs)} rows (the first is row {rows[0]}), so no class "
                "can be predicted: coefs_ or intercepts_ hold NaN or infinity, or "
                "X's values in those rows are so large that the hidden layers "
                "overflow float32."
            )
        if self.n_outputs_ == 1:
            outputs = outputs.ravel()
        return self._labels_for(outputs)

    def _labels_for(self, y_pred):
        """The classes the network's outputs pick, by LabelBinarizer's rule
        (the largest output; with one output, above 0.5) without its input
        checks, which cost several times predicting a row."""
        binarizer = self._label_binarizer
        classes = binarizer.classes_
        if binarizer.y_type_ == "multiclass":
            return classes[y_pred.argmax(axis=1)]
        if binarizer.y_type_ == "binary" and len(classes) == 2:
            return classes[(y_pred > 0.5).astype(np.intp)]
        return binarizer.inverse_transform(y_pred)

    def _score(self, X, y, sample_weight=None):
        return self._score_with_function(
            X, y, sample_weight=sample_weight, score_function=accuracy_score
        )

    @available_if(lambda est: est._check_solver())
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Update the model with a single epoch over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        y : array-like of shape (n_samples,)
            The target values.

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        classes : array of shape (n_classes,), default=None
            Classes across all calls to partial_fit, required on the first
            call; y need not contain all of them.

        Returns
        -------
        self : object
            Trained MLP model.
        """
        if _check_partial_fit_first_call(self, classes):
            self._label_binarizer = LabelBinarizer()
            if type_of_target(y).startswith("multilabel"):
                self._label_binarizer.fit(y)
            else:
                self._label_binarizer.fit(classes)
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    def predict_log_proba(self, X):
        """Return the log of probability estimates.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        log_y_prob : ndarray of shape (n_samples, n_classes)
            The log-probability of each class, in the order of `classes_`.
        """
        y_prob = self.predict_proba(X)
        return np.log(y_prob, out=y_prob)

    def predict_proba(self, X, mc_samples=None):
        """Probability estimates.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        mc_samples : int, default=None
            MC dropout (Gal & Ghahramani, 2016): average the probabilities of
            this many stochastic passes with dropout on, for a model trained
            with dropout. None predicts once, dropout off.

        Returns
        -------
        y_prob : ndarray of shape (n_samples, n_classes)
            The probability of each class, in the order of `classes_`, in X's
            floating dtype.
        """
        self._check_fitted()
        if mc_samples is None:
            y_pred = self._forward_pass_fast(X)
        else:
            y_pred = self._mc_dropout_outputs(X, mc_samples).mean(axis=0)
        if self.n_outputs_ == 1:
            y_pred = y_pred.ravel()
        if y_pred.ndim == 1:
            return np.vstack([1 - y_pred, y_pred]).T
        return y_pred

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags
