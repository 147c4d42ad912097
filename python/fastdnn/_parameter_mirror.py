"""coefs_ and intercepts_ as published from the engine's arena, and back.

The estimator holds one ParameterMirror; everything that publishes the
arena's weights as coefs_ / intercepts_, takes the user's edits back into
it, caches its int8 or packed bfloat16 form, sets raw weights aside for
averaged ones or snapshots it goes through here, so that the rules below
live in one place.
"""

import contextlib
import functools
import threading

import numpy as np
from sklearn.exceptions import NotFittedError


def _float64_copy(array, writeable):
    copy = array.astype(np.float64)
    copy.flags.writeable = writeable
    return copy


def _read_only_view(array):
    view = array.view()
    view.flags.writeable = False
    return view


def _as_weights(name, array, shape):
    """array as the float32 weights it asks for, or ValueError naming it."""
    array = np.asarray(array)
    if array.dtype.kind not in "fiu":
        raise ValueError(
            f"{name} holds {array.dtype} values; the network's weights are real "
            "numbers: give a float or integer array."
        )
    if array.shape != shape:
        raise ValueError(
            f"{name} has shape {array.shape}, but the network needs {shape}."
        )
    with np.errstate(over="ignore"):
        weights = array.astype(np.float32)
    if not np.isfinite(weights).all():
        raise ValueError(
            f"{name} holds NaN or infinity (or values beyond float32's range); "
            "the network's weights must be finite."
        )
    return weights


# How each precision that keeps packed weights makes them from a network.
_PACKED_PRECISIONS = {
    "int8": lambda network: network.quantize(),
    "bfloat16": lambda network: network.pack_bf16(),
}


def _pack_within_fit(network, precision):
    """The packed weights for one prediction while a fit changes the arena:
    int8 quantizes it as it is; bf16 packs it as its products go (the same
    bits), which spares a copy used once."""
    return network.quantize() if precision == "int8" else None


