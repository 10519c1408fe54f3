"""Files a machine's processes create once and then share (the signing key, the spool's node id).

Several processes start at once (`serve --workers N`, `up`'s server beside its workers), and the
first to create such a file must not let another read it half-written: a file created with
O_EXCL and written afterwards is, for a moment, empty, and a process reading it then took an
empty signing key or an empty node id. So the content is written whole to a temporary file and
only then given the name (a hard link, which fails if the name exists): the name appears with
its content, and whoever loses the race reads the winner's.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def read_or_create(path: Path, make: Callable[[], bytes], *, mode: int) -> bytes:
    """The content of `path`; if there is no such file, `make()`'s, written (fsynced, `mode`)
    before the name appears. Every process of a machine gets the same bytes."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    content = make()
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            return path.read_bytes()  # another process was first: its content, whole
        fsync_directory(path.parent)
        return content
    finally:
        os.unlink(temporary)


def fsync_directory(directory: Path) -> None:
    """Make a new name in `directory` durable (the file's own fsync does not cover its entry)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
