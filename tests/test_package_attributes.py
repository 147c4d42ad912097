"""What `import fastdnn` gives: the estimators, and submodules on first use."""

import subprocess
import sys
import textwrap


def run_fresh(code):
    """Runs code in a new interpreter (sys.modules untouched by the tests)."""
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_submodules_load_on_first_use_and_matplotlib_only_to_draw():
    out = run_fresh(
        """
        import sys
        import warnings

        import numpy as np
        import fastdnn

        print("matplotlib" in sys.modules, "fastdnn.plot" in sys.modules)
        assert {"plot", "callbacks", "schedules", "datasets"} <= set(dir(fastdnn))
        plot_history = fastdnn.plot.plot_history
        assert fastdnn.callbacks.EarlyStopping.__name__ == "EarlyStopping"
        assert fastdnn.schedules.OneCycle.__name__ == "OneCycle"
        assert callable(fastdnn.datasets.load_mnist_digits)
        assert callable(fastdnn.diagnose)
        try:
            fastdnn.no_such_thing
        except AttributeError as error:
            assert "no_such_thing" in str(error)
        else:
            raise AssertionError("fastdnn.no_such_thing did not raise")
        print("matplotlib" in sys.modules)

        import matplotlib

        matplotlib.use("Agg")
        X = np.random.default_rng(0).normal(size=(40, 3))
        y = (X[:, 0] > 0).astype(int)
        model = fastdnn.MLPClassifier(hidden_layer_sizes=(4,), max_iter=3)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(X, y)
        print(type(plot_history(model)).__name__)
        """
    )
    assert out.split() == ["False", "False", "False", "Figure"]
