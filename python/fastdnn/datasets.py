"""Data sets shipped with fastdnn, read with numpy alone.

The package carries the 10,000-image MNIST test set (python/fastdnn/data/) so
that the demo, the tests and the benchmarks run on a machine with no network.
"""

import gzip
import zlib
from pathlib import Path

import numpy as np

__all__ = ["load_mnist_digits"]

_DATA_DIR = Path(__file__).resolve().parent / "data"
_IMAGES = "t10k-images-idx3-ubyte.gz"
_LABELS = "t10k-labels-idx1-ubyte.gz"
_N_SAMPLES = 10_000

# IDX magic: two zero bytes, a type code (0x08 = unsigned byte), the number
# of dimensions. Anything else means the file is not what we shipped.
_UBYTE = 0x08


def _read_idx_ubyte(path, n_dims):
    """Return the uint8 array stored in a gzipped IDX file, validated."""
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise
    except (OSError, EOFError, zlib.error) as exc:
        # A damaged gzip stream shows up as BadGzipFile (an OSError), EOFError
        # (truncated) or zlib.error (corrupt deflate data).
        raise ValueError(f"{path}: not a readable gzip file ({exc})") from exc

    header_size = 4 + 4 * n_dims
    if len(raw) < header_size:
        raise ValueError(
            f"{path}: truncated IDX file ({len(raw)} bytes, header needs {header_size})"
        )
    magic = raw[:4]
    expected = bytes([0, 0, _UBYTE, n_dims])
    if magic != expected:
        raise ValueError(
            f"{path}: bad IDX magic number {magic.hex()} (expected "
            f"{expected.hex()}: unsigned bytes, {n_dims} dimensions)"
        )
    shape = tuple(int(d) for d in np.frombuffer(raw, ">u4", n_dims, offset=4))
    n_values = int(np.prod(shape))
    if len(raw) - header_size != n_values:
        raise ValueError(
            f"{path}: IDX header announces shape {shape} ({n_values} bytes) "
            f"but the file holds {len(raw) - header_size} bytes of data"
        )
    return np.frombuffer(raw, np.uint8, offset=header_size).reshape(shape)


def load_mnist_digits(n_train=8000, *, data_dir=None):
    """Load the shipped MNIST digits, split into train and test.

    The 10,000 images are the MNIST test set; the first ``n_train`` become the
    training set and the rest the test set, so the split is the same on every
    machine and needs no random state.

    Parameters
    ----------
    n_train : int, default=8000
        Number of leading images used for training, 1 <= n_train < 10000.
    data_dir : path-like, default=None
        Folder holding the two IDX files; the package's own copy by default.

    Returns
    -------
    X_train, X_test : ndarray of shape (n, 784), float32
        Pixel intensities scaled to [0, 1].
    y_train, y_test : ndarray of shape (n,), int64
        Digit labels in 0..9.
    """
    if not 1 <= n_train < _N_SAMPLES:
        raise ValueError(f"n_train must be in [1, {_N_SAMPLES - 1}], got {n_train}")
    data_dir = _DATA_DIR if data_dir is None else Path(data_dir)
    images = _read_idx_ubyte(data_dir / _IMAGES, n_dims=3)
    labels = _read_idx_ubyte(data_dir / _LABELS, n_dims=1)
    if images.shape[0] != labels.shape[0]:
        raise ValueError(
            f"{data_dir}: {images.shape[0]} images but {labels.shape[0]} labels"
        )
    if images.shape[0] != _N_SAMPLES:
        raise ValueError(
            f"{data_dir}: expected {_N_SAMPLES} images, found {images.shape[0]}"
        )
    if labels.max() > 9:
        raise ValueError(f"{data_dir}: labels outside 0..9")

    X = images.reshape(len(images), -1).astype(np.float32) / np.float32(255)
    y = labels.astype(np.int64)
    return X[:n_train], X[n_train:], y[:n_train], y[n_train:]
