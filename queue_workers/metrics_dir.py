"""Where the processes of one machine keep their metric values (prometheus-client's multi-process
mode). Kept apart from `queue_workers.metrics`: the directory must be chosen before that module,
or anything else, imports prometheus-client."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare_multiprocess_dir(data_dir: Path, *, fresh: bool) -> Path | None:
    """Point this process (and the ones it starts) at `<data_dir>/metrics`. `fresh`: the caller
    starts the machine's gateway (serve, up), so values of an earlier run are wiped; a worker joins
    only a directory a gateway made (None otherwise: it counts in its own memory)."""
    path = data_dir / "metrics"
    if fresh:
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True, exist_ok=True)
    elif not path.is_dir():
        return None
    os.environ[MULTIPROC_ENV] = str(path)
    return path
