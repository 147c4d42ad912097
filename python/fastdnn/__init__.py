"""fastdnn: fast CPU training of deep neural networks, scikit-learn's API."""

import importlib
import os

# OpenMP threads that finish early spin, by default, for a long while before
# they sleep. When the cores are shared (GridSearchCV(n_jobs=...) running
# several fits, a loaded server), a spinning thread takes the core the
# thread it waits for needs, and epochs run many times slower
# (docs/architecture.md, "Threads on shared machines"). Sleeping at once
# costs a wake-up per parallel region instead.
# Read when the OpenMP runtime starts, so before the engine is imported; a
# user's own setting wins. Training epochs wait their own way, spinning
# between a minibatch's kernels only while that pays (cpp/kernels/parallel.h).
if "OMP_WAIT_POLICY" not in os.environ and "GOMP_SPINCOUNT" not in os.environ:
    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"

from fastdnn._autoencoder import MLPAutoencoder  # noqa: E402
from fastdnn._c_api_paths import get_cmake_dir, get_include, get_library  # noqa: E402
from fastdnn._classifier import MLPClassifier  # noqa: E402
from fastdnn._embedding import MLPEmbedding  # noqa: E402
from fastdnn._model_file import model_from_bytes  # noqa: E402
from fastdnn._regressor import MLPRegressor  # noqa: E402
from fastdnn.diagnosis import diagnose  # noqa: E402
from fastdnn.gradient_check import check_gradients  # noqa: E402

__all__ = [
    "MLPAutoencoder",
    "MLPClassifier",
    "MLPEmbedding",
    "MLPRegressor",
    "check_gradients",
    "diagnose",
    "from_bytes",
    "get_cmake_dir",
    "get_include",
    "get_library",
    "load",
]
__version__ = "0.1.0"


def load(path):
    """The estimator saved to a model file by ``est.save(path)``.

    The file is checked (docs/model_format.md) and never unpickled: a
    corrupt, truncated or foreign file, or one of a newer format version,
    raises ValueError naming the problem.

    Parameters
    ----------
    path : str or path-like
        The model file.

    Returns
    -------
    estimator : MLPClassifier, MLPRegressor or MLPAutoencoder
        The fitted estimator, predicting what the saved one did.
    """
    with open(path, "rb") as file:
        data = file.read()
    return model_from_bytes(data)


def from_bytes(data):
    """The estimator whose model file ``est.to_bytes()`` gave (see ``load``).

    Parameters
    ----------
    data : bytes
        The model file's bytes.

    Returns
    -------
    estimator : MLPClassifier, MLPRegressor or MLPAutoencoder
        The fitted estimator, predicting what the saved one did.
    """
    return model_from_bytes(data)


# Submodules reachable as attributes of the package, imported on first use
# (PEP 562) so that `import fastdnn` stays light: plot's matplotlib loads
# only when a figure is drawn, and onnx's packages only when onnx is used.
_SUBMODULES = (
    "callbacks",
    "curriculum",
    "datasets",
    "distributed",
    "onnx",
    "plot",
    "schedules",
)


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"fastdnn.{name}")
    raise AttributeError(f"module 'fastdnn' has no attribute {name!r}")


def __dir__():
    return sorted({*globals(), *_SUBMODULES})
