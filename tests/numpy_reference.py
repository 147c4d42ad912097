"""A float64 numpy reference for fastdnn's engine, written to be read.

Everything here follows scikit-learn 1.9's MLP (sklearn/neural_network/_base.py,
_multilayer_perceptron.py's _backprop and _fit_stochastic, and
_stochastic_optimizers.py), in plain functions over a flat parameter vector laid
out as the engine's arena: W0 (units[0], units[1]), b0 (units[1]), W1, b1, ...

The engine computes in float32; the tests copy its parameters to float64, run
the same computation here and compare within float32 tolerances.
"""

import numpy as np
from scipy.special import expit, ndtr, xlogy

# Which output activation each loss pairs with (its canonical link, so that the
# loss's derivative with respect to the output pre-activation z is f(z) - y).
OUTPUT_ACTIVATION = {
    "squared_error": "identity",
    "poisson": "exp",
    "log_loss": "softmax",
    "binary_log_loss": "logistic",
}


# ----------------------------------------------------------------------------
# parameters


def parameter_shapes(layer_units):
    """[(W0 shape), (b0 shape), (W1 shape), ...] in arena order."""
    shapes = []
    for fan_in, fan_out in zip(layer_units[:-1], layer_units[1:], strict=True):
        shapes.append((fan_in, fan_out))
        shapes.append((fan_out,))
    return shapes


def unpack(params, layer_units):
    """Flat arena -> (list of weights, list of biases), as views of params."""
    weights, biases = [], []
    offset = 0
    for index, shape in enumerate(parameter_shapes(layer_units)):
        size = int(np.prod(shape))
        block = params[offset : offset + size].reshape(shape)
        (weights if index % 2 == 0 else biases).append(block)
        offset += size
    assert offset == params.size, "parameter vector does not match layer_units"
    return weights, biases


def weight_mask(layer_units):
    """1.0 where the arena holds a weight, 0.0 where it holds a bias."""
    mask = []
    for index, shape in enumerate(parameter_shapes(layer_units)):
        mask.append(np.full(int(np.prod(shape)), 1.0 if index % 2 == 0 else 0.0))
    return np.concatenate(mask)


# ----------------------------------------------------------------------------
# activations


LEAKY_RELU_SLOPE = 0.01  # the engine's and the estimators' default
SELU_SCALE = 1.0507009873554804934193349852946  # Klambauer et al. (2017)
SELU_ALPHA = 1.6732632423543772848170429916717


def activation(name, z, leaky_relu_slope=LEAKY_RELU_SLOPE):
    """f(z) in float64. gelu is the exact x·Φ(x) (PyTorch's default nn.GELU);
    gelu and silu at z = -inf give their limit 0 (x·0 would be NaN)."""
    if name == "identity":
        return z.copy()
    if name == "logistic":
        return expit(z)
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "leaky_relu":
        return np.where(z < 0.0, leaky_relu_slope * z, z)
    if name == "elu":
        return np.where(z > 0.0, z, np.expm1(np.minimum(z, 0.0)))
    if name == "selu":
        return SELU_SCALE * np.where(
            z > 0.0, z, SELU_ALPHA * np.expm1(np.minimum(z, 0.0))
        )
    if name == "gelu":
        return np.where(z == -np.inf, 0.0, z * ndtr(z))
    if name == "silu":
        return np.where(z == -np.inf, 0.0, z * expit(z))
    if name == "softplus":
        return np.logaddexp(0.0, z)
    if name == "exp":
        return np.exp(z)
    if name == "softmax":
        shifted = z - z.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        return e / e.sum(axis=1, keepdims=True)
    raise ValueError(name)


def activation_derivative_from_output(name, a):
    """f'(z) written with a = f(z), as sklearn's DERIVATIVES do."""
    if name == "identity":
        return np.ones_like(a)
    if name == "logistic":
        return a * (1.0 - a)
    if name == "tanh":
        return 1.0 - a**2
    if name == "relu":
        return (a != 0.0).astype(a.dtype)
    raise ValueError(name)


