"""Data-parallel training on a Dask cluster (docs/dask.md).

``DistributedMLPClassifier`` and ``DistributedMLPRegressor`` take the
estimators' parameters and ``sync_every``. ``fit(X, y)`` takes dask arrays
or dask dataframes and runs on the current ``distributed.Client``: each
partition is validated and kept on the worker that computed it, and only
parameters, gradients and losses travel.

- ``solver='lbfgs'`` is Spark MLlib's scheme: each loss-and-gradient
  evaluation of scipy's L-BFGS is a sum over the partitions, each computed by
  the C++ engine on the worker holding it and added up on the client in
  partition order, so that a given partitioning gives the same model every
  time.
- The stochastic solvers train by local SGD (periodic model averaging): each
  worker runs ``sync_every`` minibatches of its own rows with its own
  optimizer state, then the client averages the workers' parameters,
  weighted by the rows each trained on, and sends the average back.

The fitted model is a plain ``MLPClassifier`` / ``MLPRegressor``,
``estimator_``: it pickles, saves and serves like any other, and predicting
on a dask collection maps it over the blocks.
"""

import time
import uuid
import warnings
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import (
    _check_feature_names,
    _check_n_features,
    check_is_fitted,
)

try:
    import dask
    import dask.array as da
    import dask.dataframe as dd
    import distributed
except ImportError as error:  # pragma: no cover - depends on the installation
    raise ImportError(
        "fastdnn.distributed needs Dask: pip install 'fastdnn[dask]'"
    ) from error

from fastdnn import _core, _docstrings
from fastdnn._annealing import annealed_fields
from fastdnn._classifier import MLPClassifier
from fastdnn._options import (
    LABEL_SMOOTHING,
    REGRESSOR_LOSS,
    SHARED_OPTIONS,
    STOCHASTIC_SOLVERS,
    Option,
    with_parameters,
)
from fastdnn._parameter_mirror import fits_alone
from fastdnn._regressor import MLPRegressor
from fastdnn._stochastic import SEED_BOUND
from fastdnn.schedules import LearningRateSchedule

__all__ = ["DistributedMLPClassifier", "DistributedMLPRegressor"]

SYNC_EVERY = Option(
    "sync_every",
    64,
    [Interval(Integral, 1, None, closed="left")],
    "int",
    """\
Distributed fit with a stochastic solver: the minibatches each worker
trains on its own rows, with its own optimizer state, between two
averagings of the workers' parameters (local SGD). 1 averages after
every step; larger values send parameters less often (docs/dask.md
has a model for choosing it). Ignored by 'lbfgs'.
""",
)

# How long a fit waits for a worker to (re)appear once the cluster has none,
# before it gives up with an error rather than wait forever.
NO_WORKER_TIMEOUT_S = 60.0

# Workers' local SGD states, one per (fit, group of partitions): the engine's
# network and trainer, whose optimizer state stays on the worker between
# rounds. A worker that restarts loses them, and its rows resume from the
# averaged parameters with a fresh optimizer state.
_LOCAL_TRAINING = {}


# ----------------------------------------------------------------------
# On the workers


def _validated_partition(skeleton, X, y):
    """A partition as the engine takes it: (X, float32 targets), checked by
    the estimator's own validation, as a local fit checks all of X."""
    X, targets = skeleton._validate_input(X, y, incremental=True, reset=False)
    if targets.ndim == 1:
        targets = targets.reshape(-1, 1)
    return X, np.ascontiguousarray(targets, dtype=np.float32)


def _rows_in(partition):
    return len(partition[0])


def _engine_threads(spec):
    """n_jobs when given, else the worker's thread count: one fit task runs
    on a worker at a time, so the engine may use every thread Dask gave it."""
    if spec["n_threads"]:
        return spec["n_threads"]
    try:
        return distributed.get_worker().state.nthreads
    except ValueError:  # not on a worker (a local scheduler)
        return 0


def _network(spec, parameters, running_statistics):
    network = _core.Network(
        spec["layer_units"],
        spec["hidden_activations"],
        spec["output_activation"],
        spec["leaky_relu_slope"],
        **spec["layer_options"],
    )
    network.parameters[...] = parameters
    network.running_statistics[...] = running_statistics
    return network


