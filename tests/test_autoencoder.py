"""MLPAutoencoder: the mirrored network, its code, decoding and score."""

import pickle

import fastdnn
import numpy as np
import pytest
from estimator_helpers import digits_split, ignore_convergence
from fastdnn import MLPAutoencoder
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks


@pytest.fixture(scope="module")
def fitted():
    X, _, _, _ = digits_split()
    with ignore_convergence():
        return MLPAutoencoder((24, 6), max_iter=10, random_state=0).fit(X)


def relu(z):
    return np.maximum(z, 0.0)


def test_the_decoder_mirrors_the_encoder(fitted):
    assert [w.shape for w in fitted.coefs_] == [(64, 24), (24, 6), (6, 24), (24, 64)]
    assert fitted.out_activation_ == "identity"


def test_transform_is_the_linear_code_and_inverse_transform_decodes_it(fitted):
    _, X_test, _, _ = digits_split()
    W, b = fitted.coefs_, fitted.intercepts_
    code = relu(X_test @ W[0] + b[0]) @ W[1] + b[1]
    np.testing.assert_allclose(fitted.transform(X_test), code, rtol=1e-4, atol=1e-5)
    decoded = relu(code @ W[2] + b[2]) @ W[3] + b[3]
    np.testing.assert_allclose(
        fitted.inverse_transform(code), decoded, rtol=1e-4, atol=1e-5
    )
    # Through the code, the reconstruction the network gives.
    np.testing.assert_allclose(
        fitted.inverse_transform(fitted.transform(X_test)),
        fitted._forward_pass_fast(X_test),
        rtol=1e-5,
        atol=1e-6,
    )


def test_score_is_the_negative_reconstruction_mse(fitted):
    _, X_test, _, _ = digits_split()
    reconstruction = fitted.inverse_transform(fitted.transform(X_test))
    expected = -np.mean((X_test - reconstruction) ** 2)
    assert fitted.score(X_test) == pytest.approx(expected, rel=1e-5)


def test_a_code_activation_applies_to_the_code_layer_only():
    X, _, _, _ = digits_split()
    with ignore_convergence():
        model = MLPAutoencoder(
            (24, 6), code_activation="relu", activation="tanh", max_iter=1
        ).fit(X)
    assert model._network.hidden_activations == ["tanh", "relu", "tanh"]
    assert (model.transform(X) >= 0).all()


def test_inverse_transform_refuses_codes_of_another_width(fitted):
    with pytest.raises(ValueError, match="codes of 6 columns"):
        fitted.inverse_transform(np.zeros((2, 5)))


def test_saved_pickled_and_piped(fitted):
    X, X_test, y, y_test = digits_split()
    code = fitted.transform(X_test)
    for copy in (
        fastdnn.from_bytes(fitted.to_bytes()),
        pickle.loads(pickle.dumps(fitted)),
    ):
        np.testing.assert_array_equal(copy.transform(X_test), code)
    pipeline = make_pipeline(clone(fitted), LogisticRegression(max_iter=500))
    with ignore_convergence():
        pipeline.fit(X, y)
    assert pipeline.score(X_test, y_test) > 0.5


def test_input_noise_makes_it_denoising():
    X, _, _, _ = digits_split()
    with ignore_convergence():
        plain = MLPAutoencoder((24, 6), max_iter=2, random_state=0).fit(X)
        noisy = MLPAutoencoder((24, 6), max_iter=2, random_state=0, input_noise=0.3)
        noisy.fit(X)
    assert not np.array_equal(plain.coefs_[0], noisy.coefs_[0])


@parametrize_with_checks(
    [MLPAutoencoder((8, 4), max_iter=20)],
    expected_failed_checks=lambda estimator: {
        "check_sample_weight_equivalence_on_dense_data": "float32 compute",
        "check_sample_weight_equivalence_on_sparse_data": "float32 compute",
    },
)
@pytest.mark.filterwarnings("ignore", category=ConvergenceWarning)
def test_sklearn_compatible_autoencoder(estimator, check):
    check(estimator)


def test_feature_names_out_name_the_code(fitted):
    assert list(fitted.get_feature_names_out()) == [
        f"mlpautoencoder{i}" for i in range(6)
    ]


def test_grid_search_picks_by_reconstruction():
    from sklearn.model_selection import GridSearchCV

    X, _, _, _ = digits_split()
    search = GridSearchCV(
        MLPAutoencoder(max_iter=15, random_state=0),
        {"hidden_layer_sizes": [(24, 1), (24, 12)]},
        cv=2,
    )
    with ignore_convergence():
        search.fit(X)
    # A 12-number code rebuilds digits better than a single number.
    assert search.best_params_ == {"hidden_layer_sizes": (24, 12)}
    assert search.best_score_ < 0