def activation_derivative(name, z, leaky_relu_slope=LEAKY_RELU_SLOPE):
    """f'(z) from the pre-activation, for every hidden activation (gelu and
    silu's cannot be written with f(z) alone). At a kink (relu, leaky_relu,
    selu at 0) it takes the left derivative, as the engine does."""
    if name == "identity":
        return np.ones_like(z)
    if name in ("logistic", "tanh"):
        return activation_derivative_from_output(name, activation(name, z))
    if name == "relu":
        return (z > 0.0).astype(z.dtype)
    if name == "leaky_relu":
        return np.where(z > 0.0, 1.0, leaky_relu_slope)
    if name == "elu":
        return np.where(z > 0.0, 1.0, np.exp(np.minimum(z, 0.0)))
    if name == "selu":
        return SELU_SCALE * np.where(
            z > 0.0, 1.0, SELU_ALPHA * np.exp(np.minimum(z, 0.0))
        )
    if name == "gelu":
        # Φ(z) + z·φ(z); z·φ(z) → 0 as |z| → inf
        density = np.exp(-0.5 * np.minimum(z * z, 1e300)) / np.sqrt(2.0 * np.pi)
        return ndtr(z) + np.where(np.isinf(z), 0.0, z * density)
    if name == "silu":
        sigma = expit(z)
        return sigma + np.where(np.isinf(z), 0.0, z * sigma * (1.0 - sigma))
    if name == "softplus":
        return expit(z)
    raise ValueError(name)


def hidden_activation_list(hidden_activation, n_hidden):
    """One activation name per hidden layer, from a name or a list of names."""
    if isinstance(hidden_activation, str):
        return [hidden_activation] * n_hidden
    assert len(hidden_activation) == n_hidden, "one activation per hidden layer"
    return list(hidden_activation)


# ----------------------------------------------------------------------------
# forward pass


def forward(params, layer_units, hidden_activation, X):
    """Returns (hidden, z): hidden = [X, a1, ..., a_{L-1}] the layer inputs, and
    z the output layer's pre-activation (the output activation is applied by
    `predict`; the losses read z directly). hidden_activation is a name or a
    list with one name per hidden layer."""
    hidden, pre_activations = forward_with_pre_activations(
        params, layer_units, hidden_activation, X
    )
    return hidden, pre_activations[-1]


def forward_with_pre_activations(params, layer_units, hidden_activation, X):
    """(hidden, [z1, ..., z_L]): forward's layer inputs and every layer's
    pre-activation, the output layer's last."""
    weights, biases = unpack(params, layer_units)
    names = hidden_activation_list(hidden_activation, len(weights) - 1)
    hidden, pre_activations = [X], []
    a = X
    for layer, (W, b) in enumerate(zip(weights, biases, strict=True)):
        z = a @ W + b
        pre_activations.append(z)
        if layer == len(weights) - 1:
            return hidden, pre_activations
        a = activation(names[layer], z)
        hidden.append(a)
    raise AssertionError("unreachable")


def predict(params, layer_units, hidden_activation, output_activation, X):
    _, z = forward(params, layer_units, hidden_activation, X)
    return activation(output_activation, z)


# ----------------------------------------------------------------------------
# losses, as sklearn's LOSS_FUNCTIONS define them, but computed from the
# pre-activation z so that they stay exact where probabilities round to 0 or 1
# (sklearn clips probabilities at eps instead; the two agree away from there).


def per_sample_loss(loss, z, y):
    """(n_samples, n_outputs) terms whose weighted average over samples, then
    reduction over outputs, is sklearn's loss."""
    if loss == "squared_error":
        return 0.5 * (y - z) ** 2
    if loss == "poisson":
        # xlogy(y, y / exp(z)) - y + exp(z)
        return xlogy(y, y) - y * z - y + np.exp(z)
    if loss == "log_loss":
        log_sum_exp = np.logaddexp.reduce(z, axis=1, keepdims=True)
        return -y * (z - log_sum_exp)
    if loss == "binary_log_loss":
        # -[y log σ(z) + (1-y) log(1-σ(z))] = softplus(z) - y z
        return np.logaddexp(0.0, z) - y * z
    raise ValueError(loss)


def data_loss(loss, z, y, sample_weight=None):
    """sklearn's loss value: squared_error averages over outputs, the others sum."""
    averaged = np.average(per_sample_loss(loss, z, y), weights=sample_weight, axis=0)
    return averaged.mean() if loss == "squared_error" else averaged.sum()


def weight_sum(n_samples, sample_weight):
    return float(n_samples) if sample_weight is None else float(np.sum(sample_weight))


def l2_penalty(params, layer_units, alpha, sw_sum):
    """0.5·alpha·Σ‖W‖² / Σw, on the weights only (never the biases)."""
    weights, _ = unpack(params, layer_units)
    return (
        0.5 * alpha * sum(float(np.dot(W.ravel(), W.ravel())) for W in weights) / sw_sum
    )


def l1_penalty(params, layer_units, l1, sw_sum):
    """l1·Σ|W| / Σw, scaled as sklearn scales its L2 term, weights only."""
    weights, _ = unpack(params, layer_units)
    return l1 * sum(float(np.abs(W).sum()) for W in weights) / sw_sum


