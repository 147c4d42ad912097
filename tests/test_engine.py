"""The C++ engine against the float64 numpy reference: gradients, forward pass,
sparse inputs, initialization, the Philox generator and input errors."""

import numpy as np
import numpy_reference as ref
import pytest
import scipy.sparse as sp
from engine_helpers import (
    HIDDEN_ACTIVATIONS,
    LAYER_UNITS,
    LOSSES,
    SOLVER_OPTIONS,
    assert_close,
    make_inputs,
    make_network,
    make_sample_weight,
    make_targets,
    make_trainer,
    parameters64,
    rows_away_from_relu_kinks,
)
from fastdnn import _core

ALPHA = 0.3  # large enough that a missing or mis-scaled L2 gradient shows


def gradient_problem(hidden_activation, loss, weighted, seed=0):
    """A small net and data set; for relu, only rows away from the kinks."""
    rng = np.random.default_rng(seed)
    net = make_network(LAYER_UNITS, hidden_activation, loss, seed=seed + 1)
    params = parameters64(net)
    X = make_inputs(rng, 40, LAYER_UNITS[0])
    if hidden_activation == "relu":
        rows = rows_away_from_relu_kinks(params, LAYER_UNITS, X, margin=1e-2)
        assert rows.size >= 12, "too few rows away from relu's kinks"
        X = np.ascontiguousarray(X[rows[:12]])
    else:
        X = X[:12]
    y = make_targets(rng, loss, X.shape[0], LAYER_UNITS[-1])
    sample_weight = make_sample_weight(rng, X.shape[0]) if weighted else None
    return net, params, X, y, sample_weight


# ----------------------------------------------------------------------------
# 1. gradients


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("hidden_activation", HIDDEN_ACTIVATIONS)
def test_gradient_matches_finite_differences_and_reference_backprop(
    hidden_activation, loss, weighted
):
    net, params, X, y, sw = gradient_problem(hidden_activation, loss, weighted)
    X64, y64 = X.astype(np.float64), y.astype(np.float64)
    sw64 = None if sw is None else sw.astype(np.float64)
    args = (LAYER_UNITS, hidden_activation, loss, X64, y64, sw64, ALPHA)

    value, gradient = net.loss_and_gradient(_core.Dataset(X), y, sw, loss, ALPHA)
    ref_value, ref_gradient = ref.loss_and_gradient(params, *args)
    numerical = ref.finite_difference_gradient(
        lambda p: ref.objective_of_gradient(p, *args), params
    )

    # The reference's analytic gradient is exact in float64: this guards the
    # reference itself (the finite differences carry ~1e-9 of error).
    assert_close(ref_gradient, numerical, rtol=1e-6, atol_fraction=1e-7)
    # The engine works in float32: ~1e-7 relative per operation, summed over
    # a few dozen terms, so 1e-4 relative with a floor at 1e-5 of the largest
    # component (small components come from cancelling sums).
    assert_close(gradient, ref_gradient, rtol=1e-4, atol_fraction=1e-5, what="vs ref")
    assert_close(gradient, numerical, rtol=1e-4, atol_fraction=1e-5, what="vs FD")
    assert value == pytest.approx(ref_value, rel=1e-5)


@pytest.mark.parametrize(
    "layer_units", [[4, 3], [4, 5, 4, 6, 3]], ids=["no-hidden", "three-hidden"]
)
def test_gradient_and_predict_for_other_depths(layer_units):
    # No hidden layer (the output layer is also the input layer: no input
    # delta) and an odd number of hidden layers (predict's ping-pong buffers).
    rng = np.random.default_rng(15)
    net = make_network(layer_units, "tanh", "log_loss", seed=16)
    params = parameters64(net)
    X = make_inputs(rng, 10, layer_units[0])
    y = make_targets(rng, "log_loss", 10, layer_units[-1])
    _, gradient = net.loss_and_gradient(_core.Dataset(X), y, None, "log_loss", ALPHA)
    _, ref_gradient = ref.loss_and_gradient(
        params, layer_units, "tanh", "log_loss", X.astype(np.float64),
        y.astype(np.float64), None, ALPHA,
    )  # fmt: skip
    assert_close(gradient, ref_gradient, rtol=1e-4, atol_fraction=1e-5)
    expected = ref.predict(params, layer_units, "tanh", "softmax", X.astype(np.float64))
    assert_close(net.predict(_core.Dataset(X)), expected, rtol=1e-5, atol_fraction=1e-6)


