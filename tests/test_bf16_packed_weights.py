"""bfloat16 inference packs the weights once (Network.pack_bf16) and reuses
them: the same bits as packing them at every product, and a cache that
follows every change of the weights as int8's does."""

import warnings

import fastdnn
import numpy as np
import pytest
from fastdnn import MLPClassifier, _core
from sklearn.exceptions import ConvergenceWarning

rng = np.random.default_rng(3)
X = rng.normal(size=(70, 20)).astype(np.float32)
y = (X[:, 0] + X[:, 1] * X[:, 2] > 0).astype(int) + (X[:, 3] > 0.5)


def fitted(**params):
    model = MLPClassifier(
        hidden_layer_sizes=(48, 32),
        max_iter=3,
        inference_precision="bfloat16",
        **{"random_state": 0, **params},
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=ConvergenceWarning)
        return model.fit(X, y)


def packing_per_product(model, rows=X):
    """The model's bf16 probabilities with every product packing its weights."""
    return model._network.predict(_core.Dataset(rows), precision="bfloat16")


@pytest.mark.parametrize("params", [{}, {"residual": True, "normalization": "weight"}])
def test_packed_weights_predict_the_bits_of_packing_per_product(params):
    model = fitted(**params)
    network = model._network
    packed = network.pack_bf16()
    # Residual projections (48 to 32 units) are packed with the weights.
    assert packed.n_operands == (4 if params else 3)
    expected = packing_per_product(model)
    for n_threads in (1, 2):
        np.testing.assert_array_equal(
            network.predict(
                _core.Dataset(X), n_threads, precision="bfloat16", bf16_weights=packed
            ),
            expected,
        )
    for i in (0, 41):
        np.testing.assert_array_equal(
            network.predict(
                _core.Dataset(X[i : i + 1]), precision="bfloat16", bf16_weights=packed
            )[0],
            expected[i],
        )
    np.testing.assert_array_equal(model.predict_proba(X), expected)


def test_packed_weights_are_a_snapshot_read_instead_of_the_arena():
    model = fitted()
    network = model._network
    packed = network.pack_bf16()
    before = packing_per_product(model)
    network.coef(0)[...] = 0.0
    stale = network.predict(_core.Dataset(X), precision="bfloat16", bf16_weights=packed)
    np.testing.assert_array_equal(stale, before)
    assert not np.array_equal(packing_per_product(model), before)


def test_packed_weights_serve_only_their_network_in_bf16():
    model, other = fitted(), fitted(random_state=1)
    packed = model._network.pack_bf16()
    with pytest.raises(ValueError, match="packed from another network"):
        other._network.predict(
            _core.Dataset(X), precision="bfloat16", bf16_weights=packed
        )
    with pytest.raises(ValueError, match="serve precision 'bfloat16' only"):
        model._network.predict(_core.Dataset(X), bf16_weights=packed)


def test_the_cached_weights_follow_every_change_of_the_model():
    model = fitted()
    first = model.predict_proba(X)
    # In place, the packed copy could not see an edit: the views refuse it.
    with pytest.raises(ValueError, match="read-only"):
        model.coefs_[0][0, 0] = 1.0
    model.coefs_[0] = model.coefs_[0] * 2.0
    edited = model.predict_proba(X)
    assert not np.array_equal(edited, first)
    np.testing.assert_array_equal(edited, packing_per_product(model))
    # Edited in place in float32, then predicted in bf16 again.
    model.set_params(inference_precision="float32").predict_proba(X[:1])
    model.coefs_[1][...] = 0.0
    model.set_params(inference_precision="bfloat16")
    switched = model.predict_proba(X)
    assert not np.array_equal(switched, edited)
    np.testing.assert_array_equal(switched, packing_per_product(model))
    # A refit replaces the weights.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=ConvergenceWarning)
        model.set_params(random_state=5).fit(X, y)
    refit = model.predict_proba(X)
    assert not np.array_equal(refit, switched)
    np.testing.assert_array_equal(refit, packing_per_product(model))


def test_a_loaded_model_predicts_the_bits_of_the_saved_one(tmp_path):
    model = fitted()
    expected = model.predict_proba(X)
    path = tmp_path / "model.fastdnn"
    model.save(path)
    restored = fastdnn.load(path)
    np.testing.assert_array_equal(restored.predict_proba(X), expected)
    np.testing.assert_array_equal(restored.predict_proba(X[5:6])[0], expected[5])