def loss(
    params,
    layer_units,
    hidden_activation,
    loss_name,
    X,
    y,
    sample_weight,
    alpha,
    l1=0.0,
):
    """sklearn's batch loss: data loss plus the L2 term (and fastdnn's L1)."""
    _, z = forward(params, layer_units, hidden_activation, X)
    sw_sum = weight_sum(X.shape[0], sample_weight)
    return (
        data_loss(loss_name, z, y, sample_weight)
        + l2_penalty(params, layer_units, alpha, sw_sum)
        + l1_penalty(params, layer_units, l1, sw_sum)
    )


def objective_of_gradient(
    params, layer_units, hidden_activation, loss_name, X, y, sample_weight, alpha
):
    """The function whose exact gradient sklearn's _backprop returns.

    It is `loss` except for squared_error with several outputs: sklearn's
    squared_loss averages over outputs, but its delta (y_pred - y) is the
    derivative of the *sum* over outputs, so its gradient is that of n_outputs
    times the data term (the L2 term is not scaled). For the other losses the
    two are the same function. Finite differences are taken of this.
    """
    _, z = forward(params, layer_units, hidden_activation, X)
    sw_sum = weight_sum(X.shape[0], sample_weight)
    data = data_loss(loss_name, z, y, sample_weight)
    if loss_name == "squared_error":
        data *= z.shape[1]
    return data + l2_penalty(params, layer_units, alpha, sw_sum)


# ----------------------------------------------------------------------------
# backpropagation, as sklearn's _backprop


def loss_and_gradient(
    params,
    layer_units,
    hidden_activation,
    loss_name,
    X,
    y,
    sample_weight,
    alpha,
    l1=0.0,
):
    """(loss, gradient in arena order), exactly sklearn's _backprop:
    delta_last = (f(z) - y)·w_i; dW = (a_prevᵀ delta + alpha·W) / Σw;
    db = Σ_rows delta / Σw; delta_prev = delta Wᵀ · f'(z_prev) (sklearn writes
    f'(z_prev) with a_prev, which only its four activations allow).
    fastdnn's L1 adds l1·Σ|W| / Σw to the loss and l1·sign(W) / Σw to dW."""
    weights, _ = unpack(params, layer_units)
    hidden, pre_activations = forward_with_pre_activations(
        params, layer_units, hidden_activation, X
    )
    names = hidden_activation_list(hidden_activation, len(weights) - 1)
    z = pre_activations[-1]
    output = activation(OUTPUT_ACTIVATION[loss_name], z)
    sw_sum = weight_sum(X.shape[0], sample_weight)
    value = (
        data_loss(loss_name, z, y, sample_weight)
        + l2_penalty(params, layer_units, alpha, sw_sum)
        + l1_penalty(params, layer_units, l1, sw_sum)
    )

    delta = output - y
    if sample_weight is not None:
        delta = delta * sample_weight[:, None]
    coef_grads = [None] * len(weights)
    intercept_grads = [None] * len(weights)
    for layer in range(len(weights) - 1, -1, -1):
        a_prev = hidden[layer]
        coef_grads[layer] = (
            a_prev.T @ delta + alpha * weights[layer] + l1 * np.sign(weights[layer])
        ) / sw_sum
        intercept_grads[layer] = delta.sum(axis=0) / sw_sum
        if layer > 0:
            delta = (delta @ weights[layer].T) * activation_derivative(
                names[layer - 1], pre_activations[layer - 1]
            )
    gradient = np.concatenate(
        [
            g.ravel()
            for pair in zip(coef_grads, intercept_grads, strict=True)
            for g in pair
        ]
    )
    return value, gradient


def finite_difference_gradient(f, params, eps=1e-6):
    """Central differences (f(p + eps e_i) - f(p - eps e_i)) / 2eps, in float64."""
    params = np.array(params, dtype=np.float64)
    gradient = np.empty_like(params)
    for i in range(params.size):
        saved = params[i]
        params[i] = saved + eps
        plus = f(params)
        params[i] = saved - eps
        minus = f(params)
        params[i] = saved
        gradient[i] = (plus - minus) / (2.0 * eps)
    return gradient


# ----------------------------------------------------------------------------
# optimizers, as sklearn's SGDOptimizer and AdamOptimizer


def sgd_update(params, velocity, grad, learning_rate, momentum, nesterov):
    """velocity <- momentum·velocity - lr·grad;
    params += nesterov ? momentum·velocity - lr·grad : velocity."""
    velocity = momentum * velocity - learning_rate * grad
    update = momentum * velocity - learning_rate * grad if nesterov else velocity
    return params + update, velocity


