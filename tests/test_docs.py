"""The API reference lists every public name of the package.

Read from the sources of docs/, without building the site (CI builds it
after the tests, .ci/run): a public name missing from docs/api.rst would be
an undocumented part of the API, a name listed there that the package lacks
a broken page.
"""

import ast
import importlib
import pkgutil
import re
import sys
from pathlib import Path

import fastdnn
import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
API = DOCS / "api.rst"


def _public_modules():
    """fastdnn and each of its submodules whose name has no underscore."""
    names = [
        info.name
        for info in pkgutil.iter_modules(fastdnn.__path__)
        if not info.name.startswith("_")
    ]
    return ["fastdnn", *(f"fastdnn.{name}" for name in sorted(names))]


def _public_names(module_name):
    module = importlib.import_module(module_name)
    assert hasattr(module, "__all__"), f"{module_name} names no public API (__all__)"
    return [f"{module_name}.{name}" for name in module.__all__]


def _autosummary_entries(text):
    """The names listed by the autosummary directives of a reST page, each
    qualified with the module its ``currentmodule`` names."""
    entries, current = [], None
    for block in re.split(r"\n(?=\S)", text):
        if match := re.match(r"\.\. currentmodule:: (\S+)", block):
            current = match.group(1)
        if block.startswith(".. autosummary::"):
            for line in block.splitlines()[1:]:
                name = line.strip()
                if name and not name.startswith(":"):
                    entries.append(f"{current}.{name}")
    return entries


@pytest.mark.parametrize("module_name", _public_modules())
def test_every_public_name_is_in_the_api_reference(module_name):
    listed = set(_autosummary_entries(API.read_text()))
    missing = [name for name in _public_names(module_name) if name not in listed]
    assert not missing, f"add to docs/api.rst: {missing}"


def test_every_api_reference_entry_is_a_public_name():
    public = {name for module in _public_modules() for name in _public_names(module)}
    entries = _autosummary_entries(API.read_text())
    assert len(entries) == len(set(entries)), "a name is listed twice"
    assert set(entries) <= public, f"not public: {set(entries) - public}"


def test_autosummary_entries_are_read_with_their_module():
    text = (
        ".. currentmodule:: fastdnn\n\n.. autosummary::\n   :toctree: api/\n\n"
        "   MLPClassifier\n   plot.plot_history\n\nSome text\n"
    )
    assert _autosummary_entries(text) == [
        "fastdnn.MLPClassifier",
        "fastdnn.plot.plot_history",
    ]


EXAMPLES = DOCS.parent / "examples"


def _gallery_scripts():
    return sorted(EXAMPLES.glob("*.py"))


@pytest.mark.parametrize("script", _gallery_scripts(), ids=lambda path: path.name)
def test_every_example_has_a_gallery_title(script):
    """sphinx-gallery titles an example's page with the first line of its
    docstring underlined with '='; without one the gallery's index links
    nothing (a warning, which fails the site's build)."""
    docstring = ast.get_docstring(ast.parse(script.read_text()), clean=False) or ""
    lines = docstring.lstrip("\n").splitlines()
    assert len(lines) >= 2, f"{script.name}: no docstring title"
    title, underline = lines[0].strip(), lines[1].strip()
    assert title and set(underline) == {"="} and len(underline) >= len(title), (
        f"{script.name}: the docstring must start with a title underlined with '='"
    )


def test_slow_and_never_run_examples_exist():
    """A renamed example left in gallery_builds.py would run in CI's quick
    build again, silently."""
    sys.path.insert(0, str(DOCS))
    try:
        import gallery_builds
    finally:
        sys.path.remove(str(DOCS))
    names = {script.name for script in _gallery_scripts()}
    listed = set(gallery_builds.SLOW) | set(gallery_builds.NEVER)
    assert listed <= names, f"not in examples/: {sorted(listed - names)}"
