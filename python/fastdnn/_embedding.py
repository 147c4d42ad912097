"""MLPEmbedding: a supervised network's hidden layer as a transformer.

The classifier and regressor have no ``transform`` (scikit-learn's checks
would then take them for transformers); this meta-estimator fits a clone of
one and gives a hidden layer's activations, for pipelines.
"""

from numbers import Integral

from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
    clone,
)
from sklearn.utils._param_validation import HasMethods
from sklearn.utils.validation import check_is_fitted


class MLPEmbedding(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """The activations of a hidden layer of a fitted fastdnn network.

    ``fit(X, y)`` fits a clone of ``estimator``; ``transform(X)`` returns the
    outputs of hidden layer ``layer`` in prediction mode (batch norm's
    running averages, no dropout), so a row's embedding does not depend on
    the rows beside it.

    Parameters
    ----------
    estimator : MLPClassifier, MLPRegressor or MLPAutoencoder
        The network to fit (a clone is fitted).

    layer : int, default=-1
        Which hidden layer: an index into the hidden layers, negative from
        the last one (-1, the layer below the output).

    Attributes
    ----------
    estimator_ : estimator
        The fitted clone.

    n_features_in_ : int
        Number of features seen during fit.

    Examples
    --------
    >>> from fastdnn import MLPClassifier, MLPEmbedding
    >>> from sklearn.datasets import make_classification
    >>> X, y = make_classification(n_samples=100, random_state=0)
    >>> embedding = MLPEmbedding(MLPClassifier((16, 8), max_iter=300, random_state=0))
    >>> embedding.fit(X, y).transform(X[:2]).shape
    (2, 8)
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["fit"])],
        "layer": [Integral],
    }

    def __init__(self, estimator, layer=-1):
        self.estimator = estimator
        self.layer = layer

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None, **fit_params):
        """Fit a clone of the estimator.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        **fit_params : dict
            Passed to the estimator's fit (sample_weight, eval_set, init_from,
            ...).

        Returns
        -------
        self : object
        """
        from fastdnn._base import BaseMultilayerPerceptron

        if not isinstance(self.estimator, BaseMultilayerPerceptron):
            raise TypeError(
                "MLPEmbedding takes a fastdnn MLPClassifier, MLPRegressor or "
                f"MLPAutoencoder, not {type(self.estimator).__name__}."
            )
        estimator = clone(self.estimator)
        estimator.fit(X, y, **fit_params)
        self._hidden_layer(estimator)
        self.estimator_ = estimator
        self.n_features_in_ = estimator.n_features_in_
        if hasattr(estimator, "feature_names_in_"):
            self.feature_names_in_ = estimator.feature_names_in_
        return self

    @property
    def _n_features_out(self):
        """The layer's width (get_feature_names_out names its columns)."""
        estimator = self.estimator_
        return estimator._network.layer_units[self._hidden_layer(estimator) + 1]

    def _hidden_layer(self, estimator):
        """layer as a non-negative index into the fitted network's hidden
        layers, or ValueError."""
        n_hidden = len(estimator._network.layer_units) - 2
        if not -n_hidden <= self.layer < n_hidden:
            raise ValueError(
                f"layer={self.layer} is out of range: the network has {n_hidden} "
                f"hidden layers (0 to {n_hidden - 1}, or -{n_hidden} to -1)."
            )
        return self.layer % n_hidden

    def transform(self, X):
        """The hidden layer's activations for each row of X.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        embedding : ndarray of shape (n_samples, units of the layer)
            In X's floating dtype (float64 for any other).
        """
        check_is_fitted(self, "estimator_")
        estimator = self.estimator_
        return estimator._layer_outputs(X, self._hidden_layer(estimator))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
