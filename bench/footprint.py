"""Memory and start-up: peak RSS of a gateway process with a 5,000-entry knowledge base under load,
and the time `hotline-gateway up` takes to answer /readyz — each next to the bare aiohttp server of
bench/bare_server.py measured in the same run.

    python bench/footprint.py [--entries 5000] [--starts 5]

The knowledge base is the default one's 88 articles varied into `--entries` distinct ones (each
question, its similar phrasings and its answer made specific to a city and a line), imported at
start. The load is 3,000 signed app messages (wrk, bench/wrk_replay.lua). Peak RSS is the
kernel's high-water mark (VmHWM). `up` starts with no HOTLINE_REDIS_URL: embedded Redis, a fresh
data dir each time. Redis database 14 on 127.0.0.1 (`BENCH_REDIS_URL`), flushed before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import redis

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from intake import REDIS_URL, _gateway, _stop, _wait_ready, app_requests, prepare, wrk  # noqa: E402

from tests.redis_process import free_port  # noqa: E402

DEFAULT_KB = REPO / "gateway" / "kb" / "default_kb.jsonl"
CITIES = ["广州", "深圳", "佛山", "东莞", "珠海", "汕头", "湛江", "韶关", "惠州", "江门", "肇庆", "清远"]


def large_kb(path: Path, entries: int) -> None:
    base = [json.loads(line) for line in DEFAULT_KB.read_text(encoding="utf-8").splitlines() if line.strip()]
    with path.open("w", encoding="utf-8") as out:
        for n in range(entries):
            article = base[n % len(base)]
            city, line = CITIES[n % len(CITIES)], n // len(base) + 1
            where = f"{city}{line}号线"
            varied = {
                **article,
                "id": f"kb-bench-{n:05d}",
                "question": f"{where}：{article['question']}",
                "similar": [f"{where}{similar}" for similar in article.get("similar", [])],
                "answer": f"（{where}）{article['answer']}",
            }
            out.write(json.dumps(varied, ensure_ascii=False) + "\n")


def peak_rss_mb(pid: int, field: str = "VmHWM") -> float:
    """The kernel's high-water mark of the resident size (`field="VmRSS"`: the size now)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise SystemExit(f"no {field}: not Linux?")


def _bare(port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, str(REPO / "bench" / "bare_server.py"), "--port", str(port), "--redis-url", REDIS_URL]
    return subprocess.Popen(command)


def _seconds_to_ready(port: int, start: Callable[[], subprocess.Popen[bytes]]) -> float:
    started = time.monotonic()
    process = start()
    try:
        _wait_ready(f"http://127.0.0.1:{port}", process)
        return time.monotonic() - started
    finally:
        _stop(process)


def start_up_seconds(work: Path, n: int) -> float:
    """`hotline-gateway up` from nothing (embedded Redis, a new data dir) to /readyz 200."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env.update(HOTLINE_DATA_DIR=str(work / f"up-{n}"), HOTLINE_PORT=str(port), HOTLINE_LOG_LEVEL="WARNING")
    command = [sys.executable, "-m", "gateway.cli", "up"]
    return _seconds_to_ready(
        port, lambda: subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, start_new_session=True)
    )


def bare_start_up_seconds() -> float:
    port = free_port()
    return _seconds_to_ready(port, lambda: _bare(port))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=5000)
    parser.add_argument("--starts", type=int, default=5)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    connection = redis.Redis.from_url(REDIS_URL)
    connection.flushdb()
    work = Path(tempfile.mkdtemp(prefix="hotline-bench-footprint-"))
    try:
        kb = work / "kb.jsonl"
        large_kb(kb, args.entries)
        gateway_port, bare_port = free_port(), free_port()
        gateway = _gateway(gateway_port, work / "var", HOTLINE_KB_PATH=str(kb))
        bare = _bare(bare_port)
        try:
            ready_s = _wait_ready(f"http://127.0.0.1:{gateway_port}", gateway)
            _wait_ready(f"http://127.0.0.1:{bare_port}", bare)
            idle_mb = peak_rss_mb(gateway.pid)
            requests = work / "load.bin"
            prepare(requests, app_requests(3000))
            for base in (f"http://127.0.0.1:{gateway_port}", f"http://127.0.0.1:{bare_port}"):
                wrk("load", base, requests, seconds=4, connections=32)
            gateway_mb, bare_mb = peak_rss_mb(gateway.pid), peak_rss_mb(bare.pid)
            steady_mb = peak_rss_mb(gateway.pid, "VmRSS")
        finally:
            _stop(gateway)
            _stop(bare)
        starts = [start_up_seconds(work, n) for n in range(args.starts)]
        bare_starts = [bare_start_up_seconds() for _ in range(args.starts)]
    finally:
        connection.flushdb()
        shutil.rmtree(work, ignore_errors=True)

    print(f"knowledge base: {args.entries} entries (imported at start; serve ready in {ready_s:.1f} s)")
    print(
        f"peak RSS, gateway serve: {gateway_mb:.0f} MB after load ({idle_mb:.0f} MB idle; "
        f"{steady_mb:.0f} MB resident after the load); target ≤ 250 MB"
    )
    print(f"peak RSS, bare aiohttp:  {bare_mb:.0f} MB; gateway / bare {gateway_mb / bare_mb:.1f}x")
    print(
        f"hotline-gateway up to /readyz: median {statistics.median(starts):.2f} s "
        f"(runs {', '.join(f'{s:.2f}' for s in starts)}); target ≤ 3 s"
    )
    print(
        f"bare aiohttp to ready: median {statistics.median(bare_starts):.2f} s; "
        f"up / bare {statistics.median(starts) / statistics.median(bare_starts):.1f}x"
    )


if __name__ == "__main__":
    main()
