"""
The gradient check as a debugging tool
======================================

The engine's gradient against central differences of its own loss, on MNIST
rows (:func:`fastdnn.check_gradients`,
:doc:`techniques in the engine </training_techniques_engine>`). Run it as a
script::

    python examples/gradient_check.py

A 784-16-12-10 net, freshly initialised, on 32 MNIST images, for every
hidden activation and normalization; then the full summary of one check,
and the same check on a trained model.
"""

import warnings

from fastdnn import MLPClassifier, _core, check_gradients
from fastdnn.datasets import load_mnist_digits
from sklearn.exceptions import ConvergenceWarning


def main():
    X_train, _, y_train, _ = load_mnist_digits()
    X, y = X_train[:32], y_train[:32]
    print(f"{'configuration':50s} {'max relative error':>18s}  verdict")
    configurations = [
        {"activation": name} for name in _core.enum_names()["hidden_activation"]
    ] + [
        {"activation": "tanh", "normalization": kind}
        for kind in ("batch", "layer", "weight", "group", "decorrelated_batch")
    ]
    for parameters in configurations:
        model = MLPClassifier((16, 12), norm_groups=4, random_state=0, **parameters)
        result = check_gradients(model, X, y, max_parameters_per_layer=100)
        label = ", ".join(f"{k}={v}" for k, v in parameters.items())
        verdict = "ok" if result.passed else "SUSPICIOUS"
        print(f"{label:50s} {result.max_relative_error:18.2e}  {verdict}")

    warnings.simplefilter("ignore", ConvergenceWarning)
    trained = MLPClassifier((16, 12), max_iter=20, random_state=0)
    trained.fit(X_train, y_train)
    print("\nA model trained 20 epochs:")
    print(check_gradients(trained, X, y, max_parameters_per_layer=100))


if __name__ == "__main__":
    main()