def test_loss_and_gradient_over_many_rows_matches_reference():
    # Past 4096 rows the full-batch gradient is accumulated chunk by chunk;
    # every chunk must be normalised by the total weight, not its own.
    rng = np.random.default_rng(17)
    layer_units = [3, 4, 2]
    net = make_network(layer_units, "relu", "squared_error", seed=18)
    X = make_inputs(rng, 9000, 3)
    y = make_targets(rng, "squared_error", 9000, 2)
    sw = make_sample_weight(rng, 9000)
    value, gradient = net.loss_and_gradient(
        _core.Dataset(X), y, sw, "squared_error", ALPHA
    )
    ref_value, ref_gradient = ref.loss_and_gradient(
        parameters64(net), layer_units, "relu", "squared_error",
        X.astype(np.float64), y.astype(np.float64), sw.astype(np.float64), ALPHA,
    )  # fmt: skip
    assert value == pytest.approx(ref_value, rel=1e-5)
    # Sums over 9000 float32 terms: a looser floor than the small problems.
    assert_close(gradient, ref_gradient, rtol=1e-3, atol_fraction=1e-4)


def test_inputs_of_any_layout_and_dtype_give_the_same_predictions():
    # float64 and Fortran-ordered arrays are converted, not misread.
    rng = np.random.default_rng(19)
    net = make_network([4, 5, 2], "tanh", "squared_error", seed=19)
    X = make_inputs(rng, 7, 4)
    expected = net.predict(_core.Dataset(X))
    for variant in (X.astype(np.float64), np.asfortranarray(X), X.T.copy().T):
        np.testing.assert_array_equal(net.predict(_core.Dataset(variant)), expected)


def test_l2_gradient_applies_to_weights_not_biases():
    # alpha changes the gradient by alpha·W/n on weights and by nothing on
    # biases: sklearn does not penalise intercepts.
    net, params, X, y, _ = gradient_problem("tanh", "squared_error", weighted=False)
    data = _core.Dataset(X)
    _, without = net.loss_and_gradient(data, y, None, "squared_error", 0.0)
    _, with_l2 = net.loss_and_gradient(data, y, None, "squared_error", ALPHA)
    mask = ref.weight_mask(LAYER_UNITS)
    expected = ALPHA * params * mask / X.shape[0]
    assert_close(with_l2 - without, expected, rtol=1e-4, atol_fraction=1e-4)
    assert np.all((with_l2 - without)[mask == 0] == 0.0)


def test_sample_weights_act_as_row_repetition():
    # An integer weight w on a row is the same as repeating it w times: the
    # loss and gradient are weighted means, L2 term over Σw included.
    net, _, X, y, _ = gradient_problem("tanh", "log_loss", weighted=False)
    counts = np.arange(X.shape[0]) % 3 + 1
    repeated = np.repeat(np.arange(X.shape[0]), counts)
    weighted_value, weighted_grad = net.loss_and_gradient(
        _core.Dataset(X), y, counts.astype(np.float32), "log_loss", ALPHA
    )
    repeated_value, repeated_grad = net.loss_and_gradient(
        _core.Dataset(np.ascontiguousarray(X[repeated])),
        np.ascontiguousarray(y[repeated]),
        None,
        "log_loss",
        ALPHA,
    )
    assert weighted_value == pytest.approx(repeated_value, rel=1e-5)
    assert_close(weighted_grad, repeated_grad, rtol=1e-4, atol_fraction=1e-5)


