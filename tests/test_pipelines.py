"""The estimators inside scikit-learn pipelines, on a sample of UCI Adult.

tests/data/adult_sample.csv.gz is a fixed 2,000-row sample of the Adult
training file (see tests/data/README.md), so these tests run on a fresh clone.
"""

import functools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from estimator_helpers import ignore_convergence
from fastdnn import MLPClassifier
from sklearn.compose import ColumnTransformer
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

DATA = Path(__file__).parent / "data" / "adult_sample.csv.gz"
NUMERIC = [
    "age",
    "fnlwgt",
    "education-num",
    "capital-gain",
    "capital-loss",
    "hours-per-week",
]
CATEGORICAL = [
    "workclass",
    "education",
    "marital-status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "native-country",
]


@functools.cache
def adult():
    df = pd.read_csv(DATA)
    y = (df.pop("Salary") == ">50K").astype(int).to_numpy()
    return df, y


def make_model(Est, **mlp_params):
    # OneHotEncoder keeps its default sparse output: the MLP must take the
    # scipy.sparse matrix the ColumnTransformer then produces.
    pre = ColumnTransformer(
        [
            ("cat", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL),
            ("num", StandardScaler(), NUMERIC),
        ],
        sparse_threshold=1.0,
    )
    params = dict(hidden_layer_sizes=(32,), alpha=1e-3, max_iter=30, random_state=0)
    params.update(mlp_params)
    return make_pipeline(pre, Est(**params))


def test_column_transformer_output_is_sparse():
    # Guards the premise of the next test: the MLP really receives sparse X.
    X, y = adult()
    Xt = make_model(MLPClassifier)[0].fit_transform(X, y)
    import scipy.sparse as sp

    assert sp.issparse(Xt)


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_adult_pipeline_accuracy_is_close_to_sklearn(solver):
    X, y = adult()
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.3, random_state=0, stratify=y
    )
    ours, theirs = [], []
    with ignore_convergence():
        for seed in (0, 1):
            # lbfgs is only seed-stable here when well regularised.
            kw = dict(solver=solver, random_state=seed)
            if solver == "lbfgs":
                kw.update(alpha=10.0, max_iter=200)
            ours.append(
                make_model(MLPClassifier, **kw).fit(X_tr, y_tr).score(X_te, y_te)
            )
            theirs.append(
                make_model(SkMLPClassifier, **kw).fit(X_tr, y_tr).score(X_te, y_te)
            )
    # Majority class is 0.75: the model must learn something, and as much as
    # sklearn's (seed spread of a two-seed mean here is about 0.01).
    assert np.mean(ours) > 0.78
    assert abs(np.mean(ours) - np.mean(theirs)) <= 0.02, (ours, theirs)


def test_pipeline_handles_unseen_categories_at_predict():
    X, y = adult()
    with ignore_convergence():
        model = make_model(MLPClassifier, max_iter=5).fit(X, y)
    X_new = X.head(5).copy()
    X_new["native-country"] = "Atlantis"
    X_new["occupation"] = "Astronaut"
    proba = model.predict_proba(X_new)
    assert proba.shape == (5, 2)
    assert np.all(np.isfinite(proba))


def test_grid_search_with_two_jobs_sets_best_params():
    X, y = adult()
    X, y = X.iloc[:800], y[:800]
    grid = GridSearchCV(
        make_model(MLPClassifier, max_iter=15),
        {
            "mlpclassifier__alpha": [1e-4, 1.0],
            "mlpclassifier__hidden_layer_sizes": [(8,), (16,)],
        },
        cv=3,
        n_jobs=2,
        error_score="raise",
    )
    with ignore_convergence():
        grid.fit(X, y)
    assert set(grid.best_params_) == {
        "mlpclassifier__alpha",
        "mlpclassifier__hidden_layer_sizes",
    }
    assert grid.best_params_["mlpclassifier__alpha"] in (1e-4, 1.0)
    assert len(grid.cv_results_["mean_test_score"]) == 4
    assert np.all(np.isfinite(grid.cv_results_["mean_test_score"]))
    assert grid.best_score_ > 0.75
    best_mlp = grid.best_estimator_[-1]
    assert isinstance(best_mlp, MLPClassifier)
    assert (
        best_mlp.hidden_layer_sizes
        == grid.best_params_["mlpclassifier__hidden_layer_sizes"]
    )
    assert grid.predict(X.head(3)).shape == (3,)


def test_cross_val_score_runs_and_scores_above_majority_rate():
    X, y = adult()
    with ignore_convergence():
        scores = cross_val_score(make_model(MLPClassifier, max_iter=20), X, y, cv=3)
    assert scores.shape == (3,)
    assert np.all(scores > 0.78)


def test_subclass_parameters_are_its_own_and_survive_clone():
    # The parameter names are read from each class's own __init__ once and
    # kept: a subclass must list its extra parameter, its base must not.
    from fastdnn import MLPRegressor
    from sklearn.base import clone

    class WithPatience(MLPClassifier):
        def __init__(self, patience=3, *, hidden_layer_sizes=(100,), max_iter=200):
            super().__init__(hidden_layer_sizes=hidden_layer_sizes, max_iter=max_iter)
            self.patience = patience

    assert "patience" not in MLPClassifier().get_params()
    assert WithPatience(patience=7).get_params() == {
        "patience": 7,
        "hidden_layer_sizes": (100,),
        "max_iter": 200,
    }
    assert clone(WithPatience(patience=7)).patience == 7
    assert "patience" not in MLPClassifier().get_params()
    assert "loss" in MLPRegressor().get_params()
    assert "loss" not in MLPClassifier().get_params()
