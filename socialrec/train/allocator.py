"""Keep freed memory in the process for CPU training (glibc only).

A CPU training step allocates and frees the same few embedding-table-sized
tensors (megabytes each) dozens of times. glibc's malloc serves blocks
above its mmap threshold with fresh ``mmap`` calls and returns freed heap tops
to the kernel, so every new tensor is page-faulted in again, which can cost
more time than the sparse products themselves. Raising the mmap threshold to
glibc's maximum (32 MB, so tables of big graphs are still mapped and unmapped
as before) and the trim threshold to 1 GiB lets those blocks be reused.

The cost is that up to 1 GiB of freed heap can stay attached to the process;
set ``SOCIALREC_KEEP_FREED_MEMORY=0`` to leave malloc as it is.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's upper limit on 64-bit
_TRIM_THRESHOLD = 1 << 30

_done = False


def keep_freed_memory() -> bool:
    """Tune glibc's malloc once per process; ``True`` when the setting is in force."""
    global _done
    if _done:
        return True
    if not sys.platform.startswith("linux") or os.environ.get("SOCIALREC_KEEP_FREED_MEMORY") == "0":
        return False
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False
    _done = bool(mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)) and bool(
        mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD)
    )
    return _done
