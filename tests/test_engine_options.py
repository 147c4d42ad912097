"""The one path from a constructor parameter to the engine.

Each parameter is described once (fastdnn._options); the engine's option
structs are filled from mappings keyed by field name; the engine lists each
enum's names once; _core.pyi types the module. These tests hold each of
those pieces to the others.
"""

import ast
import inspect
import pathlib
import pickle

import fastdnn
import numpy as np
import pytest
from fastdnn import MLPClassifier, MLPRegressor, _core
from fastdnn._options import SHARED_OPTIONS

STUB = pathlib.Path(fastdnn.__file__).with_name("_core.pyi")

# A value other than the default for every parameter that sets an engine
# field directly, and the field's value it must arrive as. A new engine
# option fails test_every_engine_option_has_a_value_here until it is added.
NON_DEFAULT = {
    "alpha": (0.25, 0.25),
    "learning_rate_init": (0.005, 0.005),
    "momentum": (0.5, 0.5),
    "nesterovs_momentum": (False, False),
    "beta_1": (0.8, 0.8),
    "beta_2": (0.95, 0.95),
    "epsilon": (1e-6, 1e-6),
    "diagnostics": (False, False),
    "l1": (0.01, 0.01),
    "rho": (0.7, 0.7),
    "rmsprop_momentum": (0.2, 0.2),
    "clipvalue": (0.5, 0.5),
    "clipnorm": (2.0, 2.0),
    "averaging": ("ema", "ema"),
    "ema_decay": (0.9, 0.9),
    "normalization": ("layer", "layer"),
    "normalization_position": ("after", True),
    "batch_norm_momentum": (0.3, 0.3),
    "norm_epsilon": (1e-3, 1e-3),
    "input_dropout": (0.1, 0.1),
    "dropout_kind": ("gaussian", "gaussian"),
    "input_noise": (0.05, 0.05),
    "activity_l1": (1e-3, 1e-3),
    "residual": (True, True),
    "norm_groups": (2, 2),
    "layer_learning_rates": ([0.5, 1.0, 2.0], [0.5, 1.0, 2.0]),
    "layer_schedule": ("cyclic", "cyclic"),
    "distillation_temperature": (2.0, 2.0),
    "distillation_weight": (0.25, 0.25),
    "label_smoothing": (0.1, 0.1),
    "training_precision": ("bfloat16", "bfloat16"),
}

# Every option of either estimator (the classifier's include label_smoothing).
ALL_OPTIONS = {
    option.name: option for option in (*SHARED_OPTIONS, *MLPClassifier._options)
}


def _engine_option_names(engine):
    return {option.name for option in ALL_OPTIONS.values() if option.engine == engine}


def test_every_engine_option_has_a_value_here():
    assert set(NON_DEFAULT) == _engine_option_names("trainer") | _engine_option_names(
        "layer"
    )


@pytest.mark.parametrize(
    "engine, defaults",
    [
        ("trainer", _core.default_trainer_options()),
        ("layer", _core.default_layer_options()),
    ],
)
def test_each_engine_option_names_an_engine_field(engine, defaults):
    for option in ALL_OPTIONS.values():
        if option.engine == engine:
            assert option.engine_field in defaults, option.name


@pytest.fixture(scope="module")
def fitted_with_every_option():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 5))
    y = rng.integers(0, 3, size=40)
    parameters = {name: value for name, (value, _) in NON_DEFAULT.items()}
    clf = MLPClassifier(
        hidden_layer_sizes=(6, 6), max_iter=2, random_state=0, **parameters
    )
    with pytest.warns(Warning):  # two epochs do not converge
        clf.fit(X, y)
    return clf


def test_every_engine_option_reaches_the_engine(fitted_with_every_option):
    clf = fitted_with_every_option
    trainer_fields = clf._trainer.options
    layer_fields = clf._network.layer_options
    for option in ALL_OPTIONS.values():
        if option.engine is None:
            continue
        fields = trainer_fields if option.engine == "trainer" else layer_fields
        expected = NON_DEFAULT[option.name][1]
        actual = fields[option.engine_field]
        if isinstance(expected, float):
            # LayerOptions hold float32.
            assert actual == pytest.approx(expected, rel=1e-6), option.name
        else:
            assert actual == expected, option.name


def test_the_engine_rejects_unknown_and_mistyped_options():
    network = _core.Network([3, 4, 2], "relu", "softmax")
    with pytest.raises(ValueError, match="unknown engine option 'clipvalu'"):
        _core.Trainer(network, clipvalu=1.0)
    with pytest.raises(TypeError, match="option alpha cannot take 'large'"):
        _core.Trainer(network, alpha="large")
    with pytest.raises(ValueError, match="unknown solver 'adamax'; expected one of"):
        _core.Trainer(network, solver="adamax")
    with pytest.raises(TypeError, match="option dropout_kind takes a name"):
        _core.Network([3, 4, 2], "relu", "softmax", dropout_kind=1)
    with pytest.raises(ValueError, match="unknown engine option 'normalization_p"):
        _core.Network([3, 4, 2], "relu", "softmax", normalization_position="after")