def _partition_sums(spec, parameters, running_statistics, *partitions):
    """(loss × rows, gradient, rows) of each partition, in order.

    The engine's loss is a mean over its rows plus the L2 / L1 penalty over
    those rows; each partition carries 1/n_partitions of the penalty, so that
    the client's sum over partitions, divided by all rows, is the loss a
    local fit computes over all of X.
    """
    network = _network(spec, parameters, running_statistics)
    threads = _engine_threads(spec)
    share = 1.0 / spec["n_partitions"]
    sums = []
    for X, targets in partitions:
        loss, gradient = network.loss_and_gradient(
            _core.Dataset(X),
            targets,
            None,
            spec["loss"],
            spec["alpha"] * share,
            threads,
            l1=spec["l1"] * share,
            label_smoothing=spec["label_smoothing"],
        )
        sums.append((loss * len(X), gradient, len(X)))
    return sums


def _rows(arrays, offsets, chosen):
    """Rows chosen (indices into the arrays stacked) in that order."""
    first = arrays[0]
    out = np.empty((len(chosen), *first.shape[1:]), dtype=first.dtype)
    owner = np.searchsorted(offsets, chosen, side="right") - 1
    for index, array in enumerate(arrays):
        mine = owner == index
        out[mine] = array[chosen[mine] - offsets[index]]
    return out


def _local_round(spec, fit_id, group, round_index, parameters, statistics, *parts):
    """Train sync_every minibatches of this group's rows from the averaged
    parameters; (parameters, running statistics, loss × rows, rows), or None
    when the group's rows of this epoch are used up."""
    epoch, round_in_epoch = round_index
    sizes = [len(X) for X, _ in parts]
    n_rows = sum(sizes)
    rows_per_round = spec["batch_size"] * spec["sync_every"]
    begin = round_in_epoch * rows_per_round
    if begin >= n_rows:
        return None
    key = (fit_id, group)
    if key not in _LOCAL_TRAINING:
        network = _network(spec, parameters, statistics)
        trainer = _core.Trainer(
            network, **spec["trainer_options"], n_threads=_engine_threads(spec)
        )
        _LOCAL_TRAINING[key] = network, trainer
    network, trainer = _LOCAL_TRAINING[key]
    network.parameters[...] = parameters
    network.running_statistics[...] = statistics
    if spec["shuffle"]:
        order = np.random.default_rng([spec["seed"], epoch, group]).permutation(n_rows)
    else:
        order = np.arange(n_rows)
    chosen = order[begin : begin + rows_per_round]
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    X = _rows([X for X, _ in parts], offsets, chosen)
    targets = _rows([targets for _, targets in parts], offsets, chosen)
    # The rows come already in this round's order; dropout and noise are
    # keyed by the group's seed and the round.
    loss = trainer.train_epoch(
        _core.Dataset(X),
        targets,
        None,
        spec["batch_size"],
        False,
        (spec["seed"] + group) % SEED_BOUND,
        round_index[0] * spec["rounds_per_epoch"] + round_in_epoch,
        None,
    )
    return (
        network.parameters.copy(),
        network.running_statistics.copy(),
        loss * len(chosen),
        len(chosen),
    )


def _forget_local_training(fit_id):
    for key in [key for key in _LOCAL_TRAINING if key[0] == fit_id]:
        del _LOCAL_TRAINING[key]


def _predicted_block(block, estimator, method):
    if "feature_names_in_" in estimator.__dict__:
        import pandas as pd

        block = pd.DataFrame(block, columns=estimator.feature_names_in_)
    return getattr(estimator, method)(block)


# ----------------------------------------------------------------------
# On the client


def _as_dask_array(X):
    if isinstance(X, dd.DataFrame | dd.Series):
        return X.to_dask_array(lengths=True)
    return da.asarray(X)