# ----------------------------------------------------------------------------
# 2. forward pass


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("hidden_activation", ["tanh", "relu"])
def test_predict_matches_reference_forward_pass(hidden_activation, loss):
    rng = np.random.default_rng(3)
    net = make_network(LAYER_UNITS, hidden_activation, loss, seed=4)
    X = make_inputs(rng, 50, LAYER_UNITS[0])
    expected = ref.predict(
        parameters64(net),
        LAYER_UNITS,
        hidden_activation,
        ref.OUTPUT_ACTIVATION[loss],
        X.astype(np.float64),
    )
    predicted = net.predict(_core.Dataset(X))
    assert predicted.dtype == np.float32
    assert predicted.shape == (50, LAYER_UNITS[-1])
    assert_close(predicted, expected, rtol=1e-5, atol_fraction=1e-6)


def test_predict_does_not_depend_on_chunking():
    # predict runs in chunks of 1024 rows: a row's output must not depend on
    # which chunk it lands in, nor on the rows around it.
    rng = np.random.default_rng(5)
    net = make_network([6, 8, 8, 3], "relu", "log_loss", seed=6)
    X = make_inputs(rng, 2500, 6)
    whole = net.predict(_core.Dataset(X))
    tail = net.predict(_core.Dataset(np.ascontiguousarray(X[2000:])))
    assert_close(whole[2000:], tail, rtol=1e-6, atol_fraction=1e-7)


def test_softmax_rows_sum_to_one():
    rng = np.random.default_rng(7)
    net = make_network([4, 6, 5], "tanh", "log_loss", seed=8)
    # Scale the output layer up so that probabilities are far from uniform.
    net.coef(1)[:] *= 20.0
    proba = net.predict(_core.Dataset(make_inputs(rng, 100, 4)))
    assert np.all(proba >= 0.0)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-6)
    assert proba.max() > 0.9, "the test meant to exercise peaked distributions"


def extreme_logit_network(loss):
    """A net whose output pre-activations are about ±1000: output weights
    small, output biases ±1000 (an overflow for a naive exp)."""
    net = make_network([3, 4, 3], "tanh", loss, seed=9)
    net.coef(1)[:] *= 0.1
    net.intercept(1)[:] = [1000.0, -1000.0, 0.0]
    return net


@pytest.mark.parametrize("loss", ["log_loss", "binary_log_loss"])
def test_extreme_logits_give_finite_loss_and_gradient(loss):
    rng = np.random.default_rng(10)
    net = extreme_logit_network(loss)
    X = make_inputs(rng, 6, 3)
    # Targets on the wrong side of the logits: the loss is ~1000 per sample.
    if loss == "log_loss":
        y = np.tile(np.array([0.0, 1.0, 0.0], np.float32), (6, 1))
    else:
        y = np.tile(np.array([0.0, 1.0, 1.0], np.float32), (6, 1))
    params = parameters64(net)

    proba = net.predict(_core.Dataset(X))
    assert np.all(np.isfinite(proba))
    expected_proba = ref.predict(
        params, [3, 4, 3], "tanh", ref.OUTPUT_ACTIVATION[loss], X.astype(np.float64)
    )
    assert_close(proba, expected_proba, rtol=1e-5, atol_fraction=1e-6)

    value, gradient = net.loss_and_gradient(_core.Dataset(X), y, None, loss, 0.01)
    assert np.isfinite(value) and np.all(np.isfinite(gradient))
    ref_value, ref_gradient = ref.loss_and_gradient(
        params, [3, 4, 3], "tanh", loss, X.astype(np.float64), y.astype(np.float64),
        None, 0.01,
    )  # fmt: skip
    assert value > 900.0, "the logits were meant to be extreme"
    assert value == pytest.approx(ref_value, rel=1e-6)
    assert_close(gradient, ref_gradient, rtol=1e-4, atol_fraction=1e-5)


# ----------------------------------------------------------------------------
# 6. sparse inputs


