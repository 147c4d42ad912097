"""
Distillation: a small student taught by a large teacher
=======================================================

A 784-32-10 student trained on a large teacher's softened outputs against
one trained on the labels alone
(:doc:`techniques in the engine </training_techniques_engine>`). Run it as a
script::

    python examples/distillation_mnist.py

A 784-512-512-10 teacher trains on the 8,000-image MNIST split. Then:

1. The 784-32-10 student over three seeds, trained alone on the labels and
   distilled (``fit(X, y, teacher=teacher)``: the loss
   (1 - w)·CE(y) + w·T²·KL(teacher ‖ student), Hinton et al. 2015, here
   w = 0.9 and T = 8).
2. Weight 1 ignores the labels: the student, given random labels, learns
   the teacher's predictions from its outputs alone, where the same student
   trained on those labels without a teacher stays at chance.
3. A student of the teacher's own size (another seed) with w = 1, T = 4
   against one trained alone: how closely each reproduces the teacher.

On the 2,000 held-out images: accuracy, agreement with the teacher's
predicted class, and the mean total-variation distance between the two
models' probabilities (0: identical, 1: disjoint).
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
    teacher_probabilities = teacher.predict_proba(X_test)
    print(
        f"teacher 784-512-512-10: test accuracy {teacher.score(X_test, y_test):.4f} "
        f"({time.perf_counter() - start:.0f} s)\n"
    )

    def compare(student):
        probabilities = student.predict_proba(X_test)
        return (
            student.score(X_test, y_test),
            np.mean(probabilities.argmax(1) == teacher_probabilities.argmax(1)),
            np.abs(probabilities - teacher_probabilities).sum(axis=1).mean() / 2,
        )

    def line(name, results):
        accuracy, agreement, distance = np.mean(results, axis=0)
        seeds = " ".join(f"{r[0]:.4f}" for r in results)
        print(
            f"{name:34s} {seeds:>20s}  {accuracy:.4f}  {agreement:.4f}  {distance:.4f}"
        )

    print(f"{'':34s} {'test accuracy':>20s}  {'mean':6s}  agree   TV")
    for name, parameters in (
        ("784-32-10 alone", {}),
        ("784-32-10 distilled w=0.9, T=8",
         dict(distillation_weight=0.9, distillation_temperature=8.0)),
    ):  # fmt: skip
        results = []
        for seed in SEEDS:
            student = MLPClassifier((32,), max_iter=60, random_state=seed, **parameters)
            fit_parameters = {"teacher": teacher} if parameters else {}
            results.append(compare(student.fit(X_train, y_train, **fit_parameters)))
        line(name, results)

    random_labels = np.random.default_rng(0).integers(0, 10, len(y_train))
    alone = MLPClassifier((32,), max_iter=60, random_state=0)
    line(
        "784-32-10 on random labels, alone",
        [compare(alone.fit(X_train, random_labels))],
    )
    distilled = MLPClassifier(
        (32,), max_iter=60, random_state=0, distillation_weight=1.0
    )
    distilled.fit(X_train, random_labels, teacher=teacher)
    line("784-32-10 on random labels, w=1", [compare(distilled)])

    same_size = dict(hidden_layer_sizes=(512, 512), max_iter=30, random_state=1)
    alone = MLPClassifier(**same_size).fit(X_train, y_train)
    line("784-512-512-10 alone (seed 1)", [compare(alone)])
    distilled = MLPClassifier(
        **same_size, distillation_weight=1.0, distillation_temperature=4.0
    ).fit(X_train, y_train, teacher=teacher)
    line("784-512-512-10 w=1, T=4 (seed 1)", [compare(distilled)])


if __name__ == "__main__":
    main()
