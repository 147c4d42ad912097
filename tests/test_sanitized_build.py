"""The sanitizer run of CI tests the sanitizer build.

``.ci/run`` runs part of the suite a second time against an AddressSanitizer
+ UndefinedBehaviorSanitizer build, with FASTDNN_EXPECT_SANITIZED set. If the
ordinary build were imported instead, that run would test nothing new and
pass; this fails it instead.
"""

import ctypes
import os

import fastdnn
import pytest
from fastdnn import _core


@pytest.mark.skipif(
    "FASTDNN_EXPECT_SANITIZED" not in os.environ,
    reason="only the sanitizer run of .ci/run checks which build it imports",
)
def test_the_sanitizer_run_imports_the_sanitized_extension():
    assert _core.sanitized_build, f"{_core.__file__} is not the sanitized build"


@pytest.mark.skipif(
    "FASTDNN_EXPECT_SANITIZED" not in os.environ,
    reason="only the sanitizer run of .ci/run checks which build it loads",
)
def test_the_sanitizer_run_loads_the_sanitized_c_library():
    # tests/test_c_api.py loads libfastdnn through ctypes: it must be the
    # instrumented one, which links AddressSanitizer's runtime, and so finds
    # its entry point among the symbols the library reaches.
    library = ctypes.CDLL(fastdnn.get_library())
    assert hasattr(library, "__asan_init"), f"{fastdnn.get_library()} is not sanitized"
