"""What a new user touches first: the demo command and the shipped data."""

import gzip
import re
import subprocess
import sys

import numpy as np
import pytest
from fastdnn.datasets import load_mnist_digits


def test_demo_quick_runs_and_reports_both_estimators():
    result = subprocess.run(
        [sys.executable, "-m", "fastdnn", "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    # The ConvergenceWarning from hitting max_iter is expected and silenced.
    assert "ConvergenceWarning" not in result.stderr
    for name in ("fastdnn.MLPClassifier", "sklearn MLPClassifier"):
        match = re.search(rf"^{re.escape(name)}\s+([0-9.]+)\s", result.stdout, re.M)
        assert match, f"no row for {name} in:\n{result.stdout}"
        # Three epochs on 1000 digits reach ~0.8; far below means a broken fit.
        assert 0.6 < float(match.group(1)) <= 1.0


def test_loader_shapes_dtypes_and_labels():
    X_train, X_test, y_train, y_test = load_mnist_digits()
    assert X_train.shape == (8000, 784) and X_test.shape == (2000, 784)
    assert y_train.shape == (8000,) and y_test.shape == (2000,)
    assert X_train.dtype == X_test.dtype == np.float32
    assert 0.0 <= X_train.min() and X_train.max() <= 1.0
    assert set(np.unique(y_train)) == set(range(10))
    assert set(np.unique(y_test)) == set(range(10))


def test_loader_n_train_moves_the_split():
    X_train, X_test, _, _ = load_mnist_digits(n_train=9000)
    assert len(X_train) == 9000 and len(X_test) == 1000
    with pytest.raises(ValueError, match="n_train"):
        load_mnist_digits(n_train=10_000)


def _labels_idx(n=10_000):
    header = bytes([0, 0, 8, 1]) + n.to_bytes(4, "big")
    return header + (np.arange(n) % 10).astype(np.uint8).tobytes()


def _images_idx(n=10_000, magic=bytes([0, 0, 8, 3]), drop=0):
    header = magic + b"".join(d.to_bytes(4, "big") for d in (n, 28, 28))
    payload = bytes(n * 28 * 28)
    return header + payload[: len(payload) - drop]


@pytest.mark.parametrize(
    "images, message",
    [
        (gzip.compress(_images_idx(magic=bytes([0, 0, 8, 2]))), "magic"),
        (gzip.compress(_images_idx(drop=784)), "holds"),
        (gzip.compress(b"\x00\x00"), "truncated"),
        (gzip.compress(_images_idx())[:1000], "gzip"),
        (b"not gzip at all", "gzip"),
    ],
    ids=["bad-magic", "short-payload", "short-header", "cut-gzip", "not-gzip"],
)
def test_loader_rejects_corrupt_files_clearly(tmp_path, images, message):
    (tmp_path / "t10k-images-idx3-ubyte.gz").write_bytes(images)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(_labels_idx()))
    with pytest.raises(ValueError, match=message):
        load_mnist_digits(data_dir=tmp_path)


def test_loader_accepts_well_formed_files(tmp_path):
    (tmp_path / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(_images_idx()))
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(_labels_idx()))
    X_train, _, y_train, _ = load_mnist_digits(data_dir=tmp_path)
    assert X_train.shape == (8000, 784) and y_train[:3].tolist() == [0, 1, 2]
