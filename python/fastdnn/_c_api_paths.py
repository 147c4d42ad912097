"""Where the installed package keeps the C API (docs/c_api.md), found as
numpy.get_include() and pybind11.get_cmake_dir() find theirs."""

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def get_include():
    """The folder that holds ``fastdnn.h``: pass it to a compiler's ``-I``."""
    return str(_PACKAGE / "include")


def get_library():
    """The full path of the shared library ``libfastdnn.so``."""
    return str(_PACKAGE / "lib" / "libfastdnn.so")


def get_cmake_dir():
    """The folder of ``fastdnnConfig.cmake``, for ``find_package(fastdnn
    CONFIG)``: pass it as ``-Dfastdnn_DIR=...``."""
    return str(_PACKAGE / "cmake")
