"""Distillation on MNIST: a 784-32-10 student taught by a large teacher.

    python examples/distillation_mnist.py

A 784-512-512-10 teacher trains on the 8,000-image MNIST split. The same
784-32-10 student then trains three ways, over three seeds: alone on the
labels; distilled (``fit(X, y, teacher=teacher)``, the loss
(1 - w)·CE(y) + w·T²·KL(teacher ‖ student) with w = 0.5, T = 4, Hinton et
al. 2015); and with w = 1, where it learns from the teacher's outputs alone
and should reproduce the teacher's predictions, which the agreement of the
two on the held-out 2,000 images measures.
"""

import time
import warnings

import numpy as np
from fastdnn import MLPClassifier
from fastdnn.datasets import load_mnist_digits
from sklearn.exceptions import ConvergenceWarning

SEEDS = (0, 1, 2)


def main():
    X_train, X_test, y_train, y_test = load_mnist_digits()
    warnings.simplefilter("ignore", ConvergenceWarning)
    start = time.perf_counter()
    teacher = MLPClassifier((512, 512), max_iter=30, random_state=0)
    teacher.fit(X_train, y_train)
    teacher_test = teacher.predict(X_test)
    print(
        f"teacher 784-512-512-10: test accuracy {teacher.score(X_test, y_test):.4f} "
        f"({time.perf_counter() - start:.0f} s)"
    )
    print(f"{'student 784-32-10':28s} {'test accuracy (3 seeds)':>30s}  agreement")
    for name, parameters, use_teacher in (
        ("alone", {}, False),
        ("distilled w=0.5, T=4", dict(distillation_weight=0.5,
                                      distillation_temperature=4.0), True),
        ("distilled w=1, T=1", dict(distillation_weight=1.0), True),
    ):  # fmt: skip
        accuracies, agreements = [], []
        for seed in SEEDS:
            student = MLPClassifier((32,), max_iter=60, random_state=seed, **parameters)
            student.fit(
                X_train, y_train, **({"teacher": teacher} if use_teacher else {})
            )
            accuracies.append(student.score(X_test, y_test))
            agreements.append(np.mean(student.predict(X_test) == teacher_test))
        print(
            f"{name:28s} {' '.join(f'{a:.4f}' for a in accuracies)}"
            f"  mean {np.mean(accuracies):.4f}  {np.mean(agreements):.4f}"
        )


if __name__ == "__main__":
    main()