def _row_partitions(X, y):
    """Aligned (X part, y part) delayed pairs: a dataframe's partitions, or
    an array's row blocks (its columns in one block, y cut as X is)."""
    if isinstance(X, dd.DataFrame):
        if not isinstance(y, dd.Series | dd.DataFrame) or (
            y.npartitions != X.npartitions
        ):
            raise ValueError(
                "With a dask DataFrame X, y must be a dask Series or DataFrame "
                "partitioned as X (a column of the same frame, say)."
            )
        return list(zip(X.to_delayed(), y.to_delayed(), strict=True))
    X = _as_dask_array(X)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D; got a dask array of shape {X.shape}.")
    if any(np.isnan(chunk) for chunk in X.chunks[0]):
        X = X.compute_chunk_sizes()
    X = X.rechunk({1: -1})
    y = _as_dask_array(y)
    if y.shape[0] != X.shape[0]:
        raise ValueError(
            f"X has {X.shape[0]} rows but y has {y.shape[0]}: they must match."
        )
    y = y.rechunk({0: X.chunks[0], **({1: -1} if y.ndim == 2 else {})})
    blocks_of_y = y.to_delayed().ravel()
    return list(zip(X.to_delayed().ravel(), blocks_of_y, strict=True))


def _validated_partitions(client, estimator, pairs):
    """Futures of the validated partitions, each on the worker that holds
    (or computed) its rows of X.

    Validation runs where the rows are, pinned there: left free, Dask's
    work stealing may move a cheap task to an idle worker, and one worker
    then holds more partitions than another for the whole fit.
    """
    rows = client.compute([x for x, _ in pairs])
    targets = client.compute([t for _, t in pairs])
    distributed.wait(rows + targets)
    holders = client.who_has(rows)
    partitions = [
        client.submit(
            _validated_partition,
            estimator,
            x,
            t,
            workers=list(holders.get(x.key, ())) or None,
            allow_other_workers=True,
            pure=False,
        )
        for x, t in zip(rows, targets, strict=True)
    ]
    distributed.wait(partitions)
    # rows and targets go out of scope, not cancelled: X may be a collection
    # the caller persisted, whose keys these futures share.
    return partitions


def _features_meta(X):
    """An empty sample of X for the feature checks: its columns or width."""
    if isinstance(X, dd.DataFrame):
        return X._meta
    X = _as_dask_array(X)
    return np.empty((0, X.shape[1]), dtype=X.dtype)


def _fit_dtype(meta):
    dtypes = list(meta.dtypes) if hasattr(meta, "dtypes") else [meta.dtype]
    return np.dtype(np.float32 if all(d == np.float32 for d in dtypes) else np.float64)


def _gather(client, futures):
    """The futures' results, or an error within a bounded time.

    Dask reruns a task whose worker died and recomputes lost partitions on
    the workers left; a cluster left without any worker for
    NO_WORKER_TIMEOUT_S raises instead of waiting forever, as does a task
    that killed its workers repeatedly (Dask's allowed-failures).
    """
    without_workers_since = None
    while True:
        try:
            distributed.wait(futures, timeout=1.0)
            break
        except TimeoutError:
            if client.scheduler_info(n_workers=-1)["workers"]:
                without_workers_since = None
                continue
            now = time.monotonic()
            without_workers_since = without_workers_since or now
            if now - without_workers_since > NO_WORKER_TIMEOUT_S:
                raise RuntimeError(
                    f"The Dask cluster has had no worker for {NO_WORKER_TIMEOUT_S:g}"
                    " s: the distributed fit stopped. Restart workers and fit again."
                ) from None
    try:
        return client.gather(futures)
    except distributed.KilledWorker as error:
        raise RuntimeError(
            "A distributed fit's task was running each time its worker died, "
            f"as often as Dask allows ({error}): the fit stopped. Check the "
            "workers' memory limits and logs."
        ) from error


