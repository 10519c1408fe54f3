"""Handing freed memory back to the operating system.

Building a knowledge base index allocates and frees tens of megabytes of small objects; glibc's
allocator keeps the freed pages in the process (its heap's top and free lists) unless asked, so
a gateway's resident size would stay at its build-time high. `malloc_trim(0)` returns them. Where
the C library is not glibc (musl, macOS) there is nothing to call and nothing happens.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from collections.abc import Callable
from typing import cast


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        function = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_size_t]
    function.restype = ctypes.c_int
    return cast(Callable[[int], int], function)


def release_free_memory() -> bool:
    """Give the allocator's free pages back to the system; True when the C library could."""
    trim = _malloc_trim()
    if trim is None:
        return False
    return bool(trim(0))
