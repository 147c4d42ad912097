"""The one warning bfloat16 gives: chosen on a CPU without bf16 instructions,
where its products are emulated and slower than float32's (docs/bfloat16.md)."""

import warnings

from fastdnn import _core

_warned = False


def warn_once_if_emulated(parameter):
    """Warn, once per process, that parameter='bfloat16' runs emulated here."""
    global _warned
    if _warned or _core.bf16_is_accelerated():
        return
    _warned = True
    warnings.warn(
        f"{parameter}='bfloat16' on a CPU (or FASTDNN_ISA path) without AMX or "
        "AVX512-BF16: its products are rounded to bfloat16 by the portable "
        "loop, which is slower than float32. Use 'float32' here.",
        UserWarning,
        stacklevel=3,
    )
