"""Run the same step on several threads released at the same moment (races on first open)."""

from __future__ import annotations

import threading
from collections.abc import Callable


def run_together(count: int, step: Callable[[int], None]) -> list[BaseException]:
    """`step(0)` … `step(count - 1)` on `count` threads behind one barrier; the errors they raised."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(n: int) -> None:
        barrier.wait()
        try:
            step(n)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors
