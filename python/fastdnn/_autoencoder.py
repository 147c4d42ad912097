"""MLPAutoencoder: an unsupervised estimator and transformer.

The network is encoder, code, mirrored decoder: hidden_layer_sizes (256, 32)
builds input-256-32-256-input, trained to reconstruct its input (half squared
error). transform gives the code layer's outputs, inverse_transform decodes
codes, score is the negative reconstruction MSE.
"""

import numpy as np
from sklearn.base import (
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.metrics import mean_squared_error
from sklearn.utils.validation import validate_data

from fastdnn import _docstrings
from fastdnn._base import BaseMultilayerPerceptron
from fastdnn._float32_inputs import check_finite_in_float32, within_float32_range
from fastdnn._options import AUTOENCODER_OPTIONS, with_parameters


def _negative_mse(y, reconstruction, sample_weight=None):
    return -mean_squared_error(y, reconstruction, sample_weight=sample_weight)


@_docstrings.fill
@with_parameters(AUTOENCODER_OPTIONS, n_positional=1)
class MLPAutoencoder(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseMultilayerPerceptron
):
    """Multi-layer autoencoder: learns a code from which it rebuilds X.

    The encoder has ``hidden_layer_sizes``' widths, the last the code's; the
    decoder mirrors it, and a linear output layer gives the reconstruction.
    Input noise or input dropout (``input_noise``, ``input_dropout``) make
    it a denoising autoencoder. A fitted autoencoder is a transformer
    (``transform`` gives the code, ``inverse_transform`` decodes it) and can
    start a classifier's or regressor's encoder (``fit(X, y,
    init_from=autoencoder)``).

    Parameters
    ----------
    $parameters

    Attributes
    ----------
    $attributes

    See Also
    --------
    MLPEmbedding : A supervised network's hidden layer as a transformer.
    sklearn.decomposition.PCA : The linear autoencoder, in closed form.

    Examples
    --------
    >>> import numpy as np
    >>> from fastdnn import MLPAutoencoder
    >>> X = np.random.default_rng(0).normal(size=(200, 20))
    >>> autoencoder = MLPAutoencoder((16, 4), max_iter=20, random_state=0)
    >>> autoencoder.fit(X).transform(X[:3]).shape
    (3, 4)
    """

    # The reconstruction's loss, not a parameter: the engine's half squared
    # error with an identity output, as MLPRegressor's default.
    loss = "squared_error"

    def _checked_hidden_layer_sizes(self):
        encoder = super()._checked_hidden_layer_sizes()
        return [*encoder, *encoder[-2::-1]]

    @property
    def _n_features_out(self):
        """The code's width (get_feature_names_out names its columns)."""
        return self._network.layer_units[self._code_layer() + 1]

    def _code_layer(self):
        """The code layer's index among the hidden layers."""
        return (len(self._network.layer_units) - 2) // 2

    def _hidden_activations(self, n_hidden):
        n_encoder = (n_hidden + 1) // 2
        encoder = super()._hidden_activations(n_encoder)
        encoder[-1] = self.code_activation
        return [*encoder, *encoder[-2::-1]]

    def _validate_input(self, X, y, incremental, reset):
        X = validate_data(
            self,
            X,
            accept_sparse=["csr", "csc"],
            dtype=(np.float64, np.float32),
            reset=reset,
            ensure_all_finite=False,
        )
        if not isinstance(X, np.ndarray) or not within_float32_range(X):
            check_finite_in_float32(X, "X", type(self).__name__)
        # The targets are the inputs, dense.
        return X, X.toarray() if hasattr(X, "toarray") else X

    def _validation_targets(self, y_val):
        """eval_set's targets: the validation inputs, (X_val, X_val)."""
        y_val = np.asarray(y_val.toarray() if hasattr(y_val, "toarray") else y_val)
        if y_val.ndim != 2 or y_val.shape[1] != self.n_outputs_:
            raise ValueError(
                "eval_set must be (X_val, X_val) for an autoencoder: its targets "
                f"have {self.n_outputs_} columns."
            )
        return y_val.astype(np.float64)

    def _predictions_from(self, outputs):
        return outputs

    def _score(self, X, y, sample_weight=None):
        return self._score_with_function(
            X, y, sample_weight=sample_weight, score_function=_negative_mse
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None, *, init_from=None, difficulty=None):
        """Fit the autoencoder to reconstruct X.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        y : None
            Ignored.

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        init_from : fitted fastdnn estimator, default=None
            Start from its leading hidden layers where their shapes match
            (see ``MLPClassifier.fit``).

        difficulty : array-like of shape (n_samples,), default=None
            Each sample's difficulty, for ``curriculum``.

        Returns
        -------
        self : object
            The fitted autoencoder.
        """
        return self._fit(
            X,
            None,
            sample_weight=sample_weight,
            init_from=init_from,
            difficulty=difficulty,
        )

    def transform(self, X):
        """The code (the code layer's outputs) of each row of X.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        code : ndarray of shape (n_samples, hidden_layer_sizes[-1])
            In X's floating dtype (float64 for any other).
        """
        self._check_fitted()
        return self._layer_outputs(X, self._code_layer())

    def inverse_transform(self, X):
        """The reconstruction that each code decodes to.

        Parameters
        ----------
        X : array-like of shape (n_samples, hidden_layer_sizes[-1])
            Codes, as ``transform`` gives them.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features)
            In the space of the inputs ``fit`` saw.
        """
        self._check_fitted()
        code_layer = self._code_layer()
        width = self._network.layer_units[code_layer + 1]
        codes = np.asarray(X)
        if codes.ndim != 2 or codes.shape[1] != width:
            raise ValueError(
                f"inverse_transform takes codes of {width} columns (the code "
                f"layer's width); got an array of shape {codes.shape}."
            )
        if codes.dtype.kind not in "fiu":
            raise ValueError(f"codes must be real numbers, got dtype {codes.dtype}.")
        check_finite_in_float32(codes, "X", type(self).__name__)
        if codes.dtype not in (np.float32, np.float64):
            codes = codes.astype(np.float64)
        output_layer = len(self._network.layer_units) - 2
        return self._layer_outputs(codes, output_layer, first=code_layer + 1)

    def score(self, X, y=None, sample_weight=None):
        """The negative mean squared error of X's reconstruction.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        y : None
            Ignored.

        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float
            −mean((X − reconstruction)²): higher is better, as scikit-learn's
            model selection needs.
        """
        self._check_fitted()
        X = self._validate_for_prediction(X)
        reconstruction = self._forward_pass_fast(X, check_input=True)
        target = X.toarray() if hasattr(X, "toarray") else X
        return float(_negative_mse(target, reconstruction, sample_weight))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = False
        return tags
