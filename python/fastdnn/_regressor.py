"""MLPRegressor: scikit-learn's MLP regressor on fastdnn's engine."""

import numpy as np
from sklearn.base import RegressorMixin, _fit_context
from sklearn.metrics import r2_score
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import column_or_1d

from fastdnn import _docstrings
from fastdnn._base import BaseMultilayerPerceptron
from fastdnn._float32_inputs import check_finite_in_float32
from fastdnn._options import REGRESSOR_LOSS, SHARED_OPTIONS, with_parameters


@_docstrings.fill
@with_parameters((REGRESSOR_LOSS, *SHARED_OPTIONS), n_positional=3)
class MLPRegressor(RegressorMixin, BaseMultilayerPerceptron):
    """Multi-layer perceptron regressor, a drop-in for scikit-learn's.

    Same parameters, fitted attributes and behaviour as
    ``sklearn.neural_network.MLPRegressor``; minibatches are trained by a C++
    engine with the GIL released.

    Parameters
    ----------
    $parameters

    Attributes
    ----------
    $attributes

    See Also
    --------
    MLPClassifier : Multi-layer perceptron classifier.
    sklearn.neural_network.MLPRegressor : The estimator this one replaces.

    Examples
    --------
    >>> from fastdnn import MLPRegressor
    >>> from sklearn.datasets import make_regression
    >>> X, y = make_regression(n_samples=200, n_features=20, random_state=1)
    >>> reg = MLPRegressor(random_state=1, max_iter=2000, tol=0.1).fit(X, y)
    >>> reg.predict(X[:2]).shape
    (2,)
    """

    def _validation_targets(self, y_val):
        """eval_set's targets as the engine's (n, n_outputs) matrix."""
        y_val = np.asarray(y_val, dtype=np.float64)
        y_val = y_val.reshape(-1, 1) if y_val.ndim == 1 else y_val
        if y_val.shape[1] != self.n_outputs_:
            raise ValueError(
                f"eval_set's y has {y_val.shape[1]} outputs; the model has "
                f"{self.n_outputs_}."
            )
        return y_val

    def predict(self, X, mc_samples=None, return_std=False):
        """Predict using the multi-layer perceptron model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        mc_samples : int, default=None
            MC dropout (Gal & Ghahramani, 2016): average this many stochastic
            passes with dropout on, for a model trained with dropout. None
            predicts once, dropout off.

        return_std : bool, default=False
            Also return the standard deviation of the MC dropout passes
            (needs mc_samples).

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predicted values, in X's floating dtype (float64 with
            mc_samples).

        y_std : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The MC dropout passes' standard deviation, when return_std.
        """
        self._check_fitted()
        if mc_samples is None:
            if return_std:
                raise ValueError(
                    "return_std=True needs mc_samples: the spread comes from "
                    "MC dropout passes."
                )
            return self._predict(X)
        samples = self._mc_dropout_outputs(X, mc_samples)
        mean, std = samples.mean(axis=0), samples.std(axis=0)
        if mean.shape[1] == 1:
            mean, std = mean.ravel(), std.ravel()
        return (mean, std) if return_std else mean

    def _predict(self, X, check_input=True):
        return self._predictions_from(self._forward_pass_fast(X, check_input))

    def _predictions_from(self, outputs):
        return outputs.ravel() if outputs.shape[1] == 1 else outputs

    def _score(self, X, y, sample_weight=None):
        return self._score_with_function(
            X, y, sample_weight=sample_weight, score_function=r2_score
        )

    def _validate_input(self, X, y, incremental, reset):
        X, y = self._validate_training_data(X, y, reset, y_numeric=True)
        # scikit-learn makes an object y float but leaves strings, which the
        # engine's float32 conversion would read ("inf" too); and it checks an
        # object y for NaN only.
        if y.dtype.kind not in "biuf":
            raise ValueError(
                f"{type(self).__name__} needs numeric targets y; got y of dtype "
                f"{y.dtype}."
            )
        check_finite_in_float32(y, "y", type(self).__name__)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        # scikit-learn lets a negative target through and trains on NaN
        # losses; the Poisson deviance is only defined for y >= 0.
        if self.loss == "poisson" and np.any(y < 0):
            raise ValueError(
                "loss='poisson' requires non-negative targets y; got a minimum "
                f"of {np.min(y)}."
            )
        return X, y

    @available_if(lambda est: est._check_solver())
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Update the model with a single epoch over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The target values.

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        self : object
            Trained MLP model.
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)
