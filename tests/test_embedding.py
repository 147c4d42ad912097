"""MLPEmbedding: a fitted network's hidden layer as a transformer."""

import pickle

import numpy as np
import pytest
from estimator_helpers import digits_split, ignore_convergence
from fastdnn import MLPClassifier, MLPEmbedding
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline


@pytest.fixture(scope="module")
def embedding():
    X, _, y, _ = digits_split()
    with ignore_convergence():
        return MLPEmbedding(
            MLPClassifier((24, 12), activation="tanh", max_iter=5, random_state=0)
        ).fit(X, y)


@pytest.mark.parametrize("layer", [0, 1, -1, -2])
def test_transform_gives_the_hidden_layer_activations(embedding, layer):
    _, X_test, _, _ = digits_split()
    W, b = embedding.estimator_.coefs_, embedding.estimator_.intercepts_
    first = np.tanh(X_test @ W[0] + b[0])
    expected = first if layer % 2 == 0 else np.tanh(first @ W[1] + b[1])
    # The fitted copy at another layer (set_params does not refit).
    at_layer = pickle.loads(pickle.dumps(embedding)).set_params(layer=layer)
    np.testing.assert_allclose(
        at_layer.transform(X_test), expected, rtol=1e-4, atol=1e-5
    )


def test_a_row_embeds_alone_as_in_a_batch():
    X, X_test, y, _ = digits_split()
    with ignore_convergence():
        embedding = MLPEmbedding(
            MLPClassifier((24,), normalization="batch", dropout=0.2, max_iter=3)
        ).fit(X, y)
    batch = embedding.transform(X_test)
    alone = np.vstack([embedding.transform(row[None, :]) for row in X_test[:20]])
    np.testing.assert_array_equal(alone, batch[:20])


def test_it_fits_a_clone(embedding):
    assert not hasattr(embedding.estimator, "coefs_")
    assert embedding.n_features_in_ == 64


def test_a_layer_out_of_range_is_an_error():
    X, _, y, _ = digits_split()
    with pytest.raises(ValueError, match="2 hidden layers"):
        with ignore_convergence():
            MLPEmbedding(MLPClassifier((8, 4), max_iter=1), layer=2).fit(X, y)


def test_it_refuses_other_estimators():
    X, _, y, _ = digits_split()
    with pytest.raises(TypeError, match="fastdnn"):
        MLPEmbedding(LogisticRegression()).fit(X, y)


def test_in_a_pipeline_under_grid_search():
    X, X_test, y, y_test = digits_split()
    pipeline = make_pipeline(
        MLPEmbedding(MLPClassifier((32,), max_iter=10, random_state=0)),
        LogisticRegression(max_iter=300),
    )
    search = GridSearchCV(pipeline, {"mlpembedding__layer": [0, -1]}, cv=2)
    with ignore_convergence():
        search.fit(X, y)
    assert search.score(X_test, y_test) > 0.8


def test_feature_names_out_name_the_layers_units(embedding):
    names = embedding.get_feature_names_out()
    assert list(names) == [f"mlpembedding{i}" for i in range(12)]