class _DistributedTraining(BaseEstimator):
    """What both distributed estimators share: fit on the cluster, predict
    by blocks, the fitted plain estimator."""

    def _plain_estimator(self):
        names = [option.name for option in type(self)._local_class._options]
        return type(self)._local_class(**{name: getattr(self, name) for name in names})

    def _check_supported(self):
        refused = []
        for name in (
            "early_stopping",
            "warm_start",
            "callbacks",
            "progress_bar",
            "pretraining",
            "curriculum",
            *annealed_fields(self),
        ):
            if getattr(self, name):
                refused.append(f"{name}={getattr(self, name)!r}")
        if self.averaging is not None:
            refused.append(f"averaging={self.averaging!r}")
        if self.monitor not in ("auto", "train_loss"):
            refused.append(f"monitor={self.monitor!r}")
        if isinstance(self.learning_rate, LearningRateSchedule) or (
            self.solver == "sgd" and self.learning_rate != "constant"
        ):
            refused.append(f"learning_rate={self.learning_rate!r}")
        if refused:
            raise ValueError(
                f"{type(self).__name__} does not support {', '.join(refused)}: "
                "a distributed fit has no validation split, callbacks, "
                "per-epoch rate or regularization changes, pretraining or "
                "curriculum (docs/dask.md). Fit the plain "
                "estimator for those."
            )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit on a Dask cluster, the partitions staying on their workers.

        Parameters
        ----------
        X : dask array or dask DataFrame of shape (n_samples, n_features)
            The input data, in row partitions.

        y : dask array or dask Series of shape (n_samples,) or \
                (n_samples, n_outputs)
            The targets, partitioned as X (or rechunked to match it).

        Returns
        -------
        self : object
            The fitted estimator; ``estimator_`` is the plain fastdnn model.
        """
        if not (dask.is_dask_collection(X) and dask.is_dask_collection(y)):
            raise TypeError(
                f"{type(self).__name__}.fit takes dask arrays or dataframes "
                f"(got {type(X).__name__} and {type(y).__name__}); fit "
                f"fastdnn.{type(self)._local_class.__name__} on in-memory data."
            )
        self._check_supported()
        self.estimator_ = _fit_on_cluster(self._plain_estimator(), self, X, y)
        return self

    def _fit_local_sgd(self, client, estimator, spec, partitions):
        """Local SGD: rounds of sync_every minibatches per group of
        partitions (those on one worker), then the parameters' average
        weighted by the rows each group trained on."""
        estimator._trainer_options = estimator._trainer_options_from_parameters()
        groups = _groups_by_worker(client, partitions)
        sizes = client.gather([client.submit(_rows_in, part) for part in partitions])
        group_rows = [sum(sizes[i] for i in group) for group in groups]
        # batch_size is the step's global minibatch, shared between the
        # groups, so that an epoch takes as many steps as a local fit's.
        global_batch = 200 if self.batch_size == "auto" else int(self.batch_size)
        batch_size = int(np.clip(-(-global_batch // len(groups)), 1, min(group_rows)))
        rows_per_round = batch_size * self.sync_every
        rounds_per_epoch = -(-max(group_rows) // rows_per_round)
        spec = {
            **spec,
            "trainer_options": estimator._trainer_options,
            "batch_size": batch_size,
            "sync_every": int(self.sync_every),
            "shuffle": bool(self.shuffle),
            "seed": int(estimator._random_state.randint(SEED_BOUND)),
            "rounds_per_epoch": rounds_per_epoch,
        }
        network = estimator._network
        fit_id = uuid.uuid4().hex
        n_samples = sum(sizes)
        try:
            for epoch in range(self.max_iter):
                started = time.perf_counter()
                loss_sum = 0.0
                for round_in_epoch in range(rounds_per_epoch):
                    parameters = network.parameters.copy()
                    statistics = network.running_statistics.copy()
                    futures = [
                        client.submit(
                            _local_round,
                            spec,
                            fit_id,
                            index,
                            (epoch, round_in_epoch),
                            parameters,
                            statistics,
                            *[partitions[i] for i in group],
                            pure=False,
                        )
                        for index, group in enumerate(groups)
                    ]
                    results = [r for r in _gather(client, futures) if r is not None]
                    rows = np.array([r[3] for r in results], dtype=np.float64)
                    network.parameters[...] = _weighted_mean(
                        [r[0] for r in results], rows
                    )
                    network.running_statistics[...] = _weighted_mean(
                        [r[1] for r in results], rows
                    )
                    loss_sum += sum(r[2] for r in results)
                elapsed = time.perf_counter() - started
                if self._record_epoch(
                    estimator, loss_sum / n_samples, n_samples, elapsed
                ):
                    break
        finally:
            # A worker restarting now has nothing to forget.
            client.run(_forget_local_training, fit_id, on_error="ignore")

    def _record_epoch(self, estimator, loss, n_samples, elapsed):
        """scikit-learn's stopping rule on the training loss; True to stop."""
        estimator.n_iter_ += 1
        estimator.t_ += n_samples
        estimator.loss_ = loss
        estimator.loss_curve_.append(loss)
        estimator.history_.append(
            {
                "epoch": estimator.n_iter_,
                "train_loss": loss,
                "val_loss": None,
                "val_score": None,
                "lr": float(self.learning_rate_init),
                "epoch_time": elapsed,
                "samples_per_s": n_samples / elapsed if elapsed > 0 else np.inf,
            }
        )
        if self.verbose:
            print(f"Iteration {estimator.n_iter_}, loss = {loss:.8f}")
        if loss > estimator.best_loss_ - self.tol:
            estimator._no_improvement_count += 1
        else:
            estimator._no_improvement_count = 0
        estimator.best_loss_ = min(estimator.best_loss_, loss)
        if estimator._no_improvement_count > self.n_iter_no_change:
            return True
        if estimator.n_iter_ == self.max_iter:
            warnings.warn(
                "Stochastic Optimizer: Maximum iterations "
                f"({self.max_iter}) reached and the optimization "
                "hasn't converged yet.",
                ConvergenceWarning,
                stacklevel=4,
            )
        return False

    # ------------------------------------------------------------------
    # The fitted model

    def __getattr__(self, name):
        # Fitted attributes (coefs_, classes_, loss_, ...) are the plain
        # estimator's.
        if name.endswith("_") and not name.startswith("_") and name != "estimator_":
            estimator = self.__dict__.get("estimator_")
            if estimator is not None:
                return getattr(estimator, name)
        raise AttributeError(f"{type(self).__name__!r} has no attribute {name!r}")

    def _predicted(self, X, method):
        """The plain estimator's method on X; on dask X, mapped over its
        blocks of rows, a dask array."""
        check_is_fitted(self, "estimator_")
        if not dask.is_dask_collection(X):
            return getattr(self.estimator_, method)(X)
        X = _as_dask_array(X)
        if any(np.isnan(chunk) for chunk in X.chunks[0]):
            X = X.compute_chunk_sizes()
        X = X.rechunk({1: -1})
        n_columns, dtype = self._output_layout(method)
        # Outputs are float32 for float32 X, float64 otherwise, as locally.
        if dtype is None:
            dtype = np.float32 if X.dtype == np.float32 else np.float64
        if n_columns is None:
            return X.map_blocks(
                _predicted_block, self.estimator_, method, dtype=dtype, drop_axis=1
            )
        return X.map_blocks(
            _predicted_block,
            self.estimator_,
            method,
            dtype=dtype,
            chunks=(X.chunks[0], (n_columns,)),
        )

    def predict(self, X):
        """Predictions of the fitted model; a dask array for dask X.

        Parameters
        ----------
        X : array-like, dask array or dask DataFrame of shape \
                (n_samples, n_features)

        Returns
        -------
        y : ndarray or dask array
        """
        return self._predicted(X, "predict")

    def save(self, path):
        """Write the fitted plain estimator's model file (see ``MLPClassifier.save``);
        ``fastdnn.load`` reads it back as that estimator.

        Parameters
        ----------
        path : str or os.PathLike
            Where to write the file (conventionally ending in ``.fdnn``).
        """
        check_is_fitted(self, "estimator_")
        self.estimator_.save(path)

    def to_bytes(self):
        """The fitted plain estimator's model file, as bytes."""
        check_is_fitted(self, "estimator_")
        return self.estimator_.to_bytes()


