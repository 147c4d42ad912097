"""MLPRegressor: scikit-learn's MLP regressor on fastdnn's engine."""

import numpy as np
from sklearn.base import RegressorMixin, _fit_context
from sklearn.metrics import r2_score
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import column_or_1d

from fastdnn import _docstrings
from fastdnn._base import BaseMultilayerPerceptron


@_docstrings.fill
class MLPRegressor(RegressorMixin, BaseMultilayerPerceptron):
    """Multi-layer perceptron regressor, a drop-in for scikit-learn's.

    Same parameters, fitted attributes and behaviour as
    ``sklearn.neural_network.MLPRegressor``; minibatches are trained by a C++
    engine with the GIL released.

    Parameters
    ----------
    loss : {'squared_error', 'poisson'}, default='squared_error'
        Half squared error, or half Poisson deviance with a log link (the
        output activation is exp, and y must be non-negative).

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

    _parameter_constraints: dict = {
        **BaseMultilayerPerceptron._parameter_constraints,
        "loss": [StrOptions({"squared_error", "poisson"})],
    }

    def __init__(
        self,
        loss="squared_error",
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        n_jobs=None,
        monitor="auto",
        restore_best_weights="auto",
        start_from_epoch=0,
        scoring=None,
        callbacks=None,
        progress_bar=False,
        diagnostics=True,
        normalization=None,
        normalization_position="before",
        batch_norm_momentum=0.1,
        norm_epsilon=1e-5,
        dropout=0.0,
        input_dropout=0.0,
        dropout_kind="bernoulli",
        input_noise=0.0,
        activity_l1=0.0,
        residual=False,
        leaky_relu_slope=0.01,
        weight_init="auto",
        l1=0.0,
        weight_decay=None,
        rho=0.9,
        rmsprop_momentum=0.0,
        clipvalue=None,
        clipnorm=None,
        averaging=None,
        ema_decay=0.999,
        averaging_start="auto",
        trainable_layers=None,
        inference_precision="float32",
    ):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            max_iter=max_iter,
            loss=loss,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            n_iter_no_change=n_iter_no_change,
            max_fun=max_fun,
            n_jobs=n_jobs,
            monitor=monitor,
            restore_best_weights=restore_best_weights,
            start_from_epoch=start_from_epoch,
            scoring=scoring,
            callbacks=callbacks,
            progress_bar=progress_bar,
            diagnostics=diagnostics,
            normalization=normalization,
            normalization_position=normalization_position,
            batch_norm_momentum=batch_norm_momentum,
            norm_epsilon=norm_epsilon,
            dropout=dropout,
            input_dropout=input_dropout,
            dropout_kind=dropout_kind,
            input_noise=input_noise,
            activity_l1=activity_l1,
            residual=residual,
            leaky_relu_slope=leaky_relu_slope,
            weight_init=weight_init,
            l1=l1,
            weight_decay=weight_decay,
            rho=rho,
            rmsprop_momentum=rmsprop_momentum,
            clipvalue=clipvalue,
            clipnorm=clipnorm,
            averaging=averaging,
            ema_decay=ema_decay,
            averaging_start=averaging_start,
            trainable_layers=trainable_layers,
            inference_precision=inference_precision,
        )

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
        y_pred = self._forward_pass_fast(X, check_input=check_input)
        if y_pred.shape[1] == 1:
            return y_pred.ravel()
        return y_pred

    def _score(self, X, y, sample_weight=None):
        return self._score_with_function(
            X, y, sample_weight=sample_weight, score_function=r2_score
        )

    def _validate_input(self, X, y, incremental, reset):
        X, y = self._validate_training_data(X, y, reset, y_numeric=True)
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
