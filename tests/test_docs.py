"""The API reference lists every public name of the package.

Read from the sources of docs/, without building the site (CI builds it
after the tests, .ci/run): a public name missing from docs/api.rst would be
an undocumented part of the API, a name listed there that the package lacks
a broken page.
"""

import importlib
import pkgutil
import re
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
