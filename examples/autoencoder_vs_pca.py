"""
An autoencoder's code against PCA
=================================

An MLPAutoencoder's 32-number code against PCA's 32 components: as a
reconstruction, as features, and as the start of a classifier that has few
labels (:doc:`training techniques </training_techniques>`). Run it as a
script::

    python examples/autoencoder_vs_pca.py

On the 8,000/2,000 MNIST split:

1. Reconstruction of the held-out digits: a 784-256-32-256-784 autoencoder
   (30 epochs of Adam), with the default linear code layer and with a ReLU
   one, against PCA with 32 components.
2. The code as features: Pipeline(encoder, LogisticRegression) against
   Pipeline(PCA, LogisticRegression), trained on all 8,000 labels.
3. Unsupervised pretraining with few labels: a 784-256-32 classifier
   trained on 200 labelled images from scratch, and started from the
   autoencoder fitted on all 8,000 images without their labels
   (``init_from``), over five draws of the 200.
"""

import sys
import time
import warnings
from pathlib import Path

import numpy as np
from fastdnn import MLPAutoencoder, MLPClassifier
from fastdnn.datasets import load_mnist_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

# The script's path from sys.argv: sphinx-gallery runs the examples without
# __file__, with sys.argv[0] set to the script.
sys.path.insert(0, str(Path(sys.argv[0]).resolve().parents[1] / "benchmarks"))
from machine_description import commit_name, cpu_name  # noqa: E402


def reconstruction_mse(model, X):
    return float(np.mean((X - model.inverse_transform(model.transform(X))) ** 2))


def main():
    warnings.simplefilter("ignore", ConvergenceWarning)
    X, X_test, y, y_test = load_mnist_digits()

    print("1. Held-out reconstruction MSE (32 numbers per image)")
    pca = PCA(32, random_state=0).fit(X)
    print(f"  PCA, 32 components        {reconstruction_mse(pca, X_test):.4f}")
    autoencoders = {}
    for code_activation in ("identity", "relu"):
        start = time.perf_counter()
        autoencoder = MLPAutoencoder(
            (256, 32), code_activation=code_activation, max_iter=30, random_state=0
        ).fit(X)
        seconds = time.perf_counter() - start
        autoencoders[code_activation] = autoencoder
        print(
            f"  autoencoder, {code_activation:8s} code  "
            f"{reconstruction_mse(autoencoder, X_test):.4f}  ({seconds:.1f} s)"
        )

    print("2. LogisticRegression on 32 features, 8,000 labels: test accuracy")
    for name, reducer in (("PCA", pca), ("autoencoder", autoencoders["identity"])):
        pipeline = make_pipeline(reducer, LogisticRegression(max_iter=1000))
        pipeline.fit(X, y)
        print(f"  {name:12s} {pipeline.score(X_test, y_test):.3f}")

    print("3. A 784-256-32 classifier on 200 labels: test accuracy, 5 draws")
    for name, fit_params in (
        ("scratch", {}),
        ("init_from autoencoder", {"init_from": autoencoders["identity"]}),
    ):
        scores = []
        for seed in range(5):
            labelled = np.random.default_rng(seed).choice(len(y), 200, replace=False)
            model = MLPClassifier((256, 32), max_iter=100, random_state=seed)
            model.fit(X[labelled], y[labelled], **fit_params)
            scores.append(model.score(X_test, y_test))
        print(
            f"  {name:22s} {np.mean(scores):.3f} ± {np.std(scores):.3f} "
            f"({', '.join(f'{s:.3f}' for s in scores)})"
        )
    print(f"\ncommit {commit_name()}, {cpu_name()}")


if __name__ == "__main__":
    main()