def adam_update(params, m, v, grad, t, learning_rate, beta_1, beta_2, epsilon):
    """Step t >= 1: m, v moments; lr_t = lr·sqrt(1-β2^t)/(1-β1^t);
    params -= lr_t · m / (sqrt(v) + eps)."""
    m = beta_1 * m + (1 - beta_1) * grad
    v = beta_2 * v + (1 - beta_2) * grad**2
    lr_t = learning_rate * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
    return params - lr_t * m / (np.sqrt(v) + epsilon), m, v


def nadam_momentum(beta_1, t):
    """Dozat's schedule μ_t = β1·(1 − ½·0.96^(0.004·t)) (PyTorch, Keras)."""
    return beta_1 * (1.0 - 0.5 * 0.96 ** (0.004 * t))


def nadam_update(params, m, v, grad, t, learning_rate, beta_1, beta_2, epsilon):
    """PyTorch's NAdam step t >= 1 (Keras' Nadam is the same), its formulas:
    mu_product = Π_{i<=t} μ_i;
    params -= lr·(1-μ_t)/(1-mu_product)·g / denom
            + lr·μ_{t+1}/(1-mu_product·μ_{t+1})·m / denom,
    denom = sqrt(v / (1-β2^t)) + eps."""
    m = beta_1 * m + (1 - beta_1) * grad
    v = beta_2 * v + (1 - beta_2) * grad**2
    mu = nadam_momentum(beta_1, t)
    mu_next = nadam_momentum(beta_1, t + 1)
    mu_product = np.prod([nadam_momentum(beta_1, i) for i in range(1, t + 1)])
    denom = np.sqrt(v / (1 - beta_2**t)) + epsilon
    params = params - learning_rate * (1 - mu) / (1 - mu_product) * grad / denom
    params = params - learning_rate * mu_next / (1 - mu_product * mu_next) * m / denom
    return params, m, v


def rmsprop_update(params, v, buffer, grad, learning_rate, rho, momentum, epsilon):
    """PyTorch's RMSprop: v <- ρ·v + (1-ρ)·g²; with momentum
    buffer <- momentum·buffer + g/(sqrt(v)+eps), params -= lr·buffer;
    without, params -= lr·g/(sqrt(v)+eps)."""
    v = rho * v + (1 - rho) * grad**2
    step = grad / (np.sqrt(v) + epsilon)
    if momentum > 0:
        buffer = momentum * buffer + step
        step = buffer
    return params - learning_rate * step, v, buffer


def adagrad_update(params, total, grad, learning_rate, epsilon):
    """PyTorch's Adagrad, no decay: sum += g²; params -= lr·g/(sqrt(sum)+eps)."""
    total = total + grad**2
    return params - learning_rate * grad / (np.sqrt(total) + epsilon), total


def new_optimizer_state(solver, n_parameters):
    zeros = np.zeros(n_parameters)
    if solver == "sgd":
        return {"t": 0, "velocity": zeros}
    if solver == "rmsprop":
        return {"t": 0, "v": zeros, "buffer": zeros.copy()}
    if solver == "adagrad":
        return {"t": 0, "sum": zeros}
    return {"t": 0, "m": zeros, "v": zeros.copy()}


def clip_gradient(grad, clipvalue=None, clipnorm=None, trainable=None):
    """Keras' clipvalue (clamp each element to ±clipvalue), then PyTorch's
    clip_grad_norm_ over the trainable entries (grad · clipnorm/‖grad‖ when
    the norm exceeds clipnorm)."""
    if clipvalue is not None:
        grad = np.clip(grad, -clipvalue, clipvalue)
    if clipnorm is not None:
        mask = np.ones(grad.size, bool) if trainable is None else trainable
        norm = np.linalg.norm(grad[mask])
        if norm > clipnorm:
            grad = grad * (clipnorm / norm)
    return grad