def test_engine_names_are_the_ones_the_estimators_accept():
    names = _core.enum_names()
    for activation in names["hidden_activation"]:
        MLPClassifier(activation=activation).set_params()._validate_params()
    assert set(names["activation"]) - set(names["hidden_activation"]) == {
        "softmax",
        "exp",
    }
    with pytest.raises(ValueError, match="'softmax' is an output activation"):
        _core.Network([3, 4, 2], "softmax", "softmax")
    for solver in names["solver"]:
        MLPClassifier(solver=solver)._validate_params()


@pytest.mark.parametrize(
    "estimator, positional",
    [
        (MLPClassifier, ["hidden_layer_sizes", "activation"]),
        (MLPRegressor, ["loss", "hidden_layer_sizes", "activation"]),
    ],
)
def test_generated_init_has_scikit_learns_calling_convention(estimator, positional):
    parameters = inspect.signature(estimator).parameters
    kinds = {name: parameter.kind for name, parameter in parameters.items()}
    assert [n for n, k in kinds.items() if k is k.POSITIONAL_OR_KEYWORD] == positional
    assert all(
        kinds[name] is inspect.Parameter.KEYWORD_ONLY
        for name in parameters
        if name not in positional
    )
    values = [(5,), "tanh"] if estimator is MLPClassifier else ["poisson", (5,), "tanh"]
    model = estimator(*values)
    assert [getattr(model, name) for name in positional] == values
    with pytest.raises(TypeError):
        estimator(*values, "sgd")
    assert "loss" not in MLPClassifier().get_params()
    assert MLPClassifier().loss == "log_loss"


def test_models_pickled_with_the_old_option_names_load_the_same():
    """Until the engine took its options by field name, pickles stored
    clipvalue/clipnorm (None for off), trainable_layers None and
    normalization_position; such a model must load and predict the same."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(30, 4))
    y = rng.normal(size=30)
    model = MLPRegressor(
        hidden_layer_sizes=(5, 5),
        normalization="layer",
        normalization_position="after",
        clipnorm=1.0,
        max_iter=3,
        random_state=0,
    )
    with pytest.warns(Warning):
        model.fit(X, y)
    state = model.__getstate__()
    options = state["_trainer_options"]
    options["clipvalue"] = None
    options["clipnorm"] = options.pop("clip_norm")
    del options["clip_value"]
    options["trainable_layers"] = None
    layer_options = state["_network_state"]["layer_options"]
    after = layer_options.pop("normalize_after_activation")
    layer_options["normalization_position"] = "after" if after else "before"
    old = MLPRegressor.__new__(MLPRegressor)
    old.__setstate__(pickle.loads(pickle.dumps(state)))
    np.testing.assert_array_equal(old.predict(X), model.predict(X))
    assert old._trainer.options == model._trainer.options
    assert old._network.layer_options == model._network.layer_options


def _stub_names(tree):
    """Top-level names the stub declares, and each class's members."""
    names, members = set(), {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign):
            names.add(node.target.id)
        elif isinstance(node, ast.ClassDef):
            if any(getattr(base, "id", "") == "TypedDict" for base in node.bases):
                continue
            names.add(node.name)
            members[node.name] = {
                item.name if isinstance(item, ast.FunctionDef) else item.target.id
                for item in node.body
                if isinstance(item, ast.FunctionDef | ast.AnnAssign)
            }
    return names, members


def test_the_stub_declares_what_the_module_has():
    tree = ast.parse(STUB.read_text())
    names, members = _stub_names(tree)
    public = {name for name in dir(_core) if not name.startswith("_")}
    assert names == public
    for cls, declared in members.items():
        actual = {
            name
            for name in vars(getattr(_core, cls))
            if not name.startswith("_") or name == "__init__"
        }
        assert declared - {"__init__"} == actual - {"__init__"}, cls


def test_the_stubs_option_types_list_the_engine_fields():
    tree = ast.parse(STUB.read_text())
    typed = {
        node.name: [
            item.target.id for item in node.body if isinstance(item, ast.AnnAssign)
        ]
        for node in tree.body
        if isinstance(node, ast.ClassDef) and node.name.endswith("Options")
    }
    assert typed["TrainerOptions"] == list(_core.default_trainer_options())
    assert typed["LayerOptions"] == list(_core.default_layer_options())
