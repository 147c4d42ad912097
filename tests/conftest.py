"""Fixtures shared by the test modules."""

import pytest
from fastdnn import _core


@pytest.fixture(params=_core.supported_isas())
def isa(request):
    """Runs the test once per instruction set this CPU has, forced active."""
    previous = _core.active_isa()
    _core.set_isa(request.param)
    yield request.param
    _core.set_isa(previous)