def optimizer_step(params, grad, state, options):
    """One update with options = dict(solver, learning_rate, momentum, nesterov,
    beta_1, beta_2, epsilon) and optionally rho, rmsprop_momentum, clipvalue,
    clipnorm, weight_decay with weight_mask (the arena's weights), trainable
    (a boolean mask of the entries that update); state (from
    new_optimizer_state) is updated. The order is the engine's: clip the
    gradient, decay the weights (from their value before the step, as
    PyTorch's AdamW does), then the optimizer's step; frozen entries keep
    their value and their state."""
    state["t"] += 1
    t = state["t"]
    lr = options["learning_rate"]
    trainable = options.get("trainable")
    grad = clip_gradient(
        grad, options.get("clipvalue"), options.get("clipnorm"), trainable
    )
    old = params
    weight_decay = options.get("weight_decay", 0.0)
    if weight_decay:
        params = params - lr * weight_decay * options["weight_mask"] * params
    solver = options["solver"]
    new_state = dict(state)
    if solver == "sgd":
        params, new_state["velocity"] = sgd_update(
            params,
            state["velocity"],
            grad,
            lr,
            options["momentum"],
            options["nesterov"],
        )
    elif solver == "adam":
        params, new_state["m"], new_state["v"] = adam_update(
            params, state["m"], state["v"], grad, t, lr,
            options["beta_1"], options["beta_2"], options["epsilon"],
        )  # fmt: skip
    elif solver == "nadam":
        params, new_state["m"], new_state["v"] = nadam_update(
            params, state["m"], state["v"], grad, t, lr,
            options["beta_1"], options["beta_2"], options["epsilon"],
        )  # fmt: skip
    elif solver == "rmsprop":
        params, new_state["v"], new_state["buffer"] = rmsprop_update(
            params, state["v"], state["buffer"], grad, lr, options["rho"],
            options["rmsprop_momentum"], options["epsilon"],
        )  # fmt: skip
    elif solver == "adagrad":
        params, new_state["sum"] = adagrad_update(
            params, state["sum"], grad, lr, options["epsilon"]
        )
    else:
        raise ValueError(solver)
    for key, value in new_state.items():
        if key != "t":
            state[key] = (
                value if trainable is None else np.where(trainable, value, state[key])
            )
    return params if trainable is None else np.where(trainable, params, old)


def polyak_average(iterates):
    """Polyak–Ruppert: the arithmetic mean of the iterates."""
    return np.mean(np.asarray(iterates, dtype=np.float64), axis=0)


def ema_average(iterates, decay):
    """The EMA recursion started at the first iterate, its decay warmed up
    (TensorFlow's num_updates): avg_1 = w_1;
    avg_k = d_k·avg_{k-1} + (1-d_k)·w_k, d_k = min(decay, k/(9+k))."""
    average = np.asarray(iterates[0], dtype=np.float64)
    for k, iterate in enumerate(iterates[1:], start=2):
        d = min(decay, k / (9 + k))
        average = d * average + (1 - d) * np.asarray(iterate, np.float64)
    return average


def layer_mask(layer_units, layers):
    """True over the arena ranges (weights and bias) of the given layers."""
    mask = []
    for layer, (fan_in, fan_out) in enumerate(
        zip(layer_units[:-1], layer_units[1:], strict=True)
    ):
        mask.append(np.full(fan_in * fan_out + fan_out, layer in layers))
    return np.concatenate(mask)


def train_epoch(
    params,
    state,
    options,
    layer_units,
    hidden_activation,
    loss_name,
    X,
    y,
    sample_weight,
    alpha,
    batch_size,
    order=None,
    l1=0.0,
):
    """sklearn's _fit_stochastic inner loop for one epoch: batches of
    batch_size rows taken in `order` (default: the data's order), the last one
    possibly shorter; each batch's loss and gradient at the current
    parameters, then one optimizer step. Returns (params, epoch loss) with the
    epoch loss sklearn's accumulated_loss / n_samples, where accumulated_loss
    adds each batch's loss (L2 term included) times its row count."""
    n_samples = X.shape[0]
    if order is None:
        order = np.arange(n_samples)
    accumulated_loss = 0.0
    for first in range(0, n_samples, batch_size):
        batch = order[first : first + batch_size]
        batch_weight = None if sample_weight is None else sample_weight[batch]
        batch_loss, grad = loss_and_gradient(
            params,
            layer_units,
            hidden_activation,
            loss_name,
            X[batch],
            y[batch],
            batch_weight,
            alpha,
            l1,
        )
        accumulated_loss += batch_loss * len(batch)
        params = optimizer_step(params, grad, state, options)
    return params, accumulated_loss / n_samples


# ----------------------------------------------------------------------------
# the training toolkit: normalization, dropout, input noise, residual
# connections, activity L1 (cpp/nn/network.h's LayerOptions)

TOOLKIT_DEFAULTS = dict(
    normalization="none",
    normalization_position="before",
    batch_norm_momentum=0.1,
    norm_epsilon=1e-5,
    norm_groups=4,
    dropout=[],
    input_dropout=0.0,
    dropout_kind="bernoulli",
    input_noise=0.0,
    activity_l1=0.0,
    residual=False,
)


# The normalizations that learn a gain and a shift per unit.
NORMALIZATIONS_WITH_GAIN = ("batch", "layer", "group", "decorrelated_batch")