def sparse_problem(seed=11, n_samples=30, n_features=8):
    rng = np.random.default_rng(seed)
    dense = make_inputs(rng, n_samples, n_features)
    dense[rng.random(dense.shape) < 0.7] = 0.0  # mostly zeros
    dense[3] = 0.0  # an empty row
    csr = sp.csr_matrix(dense)
    data = _core.Dataset.from_csr(
        csr.data.astype(np.float32),
        csr.indices.astype(np.int64),
        csr.indptr.astype(np.int64),
        n_features,
    )
    return rng, dense, data


def test_csr_dataset_predicts_and_differentiates_like_dense():
    rng, dense, sparse_data = sparse_problem()
    net = make_network([8, 6, 4, 3], "relu", "log_loss", seed=12)
    y = make_targets(rng, "log_loss", dense.shape[0], 3)
    sw = make_sample_weight(rng, dense.shape[0])
    dense_data = _core.Dataset(dense)
    assert (sparse_data.n_samples, sparse_data.n_features) == dense.shape
    assert_close(
        net.predict(sparse_data), net.predict(dense_data), rtol=1e-6, atol_fraction=1e-7
    )
    sparse_value, sparse_grad = net.loss_and_gradient(
        sparse_data, y, sw, "log_loss", 0.1
    )
    dense_value, dense_grad = net.loss_and_gradient(dense_data, y, sw, "log_loss", 0.1)
    assert sparse_value == pytest.approx(dense_value, rel=1e-6)
    assert_close(sparse_grad, dense_grad, rtol=1e-5, atol_fraction=1e-6)


@pytest.mark.parametrize("shuffle", [False, True], ids=["ordered", "shuffled"])
def test_csr_dataset_trains_like_dense(shuffle):
    rng, dense, sparse_data = sparse_problem()
    y = make_targets(rng, "squared_error", dense.shape[0], 2)
    sw = make_sample_weight(rng, dense.shape[0])
    results = []
    for data in (_core.Dataset(dense), sparse_data):
        net = make_network([8, 6, 4, 2], "tanh", "squared_error", seed=13)
        trainer = make_trainer(net, "squared_error", 0.01, SOLVER_OPTIONS["adam"])
        # batch 7 does not divide 30: a partial last batch is gathered too.
        losses = [trainer.train_epoch(data, y, sw, 7, shuffle, 5, e) for e in range(3)]
        results.append((np.array(losses), np.array(net.parameters)))
    (dense_losses, dense_params), (sparse_losses, sparse_params) = results
    assert_close(sparse_losses, dense_losses, rtol=1e-5)
    assert_close(sparse_params, dense_params, rtol=1e-4, atol_fraction=1e-5)


def test_csr_duplicate_entries_add_up_like_scipy():
    # scipy's toarray() sums duplicate (row, column) entries; so must we.
    data = np.array([1.0, 2.0, 5.0], np.float32)
    indices = np.array([1, 1, 0], np.int64)
    indptr = np.array([0, 2, 3], np.int64)
    dense = sp.csr_matrix((data, indices, indptr), shape=(2, 2)).toarray()
    net = make_network([2, 3, 1], "tanh", "squared_error", seed=14)
    sparse_out = net.predict(_core.Dataset.from_csr(data, indices, indptr, 2))
    dense_out = net.predict(_core.Dataset(dense.astype(np.float32)))
    assert_close(sparse_out, dense_out, rtol=1e-6)


@pytest.mark.parametrize(
    ("indices", "indptr", "message"),
    [
        ([0, 5, 1], [0, 2, 3], "column index out of range"),
        ([0, -1, 1], [0, 2, 3], "column index out of range"),
        ([0, 1, 1], [0, 3, 2, 3], "indptr must not decrease"),
        ([0, 1, 1], [1, 2, 3], "indptr must start at 0"),
        ([0, 1, 1], [0, 2, 4], "indptr points past the data"),
    ],
    ids=["index-too-large", "index-negative", "decreasing", "start", "past-end"],
)  # fmt: skip
def test_malformed_csr_raises_value_error(indices, indptr, message):
    data = np.ones(len(indices), np.float32)
    with pytest.raises(ValueError, match=message):
        _core.Dataset.from_csr(
            data, np.array(indices, np.int64), np.array(indptr, np.int64), 3
        )


