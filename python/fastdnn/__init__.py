"""fastdnn: fast CPU training of deep neural networks, scikit-learn's API."""

from fastdnn._classifier import MLPClassifier
from fastdnn._regressor import MLPRegressor
from fastdnn.diagnosis import diagnose

__all__ = ["MLPClassifier", "MLPRegressor", "diagnose"]
__version__ = "0.1.0"