def toolkit_layout(layer_units, options):
    """Per layer, {block name: (offset, shape)} in arena order: W, b, then
    normalization gain and shift (hidden layers), weight norm's g, and a
    residual projection where a hidden layer after the first changes width."""
    n_layers = len(layer_units) - 1
    layout, offset = [], 0
    for layer, (fan_in, units) in enumerate(
        zip(layer_units[:-1], layer_units[1:], strict=True)
    ):
        hidden = layer < n_layers - 1
        blocks = [("weight", (fan_in, units)), ("bias", (units,))]
        if hidden and options["normalization"] in NORMALIZATIONS_WITH_GAIN:
            blocks += [("norm_gain", (units,)), ("norm_shift", (units,))]
        if options["normalization"] == "weight":
            blocks.append(("weight_norm_gain", (units,)))
        if options["residual"] and hidden and layer > 0 and fan_in != units:
            blocks.append(("projection", (fan_in, units)))
        entry = {}
        for name, shape in blocks:
            entry[name] = (offset, shape)
            offset += int(np.prod(shape))
        entry["end"] = offset
        layout.append(entry)
    return layout


def toolkit_blocks(params, layer_units, options):
    """Per layer, {block name: array view of params}."""
    out = []
    for entry in toolkit_layout(layer_units, options):
        blocks = {}
        for name, value in entry.items():
            if name != "end":
                offset, shape = value
                blocks[name] = params[offset : offset + int(np.prod(shape))].reshape(
                    shape
                )
        out.append(blocks)
    return out


def whitening_matrix(centered, epsilon):
    """ZCA: (cᵀc/B + εI)^(-1/2) by numpy's eigendecomposition."""
    covariance = centered.T @ centered / centered.shape[0]
    values, vectors = np.linalg.eigh(covariance + epsilon * np.eye(covariance.shape[0]))
    return vectors @ np.diag(values**-0.5) @ vectors.T