# ----------------------------------------------------------------------------
# 7. initialization


def test_glorot_initialization_is_bounded_and_uniform():
    layer_units = [400, 300, 10]
    net = _core.Network(layer_units, "relu", "softmax")
    net.initialize(123, 6.0)
    for layer in range(2):
        fan_in, fan_out = layer_units[layer], layer_units[layer + 1]
        bound = np.sqrt(6.0 / (fan_in + fan_out))
        weights = np.array(net.coef(layer), dtype=np.float64).ravel()
        biases = np.array(net.intercept(layer), dtype=np.float64)
        # float32 rounding of a value just inside the bound may land on it.
        for values in (weights, biases):
            assert np.all(np.abs(values) <= bound * (1 + 1e-6))
        # Biases come from the same law (sklearn's choice), not zeros.
        assert np.all(biases != 0.0)
        if layer == 0:  # 120000 weights: statistics are sharp
            n = weights.size
            # Tolerances are 5 standard errors of each statistic of U(-b, b).
            assert abs(weights.mean()) < 5 * bound / np.sqrt(3 * n)
            variance_se = bound**2 * np.sqrt(4.0 / 45.0 / n)
            assert abs(np.mean(weights**2) - bound**2 / 3) < 5 * variance_se
            # The whole range is used: a too-small bound would fail this.
            assert np.abs(weights).max() > 0.999 * bound
            # Flat histogram: 20 bins of ~6000 counts, each within 5 sigma.
            counts, _ = np.histogram(weights, bins=20, range=(-bound, bound))
            expected = n / 20
            assert np.all(np.abs(counts - expected) < 5 * np.sqrt(expected))


def test_glorot_factor_sets_the_bound():
    # sklearn uses factor 2 for logistic nets: the bound scales as sqrt(factor).
    net = _core.Network([200, 100, 1], "logistic", "logistic")
    net.initialize(1, 2.0)
    bound = np.sqrt(2.0 / 300)
    weights = np.array(net.coef(0))
    assert np.abs(weights).max() <= bound * (1 + 1e-6)
    assert np.abs(weights).max() > 0.99 * bound


def test_initialization_is_a_function_of_the_seed():
    def initialized(seed):
        net = _core.Network([30, 20, 20, 2], "tanh", "identity")
        net.initialize(seed, 6.0)
        return np.array(net.parameters)

    first = initialized(7)
    np.testing.assert_array_equal(initialized(7), first)
    assert not np.any(initialized(8) == first)  # independent draws, elementwise
    # Layers of the same shape get different numbers (distinct streams).
    net = _core.Network([30, 20, 20, 2], "tanh", "identity")
    net.initialize(7, 6.0)
    assert not np.allclose(np.array(net.coef(1))[:, :2], np.array(net.coef(2)))


# ----------------------------------------------------------------------------
# 8. Philox4x32-10 known answers


def words_to_u64(low_word, high_word):
    return low_word | (high_word << 32)


# Random123's kat_vectors: counter words c0..c3, key words k0 k1, then the
# expected output words. Our philox4x32(key, counter_high, counter_low) takes
# counter_low = c0 | c1 << 32, counter_high = c2 | c3 << 32, key = k0 | k1 << 32.
PHILOX_KAT = [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    (
        (0xFFFFFFFF,) * 4,
        (0xFFFFFFFF,) * 2,
        (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD),
    ),
    (
        (0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344),
        (0xA4093822, 0x299F31D0),
        (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1),
    ),
]


@pytest.mark.parametrize(
    ("counter", "key", "expected"), PHILOX_KAT, ids=["zeros", "ones", "pi"]
)
def test_philox_matches_random123_known_answers(counter, key, expected):
    result = _core.philox4x32(
        words_to_u64(*key),
        words_to_u64(counter[2], counter[3]),
        words_to_u64(counter[0], counter[1]),
    )
    assert tuple(result) == expected