@fits_alone
def _fit_on_cluster(estimator, distributed_estimator, X, y):
    """Fit the plain estimator on dask X and y with the current client; it
    is the arena's only writer meanwhile, as in a local fit."""
    client = distributed.get_client()
    hidden_layer_sizes = estimator._checked_hidden_layer_sizes()
    estimator._check_n_jobs()
    estimator._hidden_activations(len(hidden_layer_sizes))
    meta = _features_meta(X)
    _check_feature_names(estimator, meta, reset=True)
    _check_n_features(estimator, meta, reset=True)
    n_outputs = distributed_estimator._prepare_targets(estimator, y)

    partitions = _validated_partitions(client, estimator, _row_partitions(X, y))

    estimator._random_state = check_random_state(estimator.random_state)
    layer_units = [estimator.n_features_in_, *hidden_layer_sizes, n_outputs]
    estimator._initialize(np.empty((0, n_outputs)), layer_units, _fit_dtype(meta))
    network = estimator._network
    spec = {
        "layer_units": list(network.layer_units),
        "hidden_activations": list(network.hidden_activations),
        "output_activation": network.output_activation,
        "leaky_relu_slope": float(network.leaky_relu_slope),
        "layer_options": dict(network.layer_options),
        "loss": estimator._engine_loss(),
        "alpha": float(estimator.alpha),
        "l1": float(estimator.l1),
        "label_smoothing": float(getattr(estimator, "label_smoothing", 0.0)),
        "n_threads": 0 if estimator.n_jobs is None else estimator._engine_threads(),
        "n_partitions": len(partitions),
    }
    try:
        if estimator.solver in STOCHASTIC_SOLVERS:
            distributed_estimator._fit_local_sgd(client, estimator, spec, partitions)
        else:
            estimator._run_lbfgs(
                lambda: _cluster_loss_and_gradient(client, network, spec, partitions)
            )
    finally:
        client.cancel(partitions)
    estimator._parameter_mirror.publish(estimator)
    if not np.isfinite(network.parameters).all():
        raise ValueError(
            "Solver produced non-finite parameter weights. The input data may"
            " contain large values and need to be preprocessed."
        )
    return estimator


