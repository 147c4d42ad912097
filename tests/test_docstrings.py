"""The estimators' rendered docstrings document every parameter, in order.

The shared parameter and attribute blocks are written once in
fastdnn._docstrings and substituted into both class docstrings; these tests
read the result as a user's help() shows it.
"""

import inspect
import re

import pytest
from fastdnn import MLPClassifier, MLPRegressor
from fastdnn._options import HIDDEN_ACTIVATIONS, WEIGHT_INITS

ESTIMATORS = [MLPClassifier, MLPRegressor]


def _section(estimator, title):
    """The names documented in a numpydoc section of the class docstring."""
    doc = inspect.cleandoc(estimator.__doc__)
    match = re.search(rf"^{title}\n-+\n(.*?)(?=^\S[^\n]*\n-+\n|\Z)", doc, re.M | re.S)
    assert match, f"{estimator.__name__} has no {title} section"
    return re.findall(r"^(\w+) :", match.group(1), re.M)


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_parameters_section_lists_init_parameters_in_signature_order(estimator):
    signature = list(inspect.signature(estimator.__init__).parameters)[1:]
    assert _section(estimator, "Parameters") == signature


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_no_placeholder_is_left_unfilled(estimator):
    assert "$" not in estimator.__doc__


def test_estimator_specific_documentation_stays_with_its_estimator():
    assert "loss" in _section(MLPRegressor, "Parameters")
    assert "loss" not in _section(MLPClassifier, "Parameters")
    assert _section(MLPClassifier, "Attributes")[0] == "classes_"
    assert "classes_" not in _section(MLPRegressor, "Attributes")
    shared = _section(MLPRegressor, "Attributes")
    assert _section(MLPClassifier, "Attributes")[1:] == shared
    assert {"loss_", "coefs_", "history_", "out_activation_"} <= set(shared)


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize(
    "parameter, accepted",
    [("activation", HIDDEN_ACTIVATIONS), ("weight_init", WEIGHT_INITS)],
)
def test_documented_choices_are_the_accepted_names(estimator, parameter, accepted):
    doc = inspect.cleandoc(estimator.__doc__)
    choices = re.search(rf"^{parameter} : \{{(.*?)\}}", doc, re.M | re.S).group(1)
    assert re.findall(r"'(\w+)'", choices) == list(accepted)
