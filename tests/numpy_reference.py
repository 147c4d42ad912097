"""A float64 numpy reference for fastdnn's engine, written to be read.

Everything here follows scikit-learn 1.9's MLP (sklearn/neural_network/_base.py,
_multilayer_perceptron.py's _backprop and _fit_stochastic, and
_stochastic_optimizers.py), in plain functions over a flat parameter vector laid
out as the engine's arena: W0 (units[0], units[1]), b0 (units[1]), W1, b1, ...

The engine computes in float32; the tests copy its parameters to float64, run
the same computation here and compare within float32 tolerances.
"""

import numpy as np
from scipy.special import expit, xlogy

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


def activation(name, z):
    if name == "identity":
        return z.copy()
    if name == "logistic":
        return expit(z)
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(z, 0.0)
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


# ----------------------------------------------------------------------------
# forward pass


def forward(params, layer_units, hidden_activation, X):
    """Returns (hidden, z): hidden = [X, a1, ..., a_{L-1}] the layer inputs, and
    z the output layer's pre-activation (the output activation is applied by
    `predict`; the losses read z directly)."""
    weights, biases = unpack(params, layer_units)
    hidden = [X]
    a = X
    for layer, (W, b) in enumerate(zip(weights, biases, strict=True)):
        z = a @ W + b
        if layer == len(weights) - 1:
            return hidden, z
        a = activation(hidden_activation, z)
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
    db = Σ_rows delta / Σw; delta_prev = delta Wᵀ · f'(a_prev).
    fastdnn's L1 adds l1·Σ|W| / Σw to the loss and l1·sign(W) / Σw to dW."""
    weights, _ = unpack(params, layer_units)
    hidden, z = forward(params, layer_units, hidden_activation, X)
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
            delta = (delta @ weights[layer].T) * activation_derivative_from_output(
                hidden_activation, a_prev
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
    """The EMA recursion started at the first iterate (no bias correction):
    avg_1 = w_1; avg_k = decay·avg_{k-1} + (1-decay)·w_k."""
    average = np.asarray(iterates[0], dtype=np.float64)
    for iterate in iterates[1:]:
        average = decay * average + (1 - decay) * np.asarray(iterate, np.float64)
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
