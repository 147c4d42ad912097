"""Write the committed model files that tests/test_model_file.py loads forever.

Run from the repository root with the fastdnn being tested importable:

    python tests/data/make_model_files.py

It fits two tiny models on fixed data, saves them as model_v1_classifier.fdnn
and model_v1_regressor.fdnn beside this script, and prints the predictions
the test holds (on the rows of ROWS below). The files were written with
format version 1: never regenerate them with a later version, since their
point is that a file written then still loads; add new files for new
versions instead.
"""

import pathlib
import warnings

import numpy as np
import pandas as pd
from fastdnn import MLPClassifier, MLPRegressor
from sklearn.exceptions import ConvergenceWarning

HERE = pathlib.Path(__file__).parent
FEATURES = ["width", "height", "depth"]
ROWS = [[0.5, -1.0, 2.0], [-0.25, 0.75, -1.5], [1.5, 0.0, 0.25]]


def training_data():
    rng = np.random.RandomState(0)
    X = pd.DataFrame(rng.normal(size=(40, 3)), columns=FEATURES)
    labels = np.array(["circle", "square", "triangle"])[
        (X["width"] > 0).to_numpy().astype(int) + (X["height"] > 0.5).to_numpy()
    ]
    targets = np.column_stack([X["width"] - X["depth"], X["height"] * 2.0])
    return X, labels, targets


def main():
    X, labels, targets = training_data()
    rows = pd.DataFrame(ROWS, columns=FEATURES)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        classifier = MLPClassifier(
            hidden_layer_sizes=(4, 3),
            normalization="layer",
            max_iter=3,
            random_state=0,
        ).fit(X, labels)
        regressor = MLPRegressor(
            hidden_layer_sizes=(4,),
            normalization="batch",
            max_iter=3,
            random_state=0,
        ).fit(X, targets)
    classifier.save(HERE / "model_v1_classifier.fdnn")
    regressor.save(HERE / "model_v1_regressor.fdnn")
    np.set_printoptions(precision=17)
    print("classifier.predict_proba:", classifier.predict_proba(rows).tolist())
    print("classifier.predict:", classifier.predict(rows).tolist())
    print("regressor.predict:", regressor.predict(rows).tolist())


if __name__ == "__main__":
    main()