class ParameterMirror:
    """How coefs_ / intercepts_ mirror the arena, which is the model.

    Invariants:

    - Publishing (``publish``) makes coefs_ and intercepts_ new plain lists,
      as in scikit-learn. A float32 model's arrays are live views of the
      arena: reading costs nothing, editing in place edits the model. With
      inference_precision='int8' or 'bfloat16' those views are read-only,
      since the int8 or packed bf16 weights are made once per change of the
      arena and could not see an edit in place. A float64 model's arrays
      are float64 copies, the dtype scikit-learn gives, read-only, so that
      an unedited model needs no conversion back. Callbacks, which may edit
      the weights between epochs, are published writeable arrays (float32
      views, float64 copies) that ``sync`` takes back after them.
    - ``sync`` runs before every engine call from outside training. Lists
      that still hold the arrays published as the arena's values are
      recognised by one list comparison and cost nothing; any other item (a
      replaced array, a reassigned list, writeable copies) is checked (real
      numbers of the layer's shape, finite) and copied in. Every item is
      checked before any is copied: a refused edit raises ValueError naming
      the item and leaves the arena, and the user's lists, as they were.
    - The int8 weights (and the bf16 ones: packed weights in short) are
      cached only between fits, and dropped by every publish and every sync
      that copies something. Inside a fit each int8 prediction quantizes the
      arena as it is, and each bf16 one packs it as its products go, since
      training changes it between publishes.
    - With weight averaging the network trains on the raw iterates. Between
      epochs and after fit the arena holds the average, the model, and
      ``raw_parameters`` the raw iterates, set aside for training to resume
      from (and pickled with the estimator).
    - A fit (``fitting``) is the only writer of the arena while it runs, on
      the thread that runs it. Any other thread's prediction, score or
      pickle during that time writes nothing: not the arena, not coefs_,
      not the packed weights' cache. It computes from the arena as training
      has it at that moment (the weights of some step in progress; the
      user's edits in coefs_ are not taken in), so a fit gives bit-identical weights
      whatever other threads do. A refit from scratch is predicted with the
      previous network until the new one is initialised and attached; a
      first fit, with none, raises NotFittedError. A second fit of the same
      estimator from another thread while one runs is refused.
    - Outside fits, a prediction of an unedited model whose precision and
      packed weights are as published takes no lock and writes nothing; the
      lock is taken to take edits in, make the packed weights or switch
      precision. The engine's forward pass never runs under it, so as many
      threads predict at once as call it.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._fitting_thread = None
        self._fit_depth = 0  # fits running on that thread, nested ones included
        self.network = None
        self.raw_parameters = None
        self._views = None  # the arena's own coef and intercept views
        self._unedited = None  # published arrays that hold the arena's values
        self._precision = None  # inference_precision when last published
        self._packed = None  # (network, its packed weights), cached between fits

    def attach(self, network):
        """Mirror a new network: nothing of the previous one carries over."""
        self.network = network
        self.raw_parameters = None

    # ------------------------------------------------------------------
    # Who may write: the fitting thread

    def _fit_runs_elsewhere(self):
        return self._fitting_thread not in (None, threading.get_ident())

    @contextlib.contextmanager
    def fitting(self):
        """Mark a fit on this thread for its duration: one fitting thread at a time."""
        with self._lock:
            if self._fit_runs_elsewhere():
                raise RuntimeError(
                    "This estimator is being fitted by another thread; fit it "
                    "from one thread at a time (or fit clones)."
                )
            self._fitting_thread = threading.get_ident()
            self._fit_depth += 1
        try:
            yield
        finally:
            with self._lock:
                self._fit_depth -= 1
                if self._fit_depth == 0:
                    self._fitting_thread = None
                    # The weights packed outside fits must not outlive one.
                    self._packed = None

    # ------------------------------------------------------------------
    # Publishing and taking edits back

    def publish(self, estimator, writeable=False):
        """Set estimator.coefs_ and intercepts_ from the arena as it is now."""
        network = self.network
        n_weight_layers = len(network.layer_units) - 1
        coef_views = [network.coef(i) for i in range(n_weight_layers)]
        intercept_views = [network.intercept(i) for i in range(n_weight_layers)]
        precision = estimator.inference_precision
        if estimator._fit_dtype == np.float32:
            if precision in _PACKED_PRECISIONS and not writeable:
                coefs = [_read_only_view(view) for view in coef_views]
                intercepts = [_read_only_view(view) for view in intercept_views]
            else:
                coefs, intercepts = coef_views, intercept_views
        else:
            coefs = [_float64_copy(view, writeable) for view in coef_views]
            intercepts = [_float64_copy(view, writeable) for view in intercept_views]
        estimator.coefs_, estimator.intercepts_ = list(coefs), list(intercepts)
        self._views = (coef_views, intercept_views)
        # Writeable copies may be edited in place, so they cannot stand for
        # the arena's values; the views always do.
        self._unedited = (
            (coef_views, intercept_views) if writeable else (coefs, intercepts)
        )
        self._precision = precision
        self._packed = None

    def sync(self, estimator):
        """Copy into the arena whatever the user put in coefs_ / intercepts_."""
        with self._lock:
            if not self._fit_runs_elsewhere():
                self._take_edits(estimator)

    def _unedited_lists(self, estimator):
        """Whether coefs_ and intercepts_ still hold the arena's values."""
        own_coefs, own_intercepts = self._unedited
        # List equality compares item by item, identity first: lists that
        # still hold the published arrays compare far faster than testing
        # each item with `is`. A replaced item is compared by value instead:
        # one that equals the arena's needs no copy, and any other answer or
        # failure (a larger array has no truth value) leaves it to the copy.
        try:
            return bool(
                estimator.coefs_ == own_coefs
                and estimator.intercepts_ == own_intercepts
            )
        except Exception:  # whatever the replacement's __eq__ raised
            return False

    def _take_edits(self, estimator):
        if self._unedited_lists(estimator):
            return
        own_coefs, own_intercepts = self._unedited
        edits = []
        for name, arrays, views, own in (
            ("coefs_", estimator.coefs_, self._views[0], own_coefs),
            ("intercepts_", estimator.intercepts_, self._views[1], own_intercepts),
        ):
            if len(arrays) != len(views):
                raise ValueError(
                    f"{name} must hold {len(views)} arrays, one per layer; "
                    f"it holds {len(arrays)}."
                )
            for layer, (array, view) in enumerate(zip(arrays, views, strict=True)):
                if array is not own[layer]:
                    weights = _as_weights(f"{name}[{layer}]", array, view.shape)
                    edits.append((view, weights))
        for view, weights in edits:
            view[...] = weights
        self._packed = None

    def prepare_prediction(self, estimator):
        """Sync; return the network to predict with and its packed weights
        (int8's QuantizedNetwork, bfloat16's Bf16PackedNetwork, None in
        float32 or where a fit runs in bfloat16), the two taken together so
        that a refit replacing the network on another thread cannot pair
        one with the other."""
        precision = estimator.inference_precision
        packs = precision in _PACKED_PRECISIONS
        # The common case takes no lock: no fit running, nothing edited, the
        # precision as published and the packed weights made. It writes
        # nothing, so a fit starting meanwhile on another thread sees it as
        # any prediction during a fit. Serving threads that all took the lock
        # were switched out holding it and queued behind each other.
        network, cached = self.network, self._packed
        if (
            self._fitting_thread is None
            and precision == self._precision
            and self._unedited is not None
            and self._unedited_lists(estimator)
        ):
            if not packs:
                return network, None
            if cached is not None and cached[0] is network:
                return cached
        with self._lock:
            network = self.network
            if self._fit_runs_elsewhere():
                if network is None:
                    raise NotFittedError(
                        f"This {type(estimator).__name__} is being fitted for the "
                        "first time by another thread; predict once that fit ends."
                    )
                return network, _pack_within_fit(network, precision)
            self._take_edits(estimator)
            if precision != self._precision:
                # Switched by set_params: float32 views become read-only or back.
                self.publish(estimator)
            if not packs:
                return network, None
            if self._fit_depth:
                return network, _pack_within_fit(network, precision)
            if self._packed is None:
                self._packed = (network, _PACKED_PRECISIONS[precision](network))
            return self._packed

    # ------------------------------------------------------------------
    # Snapshots: what best-weight restoring and divergence recovery put back

    def snapshot(self):
        """Copies of everything predictions depend on: the parameter arena
        and batch norm's running statistics (empty without batch norm)."""
        network = self.network
        return network.parameters.copy(), network.running_statistics.copy()

    def restore(self, snapshot):
        parameters, running_statistics = snapshot
        self.network.parameters[...] = parameters
        self.network.running_statistics[...] = running_statistics

    # ------------------------------------------------------------------
    # Weight averaging: raw iterates set aside while the average is shown

    def show_averaged_weights(self, trainer):
        if (
            self.raw_parameters is not None
            or trainer is None
            or trainer.averaged_count == 0
        ):
            return
        parameters = self.network.parameters
        self.raw_parameters = parameters.copy()
        parameters[...] = trainer.averaged_parameters

    def resume_raw_weights(self):
        if self.raw_parameters is not None:
            self.network.parameters[...] = self.raw_parameters
            self.raw_parameters = None

    def drop_raw_weights(self):
        """Make the weights shown (averaged or not) the ones training goes on from."""
        self.raw_parameters = None


def fits_alone(fit):
    """Decorator for the estimator's _fit: the fit is the arena's only writer."""

    @functools.wraps(fit)
    def fit_marked(estimator, *args, **kwargs):
        mirror = estimator.__dict__.setdefault("_parameter_mirror", ParameterMirror())
        with mirror.fitting():
            return fit(estimator, *args, **kwargs)

    return fit_marked