def _groups_by_worker(client, partitions):
    """Partition indices grouped by the worker holding them, in order."""
    holders = client.who_has(partitions)
    groups = {}
    for index, future in enumerate(partitions):
        workers = sorted(holders.get(future.key, ()))
        groups.setdefault(workers[0] if workers else None, []).append(index)
    return [groups[worker] for worker in sorted(groups, key=lambda w: groups[w][0])]


def _weighted_mean(arrays, weights):
    total = np.zeros(arrays[0].shape, dtype=np.float64)
    for array, weight in zip(arrays, weights, strict=True):
        total += weight * array.astype(np.float64)
    return total / weights.sum()


def _cluster_loss_and_gradient(client, network, spec, partitions):
    """The loss and gradient over every partition at the network's current
    parameters: one task per worker, summed here in partition order."""
    parameters = network.parameters.copy()
    statistics = network.running_statistics.copy()
    groups = _groups_by_worker(client, partitions)
    futures = [
        client.submit(
            _partition_sums,
            spec,
            parameters,
            statistics,
            *[partitions[i] for i in group],
            pure=False,
        )
        for group in groups
    ]
    by_partition = {}
    for group, sums in zip(groups, _gather(client, futures), strict=True):
        by_partition.update(zip(group, sums, strict=True))
    loss = 0.0
    gradient = np.zeros(network.parameters.size, dtype=np.float64)
    n_rows = 0
    for index in range(len(partitions)):
        partition_loss, partition_gradient, rows = by_partition[index]
        loss += partition_loss
        gradient += rows * partition_gradient.astype(np.float64)
        n_rows += rows
    return loss / n_rows, gradient / n_rows


