"""Write the intersphinx inventories the documentation links through.

The build reads these files instead of downloading each site's objects.inv:
CI reaches only PyPI and builds with warnings as errors. Each inventory holds
only the names fastdnn's pages and docstrings link to; a new link to another
site's object is one row below and a rerun:

    python docs/_intersphinx/make_inventories.py
"""

import zlib
from pathlib import Path

# site: (project, version, [(name, domain:role, page relative to the site)])
# A page ending in "$" is completed by the name, as Sphinx writes them. A
# label's row may end with the text a reference to it shows (its title);
# without one, the label with spaces for underscores.
INVENTORIES = {
    "python": (
        "Python",
        "3",
        [
            ("bool", "py:class", "library/functions.html#bool"),
            ("dict", "py:class", "library/stdtypes.html#dict"),
            ("float", "py:class", "library/functions.html#float"),
            ("int", "py:class", "library/functions.html#int"),
            ("list", "py:class", "library/stdtypes.html#list"),
            ("str", "py:class", "library/stdtypes.html#str"),
            ("tuple", "py:class", "library/stdtypes.html#tuple"),
            ("bytes", "py:class", "library/stdtypes.html#bytes"),
            ("ValueError", "py:exception", "library/exceptions.html#$"),
            ("pickle", "py:module", "library/pickle.html#module-pickle"),
            ("callable", "std:term", "glossary.html#term-callable"),
            ("sequence", "std:term", "glossary.html#term-sequence"),
            ("path-like object", "std:term", "glossary.html#term-path-like-object"),
            (
                "bltin-boolean-values",
                "std:label",
                "library/stdtypes.html#boolean-type-bool",
            ),
        ],
    ),
    "numpy": (
        "NumPy",
        "2",
        [
            ("numpy.ndarray", "py:class", "reference/generated/numpy.ndarray.html#$"),
            ("numpy.float32", "py:attribute", "reference/arrays.scalars.html#$"),
            ("numpy.random.RandomState", "py:class", "reference/random/legacy.html#$"),
            ("numpy.random.Generator", "py:class", "reference/random/generator.html#$"),
            ("array_like", "std:term", "glossary.html#term-array_like"),
        ],
    ),
    "scipy": (
        "SciPy",
        "1",
        [
            (
                "scipy.sparse.csr_matrix",
                "py:class",
                "reference/generated/scipy.sparse.csr_matrix.html#$",
            ),
            (
                "scipy.optimize.minimize",
                "py:function",
                "reference/generated/scipy.optimize.minimize.html#$",
            ),
        ],
    ),
    "sklearn": (
        "scikit-learn",
        "1.9",
        [
            *(
                (
                    f"sklearn.{name}",
                    "py:class",
                    f"modules/generated/sklearn.{name}.html#$",
                )
                for name in (
                    "neural_network.MLPClassifier",
                    "neural_network.MLPRegressor",
                    "base.BaseEstimator",
                    "pipeline.Pipeline",
                    "model_selection.GridSearchCV",
                    "preprocessing.StandardScaler",
                )
            ),
            *(
                (
                    f"sklearn.{name}",
                    "py:function",
                    f"modules/generated/sklearn.{name}.html#$",
                )
                for name in ("base.clone", "model_selection.learning_curve")
            ),
            ("random_state", "std:term", "glossary.html#term-random_state"),
            ("early_stopping", "std:term", "glossary.html#term-early_stopping"),
            ("warm_start", "std:term", "glossary.html#term-warm_start"),
            ("n_jobs", "std:term", "glossary.html#term-n_jobs"),
            ("partial_fit", "std:term", "glossary.html#term-partial_fit"),
            ("meta-estimator", "std:term", "glossary.html#term-meta-estimator"),
            *(
                (label, "std:label", page)
                for label, page in (
                    ("metadata_routing", "metadata_routing.html#metadata-routing"),
                    ("accuracy_score", "modules/model_evaluation.html#accuracy-score"),
                    ("r2_score", "modules/model_evaluation.html#r2-score"),
                    (
                        "neural_networks_supervised",
                        "modules/neural_networks_supervised.html#neural-networks-supervised",
                    ),
                    # set_output's docstring, inherited by the transformers
                    # MLPEmbedding and MLPAutoencoder.
                    (
                        "df_output_transform",
                        "modules/df_output_transform.html#df-output-transform",
                    ),
                )
            ),
            (
                "sphx_glr_auto_examples_miscellaneous_plot_set_output.py",
                "std:label",
                "auto_examples/miscellaneous/plot_set_output.html"
                "#sphx-glr-auto-examples-miscellaneous-plot-set-output-py",
                "Introducing the set_output API",
            ),
        ],
    ),
    "matplotlib": (
        "Matplotlib",
        "3",
        [
            (
                "matplotlib.figure.Figure",
                "py:class",
                "api/_as_gen/matplotlib.figure.Figure.html#$",
            ),
            (
                "matplotlib.axes.Axes",
                "py:class",
                "api/_as_gen/matplotlib.axes.Axes.html#$",
            ),
        ],
    ),
}


def inventory(project, version, entries):
    """An objects.inv file, format version 2, as Sphinx writes it."""
    header = (
        "# Sphinx inventory version 2\n"
        f"# Project: {project}\n"
        f"# Version: {version}\n"
        "# The remainder of this file is compressed using zlib.\n"
    )
    # A label's display name is the text a reference to it shows; "-" is the name.
    rows = []
    for name, role, page, *title in sorted(entries):
        display = name.replace("_", " ") if role == "std:label" else "-"
        rows.append(f"{name} {role} -1 {page} {(title or [display])[0]}\n")
    body = "".join(rows)
    return header.encode() + zlib.compress(body.encode(), 9)


def main():
    folder = Path(__file__).resolve().parent
    for site, (project, version, entries) in INVENTORIES.items():
        (folder / f"{site}.inv").write_bytes(inventory(project, version, entries))


if __name__ == "__main__":
    main()
