"""Sphinx configuration of fastdnn's documentation site.

Build (docs/README.md has both builds and what each executes):

    python -m sphinx -W --keep-going -b html docs docs/_build/html

The pages are the Markdown files of docs/ (read by myst-parser, so they stay
readable on a code host too), the API reference generated from the
docstrings (docs/api.rst), and the gallery made of examples/.
"""

import inspect
import os
import re
import sys
from pathlib import Path

import fastdnn
import sklearn.neural_network

# sphinx-gallery resolves every name an example uses, even in an example the
# build does not run, by reading it from its module; scikit-learn's
# experimental HalvingRandomSearchCV (examples/hyperparameter_search.py) is
# there only once this import has enabled it.
from sklearn.experimental import enable_halving_search_cv  # noqa: E402, F401

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS))

import gallery_builds  # noqa: E402

project = "fastdnn"
author = "the fastdnn developers"
copyright = "the fastdnn developers, BSD-3-Clause"
release = fastdnn.__version__
version = release

extensions = [
    "myst_parser",
    "numpydoc",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "sphinx_copybutton",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = [
    "_build",
    "_intersphinx",
    "README.md",
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
    "auto_examples/*.zip",
    "auto_examples/*.md5",
    "auto_examples/*.json",
]
templates_path = ["_templates"]

# Markdown pages link each other by file name (architecture.md), as they do
# on a code host, and to headings by their slug (#the-gemm).
myst_heading_anchors = 4
myst_enable_extensions = ["dollarmath", "colon_fence", "deflist"]

# Every page of the API reference is generated from the docstrings.
autosummary_generate = True
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = True
numpydoc_xref_aliases = {
    "ndarray": "numpy.ndarray",
    "array-like": ":term:`array-like <array_like>`",
    "array_like": ":term:`array_like`",
    "sparse matrix": "scipy.sparse.csr_matrix",
    "callable": ":term:`python:callable`",
    "estimator": "sklearn.base.BaseEstimator",
    "path-like": ":term:`python:path-like object`",
    "random_state": ":term:`sklearn:random_state`",
    "RandomState": "numpy.random.RandomState",
    "Generator": "numpy.random.Generator",
    "MLPClassifier": "fastdnn.MLPClassifier",
    "MLPRegressor": "fastdnn.MLPRegressor",
    "MLPAutoencoder": "fastdnn.MLPAutoencoder",
    "MLPEmbedding": "fastdnn.MLPEmbedding",
    "Anneal": "fastdnn.schedules.Anneal",
    "GradientCheckResult": "fastdnn.gradient_check.GradientCheckResult",
    "LearningRateSchedule": "fastdnn.schedules.LearningRateSchedule",
    "Callback": "fastdnn.callbacks.Callback",
    "Finding": "fastdnn.diagnosis.Finding",
}
numpydoc_xref_ignore = "all"
# A parameter missing from its docstring's Parameters section fails the build.
numpydoc_validation_checks = {"PR01"}

# The inventories of the sites linked to travel with the repository
# (docs/_intersphinx, made by make_inventories.py), so the build needs no
# network: CI reaches only PyPI, and warnings are errors there.
intersphinx_mapping = {
    name: (url, str(DOCS / "_intersphinx" / f"{name}.inv"))
    for name, url in {
        "python": "https://docs.python.org/3/",
        "numpy": "https://numpy.org/doc/stable/",
        "scipy": "https://docs.scipy.org/doc/scipy/",
        "sklearn": "https://scikit-learn.org/stable/",
        "matplotlib": "https://matplotlib.org/stable/",
    }.items()
}

html_theme = "pydata_sphinx_theme"
html_title = f"fastdnn {release}"
html_static_path = []
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 5,
    "secondary_sidebar_items": ["page-toc", "sourcelink"],
}
html_sidebars = {"index": []}

sphinx_gallery_conf = {
    # A folder of examples/ without a GALLERY_HEADER.rst or README.txt is
    # no section of the gallery: examples/c_api, C and C++ clients that
    # docs/c_api.md shows how to build, stays out of it.
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    # Each API page lists the examples that use its name.
    "doc_module": ("fastdnn",),
    "backreferences_dir": "api",
    "reference_url": {"fastdnn": None},
    # Which scripts run at build time: FASTDNN_DOCS_GALLERY=quick (default),
    # full or none; docs/gallery_builds.py names the slow ones.
    "filename_pattern": gallery_builds.executed_pattern(
        os.environ.get("FASTDNN_DOCS_GALLERY", "quick")
    ),
    "ignore_pattern": r"__init__\.py",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "only_warn_on_example_error": False,
    "capture_repr": ("_repr_html_",),
    "image_scrapers": ("matplotlib",),
    "matplotlib_animations": False,
    "reset_modules": ("matplotlib",),
    "min_reported_time": 1,
}

# Scikit-learn's estimators are where a parameter that fastdnn shares with
# them (same name, same default) is defined: its entry links there.
_SKLEARN_TWINS = {
    "fastdnn.MLPClassifier": sklearn.neural_network.MLPClassifier,
    "fastdnn.MLPRegressor": sklearn.neural_network.MLPRegressor,
}
_PARAMETER_ENTRY = re.compile(r"^(\w+) : ")


def _shared_with_sklearn(twin, own):
    """The parameter names with the same default in both signatures."""
    theirs = inspect.signature(twin).parameters
    mine = inspect.signature(own).parameters
    return {
        name
        for name, parameter in mine.items()
        if name in theirs and repr(theirs[name].default) == repr(parameter.default)
    }


def link_shared_parameters(app, what, name, obj, options, lines):
    """End each shared parameter's entry with a link to scikit-learn's
    estimator."""
    twin = _SKLEARN_TWINS.get(name)
    if what != "class" or twin is None:
        return
    shared = _shared_with_sklearn(twin, obj)
    target = f"{twin.__module__.rsplit('._', 1)[0]}.{twin.__name__}"
    note = f"    Scikit-learn's :class:`~{target}` takes it too, with the same default."
    section, entry, result = None, None, []
    for index, line in enumerate(lines):
        heading = index + 1 < len(lines) and re.fullmatch(r"-{3,}", lines[index + 1])
        starts_entry = _PARAMETER_ENTRY.match(line)
        # An entry ends where the next one, or the next section, begins.
        if entry in shared and (heading or starts_entry):
            while result and not result[-1].strip():
                result.pop()
            result += ["", note, ""]
        if heading:
            section = line.strip()
        entry = starts_entry.group(1) if starts_entry else entry
        if heading or section != "Parameters":
            entry = None
        result.append(line)
    lines[:] = result


def setup(app):
    # Before numpydoc (priority 500) turns the sections into reST.
    app.connect("autodoc-process-docstring", link_shared_parameters, priority=400)