@_docstrings.fill
@with_parameters((*SHARED_OPTIONS, LABEL_SMOOTHING, SYNC_EVERY), n_positional=2)
class DistributedMLPClassifier(ClassifierMixin, _DistributedTraining):
    """MLPClassifier trained data-parallel on a Dask cluster.

    ``fit`` takes dask arrays or dataframes and uses the current
    ``distributed.Client``: 'lbfgs' sums each loss and gradient over the
    partitions where they lie; the stochastic solvers average the workers'
    parameters every ``sync_every`` minibatches (local SGD). See
    docs/dask.md for what is supported and measured.

    Parameters
    ----------
    $parameters

    Attributes
    ----------
    estimator_ : MLPClassifier
        The fitted model, a plain fastdnn estimator; its fitted attributes
        (``classes_``, ``coefs_``, ``loss_``, ...) read through this one.
    """

    _local_class = MLPClassifier

    def _prepare_targets(self, estimator, y):
        y = _as_dask_array(y)
        if y.ndim != 1:
            raise ValueError(
                f"{type(self).__name__} takes one label per row (1-D y); got y "
                f"of shape {y.shape}."
            )
        classes = np.unique(da.unique(y).compute())
        binarizer = LabelBinarizer().fit(classes)
        estimator._label_binarizer = binarizer
        estimator.classes_ = binarizer.classes_
        return 1 if binarizer.y_type_ == "binary" else len(classes)

    def _output_layout(self, method):
        """(columns, or None for 1-D; dtype, or None for X's float dtype)."""
        if method == "predict":
            return None, self.estimator_.classes_.dtype
        return max(2, len(self.estimator_.classes_)), None

    def predict_proba(self, X):
        """Class probabilities: for dask X (an array or DataFrame) a dask
        array computed block by block, else an ndarray.

        Parameters
        ----------
        X : array-like, dask array or dask DataFrame of shape \
                (n_samples, n_features)
            The rows to predict.

        Returns
        -------
        proba : ndarray or dask array of shape (n_samples, n_classes)
        """
        return self._predicted(X, "predict_proba")

    def score(self, X, y, sample_weight=None):
        """Accuracy of predict(X) against y (computed on the cluster for
        dask inputs).

        Parameters
        ----------
        X : array-like, dask array or dask DataFrame of shape \
                (n_samples, n_features)

        y : array-like, dask array or dask Series of shape (n_samples,)
            The true labels.

        sample_weight : array-like or dask array of shape (n_samples,), \
                default=None

        Returns
        -------
        score : float
        """
        if not dask.is_dask_collection(X):
            return self.estimator_.score(X, y, sample_weight=sample_weight)
        predicted = self.predict(X)
        y = _as_dask_array(y).rechunk(predicted.chunks)
        if sample_weight is None:
            return float((predicted == y).mean().compute())
        weight = _as_dask_array(sample_weight).rechunk(predicted.chunks)
        return float(
            ((predicted == y) * weight).sum().compute() / weight.sum().compute()
        )


@_docstrings.fill
@with_parameters((REGRESSOR_LOSS, *SHARED_OPTIONS, SYNC_EVERY), n_positional=3)
class DistributedMLPRegressor(RegressorMixin, _DistributedTraining):
    """MLPRegressor trained data-parallel on a Dask cluster, as
    DistributedMLPClassifier trains MLPClassifier (docs/dask.md).

    Parameters
    ----------
    $parameters

    Attributes
    ----------
    estimator_ : MLPRegressor
        The fitted model, a plain fastdnn estimator.
    """

    _local_class = MLPRegressor

    def _prepare_targets(self, estimator, y):
        y = _as_dask_array(y)
        return 1 if y.ndim == 1 else y.shape[1]

    def _output_layout(self, method):
        outputs = self.estimator_.n_outputs_
        return (None if outputs == 1 else outputs), None

    def score(self, X, y, sample_weight=None):
        """R² of predict(X) against y (computed on the cluster for dask
        inputs), averaged over the outputs.

        Parameters
        ----------
        X : array-like, dask array or dask DataFrame of shape \
                (n_samples, n_features)

        y : array-like, dask array or dask DataFrame of shape (n_samples,) \
                or (n_samples, n_outputs)
            The true targets.

        sample_weight : array-like of shape (n_samples,), default=None
            Only with in-memory X and y: compute dask inputs first.

        Returns
        -------
        score : float
        """
        if not dask.is_dask_collection(X):
            return self.estimator_.score(X, y, sample_weight=sample_weight)
        if sample_weight is not None:
            raise ValueError(
                "score with sample_weight takes in-memory data; compute it first."
            )
        predicted = self.predict(X)
        y = _as_dask_array(y).astype(np.float64).rechunk(predicted.chunks)
        residual = ((y - predicted) ** 2).sum(axis=0)
        total = ((y - y.mean(axis=0)) ** 2).sum(axis=0)
        residual, total = dask.compute(residual, total)
        return float(np.mean(1.0 - residual / total))
