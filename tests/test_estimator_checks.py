"""scikit-learn's common estimator checks, with the parameters sklearn's own
test suite uses for its MLPs (max_iter=100)."""

import pytest
from fastdnn import MLPClassifier, MLPRegressor
from sklearn.utils.estimator_checks import parametrize_with_checks

# max_iter=100 does not converge on the checks' data, by design: sklearn's own
# run of these checks sees the same ConvergenceWarning, which pyproject's
# filterwarnings=["error"] would otherwise turn into failures. Every other
# warning still fails the check.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


# fastdnn computes in float32 by design (docs/architecture.md): a fit with
# integer sample weights and a fit on repeated rows sum the same terms in a
# different order, so they agree to ~1e-6 relative, while these two checks
# compare at rtol=1e-7. test_classifier.py and test_regressor.py check the
# same equivalences at float32 tolerance.
FLOAT32_REASON = (
    "float32 compute: weighted and repeated-row fits agree to ~1e-6, "
    "the check asks rtol=1e-7"
)


def expected_failed_checks(estimator):
    return {
        "check_sample_weight_equivalence_on_dense_data": FLOAT32_REASON,
        "check_sample_weight_equivalence_on_sparse_data": FLOAT32_REASON,
    }


@parametrize_with_checks(
    [MLPClassifier(max_iter=100), MLPRegressor(max_iter=100)],
    expected_failed_checks=expected_failed_checks,
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
