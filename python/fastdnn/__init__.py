"""fastdnn: fast CPU training of deep neural networks, scikit-learn's API."""

__version__ = "0.1.0"