def normalize(x, gain, shift, kind, epsilon, running=None, groups=1):
    """Batch norm over the rows (or with running (mean, variance)), layer norm
    over each row's units, group norm over each row's groups of units,
    decorrelated batch norm whitening each group over the rows (or with
    running (mean, [whitening per group]))."""
    if kind == "group":
        rows, units = x.shape
        grouped = x.reshape(rows, groups, units // groups)
        mean = grouped.mean(axis=2, keepdims=True)
        variance = grouped.var(axis=2, keepdims=True)
        x_hat = ((grouped - mean) / np.sqrt(variance + epsilon)).reshape(rows, units)
        return gain * x_hat + shift
    if kind == "decorrelated_batch":
        width = x.shape[1] // groups
        mean = x.mean(axis=0) if running is None else running[0]
        centered = x - mean
        parts = []
        for g in range(groups):
            block = centered[:, g * width : (g + 1) * width]
            W = whitening_matrix(block, epsilon) if running is None else running[1][g]
            parts.append(block @ W)
        return gain * np.hstack(parts) + shift
    if kind == "layer":
        mean = x.mean(axis=1, keepdims=True)
        variance = x.var(axis=1, keepdims=True)
    elif running is not None:
        mean, variance = running
    else:
        mean, variance = x.mean(axis=0), x.var(axis=0)
    return gain * (x - mean) / np.sqrt(variance + epsilon) + shift


def toolkit_forward(
    params, layer_units, hidden_activation, options, X, masks=None, noise=None,
    running=None,
):  # fmt: skip
    """(hidden outputs, output pre-activation z). masks maps a dropout index
    (0: inputs, l+1: hidden layer l) to its (scale, shift); noise is added to
    X first. running, a list of (mean, variance) per hidden layer, switches
    batch norm to prediction mode."""
    masks = masks or {}
    blocks = toolkit_blocks(params, layer_units, options)
    a = np.asarray(X, dtype=np.float64)
    if noise is not None:
        a = a + noise
    if 0 in masks:
        a = a * masks[0][0] + masks[0][1]
    hiddens = []
    kind = options["normalization"]
    after = options["normalization_position"] == "after"
    for layer, block in enumerate(blocks):
        W = block["weight"]
        if kind == "weight":
            W = block["weight_norm_gain"] * W / np.linalg.norm(W, axis=0)
        z = a @ W + block["bias"]
        if layer == len(blocks) - 1:
            return hiddens, z
        stats = None if running is None else running[layer]

        def norm(x, block=block, stats=stats):
            return normalize(
                x, block["norm_gain"], block["norm_shift"], kind,
                options["norm_epsilon"], stats, options["norm_groups"],
            )  # fmt: skip

        if kind in NORMALIZATIONS_WITH_GAIN and not after:
            z = norm(z)
        h = activation(hidden_activation, z)
        if kind in NORMALIZATIONS_WITH_GAIN and after:
            h = norm(h)
        if layer + 1 in masks:
            h = h * masks[layer + 1][0] + masks[layer + 1][1]
        if options["residual"] and layer > 0:
            h = h + (a @ block["projection"] if "projection" in block else a)
        hiddens.append(h)
        a = h
    raise AssertionError("unreachable")


def toolkit_loss(
    params, layer_units, hidden_activation, options, loss_name, X, y, sample_weight,
    alpha, masks=None, noise=None,
):  # fmt: skip
    """The training loss: data loss + activity L1 (Σ_i w_i·λ·Σ|h_i| / Σw) + L2 on W."""
    hiddens, z = toolkit_forward(
        params, layer_units, hidden_activation, options, X, masks, noise
    )
    sw = np.ones(X.shape[0]) if sample_weight is None else sample_weight
    sw_sum = float(np.sum(sw))
    value = data_loss(loss_name, z, y, sample_weight)
    value += (
        options["activity_l1"]
        * sum(float(np.sum(sw * np.abs(h).sum(axis=1))) for h in hiddens)
        / sw_sum
    )
    weights = [b["weight"] for b in toolkit_blocks(params, layer_units, options)]
    value += 0.5 * alpha * sum(float(np.sum(W * W)) for W in weights) / sw_sum
    return value


# weight initialisation, from the Philox words the engine draws (the tests get
# them from _core.philox4x32 keyed by seed, counter (initialization, 2·layer)
# and the element's index): blocks (fan_in·fan_out, 4) uint32, row-major


def uniform_from_words(high, low):
    """A uniform double in [0, 1) from two 32-bit words (53 bits)."""
    bits = (high.astype(np.uint64) << np.uint64(21)) ^ (low.astype(np.uint64) >> 11)
    return (bits & np.uint64((1 << 53) - 1)).astype(np.float64) * 2.0**-53


def normal_from_blocks(blocks):
    """Box–Muller: radius from words 0-1 (a uniform in (0, 1]), angle from word 2."""
    u = 1.0 - uniform_from_words(blocks[:, 0], blocks[:, 1])
    angle = 2.0 * np.pi * blocks[:, 2].astype(np.float64) * 2.0**-32
    return np.sqrt(-2.0 * np.log(u)) * np.cos(angle)


SPARSE_CONNECTIONS = 15  # Martens (2010)
INIT_SCALE = {  # scheme: (distribution, variance's numerator, which fans)
    "glorot_uniform": ("uniform", 6.0, "in+out"),
    "glorot_normal": ("normal", 2.0, "in+out"),
    "he_uniform": ("uniform", 6.0, "in"),
    "he_normal": ("normal", 2.0, "in"),
    "lecun_uniform": ("uniform", 3.0, "in"),
    "lecun_normal": ("normal", 1.0, "in"),
}


def initial_weights(scheme, fan_in, fan_out, blocks):
    """The weight matrix (fan_in, fan_out) every scheme but 'auto' draws from
    `blocks`; their biases are zero. Uniform schemes give U(±bound) with
    bound = sqrt(numerator / fans), normal ones N(0, numerator / fans)."""
    if scheme in INIT_SCALE:
        distribution, numerator, fans = INIT_SCALE[scheme]
        scale = np.sqrt(numerator / (fan_in + fan_out if fans == "in+out" else fan_in))
        if distribution == "uniform":
            u = uniform_from_words(blocks[:, 0], blocks[:, 1])
            return ((2.0 * u - 1.0) * scale).reshape(fan_in, fan_out)
        return (scale * normal_from_blocks(blocks)).reshape(fan_in, fan_out)
    if scheme == "normal":
        return 0.01 * normal_from_blocks(blocks).reshape(fan_in, fan_out)
    if scheme == "orthogonal":
        # QR with R's diagonal made positive (Mezzadri 2007): the Haar-random Q.
        gaussian = normal_from_blocks(blocks).reshape(fan_in, fan_out)
        tall = gaussian if fan_in >= fan_out else gaussian.T
        q, r = np.linalg.qr(tall)
        q = q * np.sign(np.diag(r))
        return q if fan_in >= fan_out else q.T
    if scheme == "sparse":
        # Unit j takes its s-th input by a partial Fisher-Yates shuffle with
        # block (s, j)'s word 3, and that block's normal as its weight.
        weights = np.zeros((fan_in, fan_out))
        blocks = blocks.reshape(fan_in, fan_out, 4)
        for j in range(fan_out):
            inputs = list(range(fan_in))
            for s in range(min(SPARSE_CONNECTIONS, fan_in)):
                block = blocks[s, j]
                pick = s + int((int(block[3]) * (fan_in - s)) >> 32)
                inputs[s], inputs[pick] = inputs[pick], inputs[s]
                weights[inputs[s], j] = normal_from_blocks(block[None, :])[0]
        return weights
    raise ValueError(scheme)


# ----------------------------------------------------------------------------
# int8 inference (dynamic quantization), in float32 as the engine rounds it,
# so that its codes and hidden layers match bit for bit.


def quantize_rows(x):
    """(codes uint8, scale float32, zero_point int32) per row of float32 x:
    x ~ scale * (code - zero_point), the range [min(0, min), max(0, max)]
    spanning 0..255; an all-zero row gets scale 1."""
    x = np.asarray(x, dtype=np.float32)
    f32 = np.float32
    low = np.minimum(x.min(axis=1), f32(0))
    high = np.maximum(x.max(axis=1), f32(0))
    step = (high - low) / f32(255)
    zero_row = step == 0
    scale = np.where(zero_row, f32(1), step)
    inverse = f32(1) / scale
    offset = np.clip(np.rint(-low * inverse), 0, 255).astype(np.int32)
    offset[zero_row] = 0
    codes = np.rint(x * inverse[:, None]).astype(np.int32) + offset[:, None]
    codes = np.clip(codes, 0, 255)
    codes[zero_row] = 0
    return codes.astype(np.uint8), scale.astype(np.float32), offset


def quantize_weights(W):
    """(codes int32 in [-127, 127], scale float32 per column) of float32 W."""
    W = np.asarray(W, dtype=np.float32)
    largest = np.abs(W).max(axis=0)
    scale = np.where(largest > 0, largest / np.float32(127), np.float32(1))
    scale = scale.astype(np.float32)
    return np.clip(np.rint(W / scale), -127, 127).astype(np.int32), scale


def int8_predict(params, layer_units, hidden_activation, output_activation, X):
    """predict through int8 weight layers, each op rounded to float32 as the
    engine does: exact integer sums, then sum * row scale * column scale + b."""
    weights, biases = unpack(np.asarray(params, dtype=np.float32), layer_units)
    names = hidden_activation_list(hidden_activation, len(weights) - 1)
    a = np.asarray(X, dtype=np.float32)
    for layer, (W, b) in enumerate(zip(weights, biases, strict=True)):
        codes, row_scale, offset = quantize_rows(a)
        q, column_scale = quantize_weights(W)
        sums = codes.astype(np.int64) @ q.astype(np.int64)
        exact = (sums - offset[:, None] * q.sum(axis=0)).astype(np.float32)
        z = exact * row_scale[:, None] * column_scale + b.astype(np.float32)
        if layer == len(weights) - 1:
            return activation(output_activation, z.astype(np.float64))
        a = activation(names[layer], z).astype(np.float32)
    raise AssertionError("unreachable")


# ----------------------------------------------------------------------------
# label smoothing and distillation (cpp/nn/loss.h, cpp/nn/distillation.h)


def smoothed_targets(loss, y, label_smoothing):
    """(1 − ε)·y + ε/K: K the classes of softmax, 2 for each logistic output."""
    classes = y.shape[1] if loss == "log_loss" else 2
    return (1.0 - label_smoothing) * y + label_smoothing / classes


def distillation_kl(loss, z, teacher_z, temperature):
    """Per row, KL(q ‖ s) of the teacher's and the student's outputs at
    temperature T: softmaxes, or a Bernoulli per logistic output."""
    if loss == "log_loss":
        log_s = z / temperature - np.logaddexp.reduce(z / temperature, axis=1)[:, None]
        log_q = (
            teacher_z / temperature
            - np.logaddexp.reduce(teacher_z / temperature, axis=1)[:, None]
        )
        return np.sum(np.exp(log_q) * (log_q - log_s), axis=1)
    a, b = z / temperature, teacher_z / temperature
    log_s, log_not_s = -np.logaddexp(0.0, -a), -np.logaddexp(0.0, a)
    log_q, log_not_q = -np.logaddexp(0.0, -b), -np.logaddexp(0.0, b)
    terms = np.exp(log_q) * (log_q - log_s) + np.exp(log_not_q) * (
        log_not_q - log_not_s
    )
    return terms.sum(axis=1)


def distillation_loss(
    params, layer_units, hidden_activation, loss, X, y, sample_weight, teacher_z,
    weight, temperature, label_smoothing=0.0,
):  # fmt: skip
    """(1 − w)·CE(smoothed y) + w·T²·KL(teacher ‖ student), each the sample
    weights' mean; no penalty."""
    _, z = forward(params, layer_units, hidden_activation, X)
    hard = data_loss(loss, z, smoothed_targets(loss, y, label_smoothing), sample_weight)
    kl = np.average(
        distillation_kl(loss, z, teacher_z, temperature), weights=sample_weight
    )
    return (1.0 - weight) * hard + weight * temperature**2 * kl