# ----------------------------------------------------------------------------
# 9. errors


def test_wrong_feature_count_raises_clear_value_error():
    net = make_network([4, 5, 2], "relu", "squared_error")
    wrong = _core.Dataset(np.zeros((3, 5), np.float32))
    y = np.zeros((3, 2), np.float32)
    with pytest.raises(ValueError, match="X has 5 features, but the network expects 4"):
        net.predict(wrong)
    trainer = make_trainer(net, "squared_error", 0.0, SOLVER_OPTIONS["sgd_nesterov"])
    with pytest.raises(ValueError, match="X has 5 features, but the network expects 4"):
        trainer.train_epoch(wrong, y, None, 2, False, 0, 0)
    with pytest.raises(ValueError, match="features"):
        net.loss_and_gradient(wrong, y, None, "squared_error", 0.0)


def test_mismatched_loss_and_output_activation_raise_value_error():
    net = _core.Network([4, 5, 3], "relu", "softmax")
    data = _core.Dataset(np.zeros((2, 4), np.float32))
    y = np.zeros((2, 3), np.float32)
    for loss in ("squared_error", "poisson", "binary_log_loss"):
        with pytest.raises(ValueError, match="do not pair"):
            net.loss_and_gradient(data, y, None, loss, 0.0)
        with pytest.raises(ValueError, match="do not pair"):
            make_trainer(net, loss, 0.0, SOLVER_OPTIONS["adam"])


@pytest.mark.parametrize("name", ["softmax", "exp"])
def test_output_only_activation_as_hidden_raises_value_error(name):
    with pytest.raises(ValueError, match="output activation, not a hidden one"):
        _core.Network([4, 5, 3], name, "softmax")


def test_unknown_names_raise_value_error():
    with pytest.raises(ValueError, match="unknown activation 'sigmoid'"):
        _core.Network([4, 5, 3], "sigmoid", "softmax")
    net = _core.Network([4, 5, 3], "relu", "softmax")
    with pytest.raises(ValueError, match="unknown loss"):
        make_trainer(net, "hinge", 0.0, SOLVER_OPTIONS["adam"])
    with pytest.raises(ValueError, match="unknown solver"):
        make_trainer(
            net, "log_loss", 0.0, {**SOLVER_OPTIONS["adam"], "solver": "lbfgs"}
        )


def test_wrong_target_shape_raises_value_error():
    net = make_network([4, 5, 3], "relu", "log_loss")
    data = _core.Dataset(np.zeros((6, 4), np.float32))
    with pytest.raises(ValueError, match=r"targets must have shape \(6, 3\)"):
        net.loss_and_gradient(data, np.zeros((6, 2), np.float32), None, "log_loss", 0.0)
    trainer = make_trainer(net, "log_loss", 0.0, SOLVER_OPTIONS["adam"])
    with pytest.raises(ValueError, match="targets must have shape"):
        trainer.train_epoch(data, np.zeros((5, 3), np.float32), None, 2, False, 0, 0)
    with pytest.raises(ValueError, match="sample_weight"):
        trainer.train_epoch(
            data, np.zeros((6, 3), np.float32), np.ones(5, np.float32), 2, False, 0, 0
        )


def test_train_epoch_rejects_targets_with_wrong_number_of_outputs():
    # Too many columns would be silently misread, too few read past the end.
    net = make_network([4, 5, 3], "relu", "log_loss")
    data = _core.Dataset(np.zeros((6, 4), np.float32))
    trainer = make_trainer(net, "log_loss", 0.0, SOLVER_OPTIONS["adam"])
    for columns in (2, 5):
        with pytest.raises(ValueError, match="targets must have shape"):
            trainer.train_epoch(
                data, np.zeros((6, columns), np.float32), None, 2, False, 0, 0
            )
