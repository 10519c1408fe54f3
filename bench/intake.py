"""Intake throughput and latency of one gateway process next to a bare aiohttp POST handler, driven
by the same load generator in the same run (issue 8's first target).

    apt-get install -y wrk        # Debian's wrk: the load generator, in C, never the bottleneck here
    python bench/intake.py [--duration 10] [--connections 64]

The gateway runs as `hotline-gateway serve` (one process, real Redis database 14, flushed before
and after, the default knowledge base and policy). Every request is a new citizen message, signed
with a fresh nonce, so each runs the whole pipeline: verify, parse, dedupe, answer from the FAQ,
classify, number, enqueue (the answer only once the job is in Redis), reply. wrk replays requests
prepared beforehand (bench/wrk_replay.lua), each once.

Prints requests/s, p50/p99 latency and non-2xx answers for: the bare handler, the gateway's app
channel at its maximum, the app channel paced at 70% of that maximum, and WeChat safe mode (AES)
at its maximum; the ratio gateway / bare; and checks that every 2xx left exactly one job in Redis.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import redis
from rq import Queue
from rq.serializers import JSONSerializer

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from queue_workers.settings import FORWARD_QUEUE  # noqa: E402
from tests.conftest import signed_headers  # noqa: E402
from tests.redis_process import free_port  # noqa: E402
from tests.wechat_samples import AES_KEY, APP_ID, APP_SECRET, TOKEN, WeChatServer, message_xml  # noqa: E402

APP_KEY, APP_SECRET_KEY = "bench", "bench-secret-0123456789abcdef"
APP_PATH = "/api/v1/app/messages"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
LUA = REPO / "bench" / "wrk_replay.lua"

# What citizens write: complaints with their facts, questions the FAQ answers, suggestions.
TEXTS = [
    "出租车粤A{n:05d}拒载，今天上午9点在广州南站东广场，司机说不顺路。",
    "公交{r}路司机到站不停车，今天早上8点在天河客运站，等了半小时。",
    "高速公路通行费怎么收费？小车从广州到深圳大概多少钱？",
    "网约车粤B{n:05d}绕路多收了35元，昨晚10点从白云机场到天河北。",
    "建议地铁{r}号线早高峰加密班次，体育西路站每天都挤不上去。",
    "12328热线的投诉多久会有答复？",
    "长途客车超载，车牌粤C{n:05d}，今天下午3点在京港澳高速广州北收费站。",
    "驾驶员从业资格证到期了怎么换证？",
]


def _text(n: int) -> str:
    return TEXTS[n % len(TEXTS)].format(n=n % 100000, r=n % 300 + 1)


def _raw(method: str, target: str, headers: dict[str, str], body: bytes) -> bytes:
    head = f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return head.encode() + b"\r\n" + body


def app_requests(count: int, *, offset: int = 0, prefix: str = "") -> Iterator[bytes]:
    """Signed app messages; `prefix` puts them under another path (the references' routes)."""
    for n in range(offset, offset + count):
        body = json.dumps(
            {"request_id": str(uuid.uuid4()), "user_id": f"u{n}", "text": _text(n)}, ensure_ascii=False
        ).encode()
        headers = signed_headers(body, path=APP_PATH, key_id=APP_KEY, secret=APP_SECRET_KEY)
        yield _raw("POST", prefix + APP_PATH, headers, body)


def wechat_safe_requests(count: int, *, offset: int = 0) -> Iterator[bytes]:
    server = WeChatServer()
    for n in range(offset, offset + count):
        xml = message_xml("text", Content=_text(n), msg_id=str(secrets.randbits(62)), from_user=f"o{n:027d}")
        query, body = server.request(xml, "safe")
        target = "/channels/wechat?" + "&".join(f"{k}={v}" for k, v in query.items())
        yield _raw("POST", target, {"Content-Type": "text/xml"}, body)


def prepare(path: Path, requests: Iterator[bytes]) -> int:
    count = 0
    with path.open("wb") as out:
        for request in requests:
            assert b"\0" not in request
            out.write(request + b"\0")
            count += 1
    return count


@dataclass
class Run:
    name: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


def wrk(name: str, base: str, requests_file: Path, *, seconds: int, connections: int, delay_ms: float = 0) -> Run:
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        base,
        "--",
        str(requests_file),
        f"{delay_ms:.3f}",
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    figures = json.loads(output.strip().splitlines()[-1])
    return Run(
        name=name,
        requests=figures["requests"],
        seconds=figures["duration_us"] / 1e6,
        p50_ms=figures["p50_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        non_2xx=figures["non_2xx"],
        socket_errors=figures["connect"] + figures["read"] + figures["write"] + figures["timeout"],
    )


def _wait_ready(base: str, process: subprocess.Popen[bytes]) -> float:
    started = time.monotonic()
    while time.monotonic() - started < 60:
        if process.poll() is not None:
            raise SystemExit(f"{base}: the server exited ({process.returncode})")
        try:
            with urllib.request.urlopen(f"{base}/readyz", timeout=1) as response:  # noqa: S310 (http only)
                if response.status == 200:
                    return time.monotonic() - started
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"{base} did not become ready")


def _wait_processes(base: str, count: int) -> None:
    """Until `count` distinct processes have answered /healthz (each on a new connection)."""
    pids: set[int] = set()
    deadline = time.monotonic() + 60
    while len(pids) < count and time.monotonic() < deadline:
        with urllib.request.urlopen(f"{base}/healthz", timeout=1) as response:  # noqa: S310 (http only)
            pids.add(json.loads(response.read())["pid"])
    if len(pids) < count:
        raise SystemExit(f"only {len(pids)} of {count} server processes answered")


def _gateway(port: int, data_dir: Path, **settings: str) -> subprocess.Popen[bytes]:
    """`hotline-gateway serve` as the benchmarks run it; `settings`: more HOTLINE_ variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env.update(
        HOTLINE_REDIS_URL=REDIS_URL,
        HOTLINE_DATA_DIR=str(data_dir),
        HOTLINE_PORT=str(port),
        HOTLINE_CHANNELS="app,wechat",
        HOTLINE_APP_KEYS=json.dumps({APP_KEY: APP_SECRET_KEY}),
        HOTLINE_WECHAT_TOKEN=TOKEN,
        HOTLINE_WECHAT_AES_KEY=AES_KEY,
        HOTLINE_WECHAT_APP_ID=APP_ID,
        HOTLINE_WECHAT_APP_SECRET=APP_SECRET,
        HOTLINE_LOG_LEVEL="WARNING",
        HOTLINE_ADMIN_ENABLED="false",
        # One load generator stands for many citizens: the per-sender limits would stop it.
        HOTLINE_APP_RATE_LIMIT="1000000000",
        HOTLINE_WECHAT_RATE_LIMIT="1000000000",
        **settings,
    )
    return subprocess.Popen([sys.executable, "-m", "gateway.cli", "serve"], env=env)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=10, help="seconds of each run")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--paced-connections", type=int, default=16)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")

    connection = redis.Redis.from_url(REDIS_URL)
    connection.flushdb()
    work = Path(tempfile.mkdtemp(prefix="hotline-bench-intake-"))
    bare_port, gateway_port = free_port(), free_port()
    bare_base, gateway_base = f"http://127.0.0.1:{bare_port}", f"http://127.0.0.1:{gateway_port}"
    bare = subprocess.Popen(
        [sys.executable, str(REPO / "bench" / "bare_server.py"), "--port", str(bare_port), "--redis-url", REDIS_URL]
    )
    gateway = _gateway(gateway_port, work / "var")
    runs: list[Run] = []
    try:
        _wait_ready(bare_base, bare)
        _wait_ready(gateway_base, gateway)
        ceiling = 12_000 * args.duration  # more than either server answers in a run
        offset = 0
        taken_in_trials = 0

        def fresh(name: str, make: Callable[..., Iterator[bytes]], count: int, **options: str) -> Path:
            nonlocal offset
            path = work / f"{name}.bin"
            prepare(path, make(count, offset=offset, **options))
            offset += count
            return path

        warm_up = wrk("warm-up", gateway_base, fresh("warm", app_requests, 4000), seconds=2, connections=8)
        bare_file = fresh("bare", app_requests, ceiling)
        wrk("warm-up", bare_base, bare_file, seconds=2, connections=args.connections)
        runs.append(wrk("bare aiohttp", bare_base, bare_file, seconds=args.duration, connections=args.connections))
        naive_file = fresh("naive", app_requests, ceiling // 2, prefix="/naive")
        runs.append(wrk("naive enqueue", bare_base, naive_file, seconds=args.duration, connections=args.connections))
        app_file = fresh("app", app_requests, ceiling // 2)
        app = wrk("gateway app, max", gateway_base, app_file, seconds=args.duration, connections=args.connections)
        runs.append(app)
        # Paced: each connection waits between requests so that together they offer 70% of the
        # maximum; wrk's delay does not count the answer's own latency, so it is calibrated first.
        target = 0.7 * app.rps
        delay_ms = args.paced_connections * 1000 / target
        for _ in range(3):
            trial = wrk(
                "calibration",
                gateway_base,
                fresh("trial", app_requests, 8 * int(target)),
                seconds=3,
                connections=args.paced_connections,
                delay_ms=delay_ms,
            )
            taken_in_trials += trial.requests - trial.non_2xx
            delay_ms = max(0.0, delay_ms - args.paced_connections * 1000 * (1 / trial.rps - 1 / target))
        paced_file = fresh("paced", app_requests, ceiling // 2)
        runs.append(
            wrk(
                "gateway app, 70% of max",
                gateway_base,
                paced_file,
                seconds=args.duration,
                connections=args.paced_connections,
                delay_ms=delay_ms,
            )
        )
        wechat_file = fresh("wechat", wechat_safe_requests, ceiling // 4)
        runs.append(
            wrk("gateway WeChat safe", gateway_base, wechat_file, seconds=args.duration, connections=args.connections)
        )
        taken = taken_in_trials + sum(run.requests - run.non_2xx for run in (warm_up, *runs[2:]))
        queued = Queue(FORWARD_QUEUE, connection=connection, serializer=JSONSerializer).count
        _stop(gateway)
        # `serve --workers 2` on the same port, the same load: how far a second core takes it.
        gateway = _gateway(gateway_port, work / "var2", HOTLINE_SERVE_WORKERS="2")
        _wait_ready(gateway_base, gateway)
        _wait_processes(gateway_base, 2)
        wrk("warm-up", gateway_base, fresh("warm2", app_requests, 8000), seconds=2, connections=args.connections)
        two = fresh("two", app_requests, ceiling // 2)
        runs.append(
            wrk("gateway app ×2 processes", gateway_base, two, seconds=args.duration, connections=args.connections)
        )
    finally:
        _stop(gateway)
        _stop(bare)
        connection.flushdb()
        shutil.rmtree(work, ignore_errors=True)

    print(f"one process each, wrk -t1, {args.duration} s a run, every request a new signed submission")
    print(f"{'run':<26}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}{'sock err':>9}")
    for run in runs:
        print(
            f"{run.name:<26}{run.rps:>9.0f}{run.p50_ms:>9.1f}{run.p99_ms:>9.1f}{run.non_2xx:>9}{run.socket_errors:>9}"
        )
    bare_run, naive_run, app_run, paced_run, wechat_run, two_run = runs
    print(f"gateway app / bare aiohttp: {app_run.rps / bare_run.rps:.1%} (target ≥ 40%)")
    print(f"serve --workers 2 / one process: {two_run.rps / app_run.rps:.2f}x (target ≥ 1.6x)")
    print(f"gateway app / naive enqueue: {app_run.rps / naive_run.rps:.2f}x")
    print(f"WeChat safe / bare aiohttp: {wechat_run.rps / bare_run.rps:.1%}")
    print(f"p99 at {paced_run.rps / app_run.rps:.0%} of max: {paced_run.p99_ms:.1f} ms (target ≤ 25 ms at 70%)")
    # wrk stops counting at the end of a run with requests still in flight, which the gateway finishes.
    in_flight = queued - taken
    verdict = "one each" if 0 <= in_flight <= 6 * args.connections else "MISMATCH"
    print(
        f"jobs in Redis: {queued} for {taken} answers 2xx counted by wrk, "
        f"{in_flight} in flight at its stops ({verdict})"
    )


if __name__ == "__main__":
    main()
