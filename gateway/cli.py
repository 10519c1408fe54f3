"""The `hotline-gateway` command: `up` (everything on one machine), `serve`, `worker`, `schema`,
`kb` (the knowledge base: `gateway/kb/commands.py`), `classify` (the policy: `gateway/policy/commands.py`)."""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web
from pydantic import SecretStr, ValidationError

from channels import ChannelConfigError
from gateway import dlq_commands
from gateway.embedded_redis import EmbeddedRedis
from gateway.kb import commands as kb_commands
from gateway.logs import configure_logging
from gateway.memory import release_free_memory
from gateway.policy import commands as policy_commands
from gateway.policy.calendar import CalendarFileError
from gateway.settings import Settings
from queue_workers.metrics_dir import prepare_multiprocess_dir

log = logging.getLogger("hotline-gateway")

LOCAL_APP_KEY_ID = "local"


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = _load_settings(args)
    except ValidationError as exc:
        print(f"hotline-gateway: invalid configuration:\n{configuration_errors(exc)}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, secrets=settings.secret_values(), fmt=settings.log_format)
    try:
        result: int = args.run(settings, args)
    except (ChannelConfigError, CalendarFileError) as exc:
        print(f"hotline-gateway: {exc}", file=sys.stderr)
        return 2
    return result


def configuration_errors(exc: ValidationError) -> str:
    """One line per wrong setting, without the value it was given: most settings that can be wrong
    are credentials, and a start-up error lands in logs and terminals."""
    lines = []
    for error in exc.errors(include_url=False, include_input=False, include_context=False):
        where = ".".join(str(part) for part in error["loc"]) or "settings"
        lines.append(f"  {where}: {error['msg']}")
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hotline-gateway", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    def server_options(command: argparse.ArgumentParser) -> None:
        command.add_argument("--host", help="bind address (HOTLINE_HOST, default 127.0.0.1)")
        command.add_argument("--port", type=int, help="HTTP port (HOTLINE_PORT, default 8328)")
        command.add_argument("--data-dir", type=Path, help="local state (HOTLINE_DATA_DIR, default ./var)")

    up = commands.add_parser("up", help="HTTP server, workers and (unless configured) an embedded Redis")
    server_options(up)
    up.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    up.set_defaults(run=_up)

    serve = commands.add_parser("serve", help="the HTTP server alone")
    server_options(serve)
    serve.add_argument(
        "--workers", type=int, help="server processes on the port, SO_REUSEPORT (HOTLINE_SERVE_WORKERS, default 1)"
    )
    serve.add_argument("--reuse-port", action="store_true", help=argparse.SUPPRESS)  # one of those processes
    serve.set_defaults(run=_serve_command)

    worker = commands.add_parser("worker", help="a worker: forwards events, sends late replies (no fork per job)")
    worker.add_argument("--data-dir", type=Path, help="local state (HOTLINE_DATA_DIR, default ./var)")
    worker.add_argument("--burst", action="store_true", help="exit once the queue is empty")
    worker.add_argument("--name", help="worker name (default: RQ's)")
    worker.set_defaults(run=_worker)

    schema = commands.add_parser("schema", help="print an event's JSON Schema")
    schema.add_argument("kind", nargs="?", choices=("ticket-event", "ticket-supplement"), default="ticket-event")
    schema.set_defaults(run=_schema)

    purge = commands.add_parser(
        "purge", help="delete what the local ticket store has kept past its retention (第三十条)"
    )
    purge.add_argument("--data-dir", type=Path, help="local state (HOTLINE_DATA_DIR, default ./var)")
    purge.add_argument("--dry-run", action="store_true", help="count, delete nothing")
    purge.set_defaults(run=_purge)

    kb_commands.add_parser(commands)
    dlq_commands.add_parser(commands)
    policy_commands.add_parser(commands)
    return parser


def _load_settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {
        name: getattr(args, name) for name in ("host", "port", "data_dir") if getattr(args, name, None) is not None
    }
    if getattr(args, "run", None) is _serve_command and args.workers is not None:
        overrides["serve_workers"] = args.workers
    settings = Settings(**overrides)
    return settings.model_copy(update={"data_dir": settings.data_dir.resolve()})


def _with_redis(settings: Settings) -> tuple[Settings, EmbeddedRedis | None]:
    if settings.redis_url:
        return settings, None
    embedded = EmbeddedRedis(settings.embedded_redis_path)
    return settings.model_copy(update={"redis_url": embedded.start()}), embedded


def _schema(settings: Settings, args: argparse.Namespace) -> int:
    from domain.supplement import ticket_supplement_json_schema
    from domain.ticket_event import ticket_event_json_schema

    render = ticket_supplement_json_schema if args.kind == "ticket-supplement" else ticket_event_json_schema
    sys.stdout.write(render())
    return 0


def _purge(settings: Settings, args: argparse.Namespace) -> int:
    from queue_workers.retention import purge
    from queue_workers.ticket_store import TicketStore

    store = TicketStore(settings.ticket_store_path)
    try:
        report = purge(
            store,
            settings.data_dir / "uploads",
            ticket_days=settings.ticket_retention_days,
            recording_days=settings.recording_retention_days,
            now=datetime.now(UTC),
            dry_run=args.dry_run,
        )
    finally:
        store.close()
    verb = "would delete" if report.dry_run else "deleted"
    print(
        f"{verb}: {report.store.tickets} tickets, {report.store.supplements} supplements and "
        f"{report.uploads} photos received before {report.tickets_before:%Y-%m-%d}; recording references "
        f"taken out of {report.store.recordings} received before {report.recordings_before:%Y-%m-%d}"
    )
    return 0


def _worker(settings: Settings, args: argparse.Namespace) -> int:
    # Joins the counts of a gateway on this machine and data dir, if there is one (before the
    # worker's modules import prometheus-client).
    prepare_multiprocess_dir(settings.data_dir, fresh=False)
    from queue_workers.worker import run_worker

    if settings.worker_metrics_port is not None:
        from queue_workers.metrics import serve_worker_metrics

        serve_worker_metrics(settings.worker_metrics_host, settings.worker_metrics_port)
    settings, embedded = _with_redis(settings)
    try:
        run_worker(settings, burst=args.burst, name=args.name)
    finally:
        if embedded is not None:
            embedded.stop()
    return 0


def _serve_command(settings: Settings, args: argparse.Namespace) -> int:
    if settings.admin_enabled and settings.admin_token is None:
        print(
            "hotline-gateway serve: HOTLINE_ADMIN_TOKEN is not set while the admin endpoints are enabled; "
            "set it, or HOTLINE_ADMIN_ENABLED=false to serve without /admin",
            file=sys.stderr,
        )
        return 2
    if args.reuse_port:  # one process of `serve --workers N`
        _run_server(_serve(settings, banner=False, reuse_port=True))
        return 0
    settings, embedded = _with_redis(settings)
    if embedded is not None:
        log.warning("HOTLINE_REDIS_URL is unset: embedded Redis; run `hotline-gateway worker` beside it")
    # Before anything imports prometheus-client: this machine's processes add their counts up there.
    prepare_multiprocess_dir(settings.data_dir, fresh=True)
    try:
        if settings.serve_workers == 1:
            _run_server(_serve(settings, banner=None))
            return 0
        from gateway.prefork import Supervisor, child_command

        command, env = child_command(
            {
                "HOTLINE_REDIS_URL": str(settings.redis_url),
                "HOTLINE_HOST": settings.host,
                "HOTLINE_PORT": str(settings.port),
                "HOTLINE_DATA_DIR": str(settings.data_dir),
            }
        )
        supervisor = Supervisor(settings.serve_workers, command, env, grace_s=settings.shutdown_grace_s)
        print(f"hotline-gateway serve on {settings.base_url} ({settings.serve_workers} processes)", flush=True)
        return supervisor.run()
    finally:
        if embedded is not None:
            embedded.stop()


def _up(settings: Settings, args: argparse.Namespace) -> int:
    started = time.monotonic()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings, embedded = _with_redis(settings)
    settings = _local_credentials(settings)
    prepare_multiprocess_dir(settings.data_dir, fresh=True)  # for the server and its workers
    env = {
        **os.environ,
        "HOTLINE_REDIS_URL": str(settings.redis_url),
        "HOTLINE_DATA_DIR": str(settings.data_dir),
    }
    workers: list[subprocess.Popen[bytes]] = []
    count = max(1, args.workers)

    def start_workers() -> None:
        # Once the server listens: started beside it, the workers' imports took the cores the
        # server's start needed (on 2 cores, /readyz came ~0.8 s later); jobs wait in Redis meanwhile.
        # Own sessions: a Ctrl-C in the terminal must not reach the workers twice (RQ turns a
        # second signal into a cold shutdown that abandons the running job); we send one SIGTERM.
        workers.extend(
            subprocess.Popen(  # noqa: S603 — our own interpreter and module
                [sys.executable, "-m", "gateway.cli", "worker", "--name", f"up-{os.getpid()}-{n}"],
                env=env,
                start_new_session=True,
            )
            for n in range(count)
        )

    try:
        _run_server(
            _serve(settings, _banner(settings, count, embedded is not None, started), on_listening=start_workers)
        )
    finally:
        _stop_workers(workers, settings.shutdown_grace_s)
        if embedded is not None:
            embedded.stop()
    return 0


def _local_credentials(settings: Settings) -> Settings:
    """`up` works on a fresh machine: an app key and an admin token are made once and kept."""
    path = settings.data_dir / "local-credentials.json"
    if path.exists():
        stored = json.loads(path.read_text())
    else:
        stored = {"app_secret": secrets.token_hex(24), "admin_token": secrets.token_urlsafe(24)}
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(stored, out)
    update: dict[str, Any] = {}
    if not settings.app_keys:
        update["app_keys"] = {LOCAL_APP_KEY_ID: SecretStr(stored["app_secret"])}
    if settings.admin_token is None:
        update["admin_token"] = SecretStr(stored["admin_token"])
    return settings.model_copy(update=update)


def _banner(settings: Settings, workers: int, embedded: bool, started: float) -> Any:
    def render() -> str:
        base = f"http://{settings.host}:{settings.port}"
        redis_line = f"embedded Redis, data in {settings.data_dir}" if embedded else "Redis at HOTLINE_REDIS_URL"
        lines = [
            f"hotline-gateway up: ready in {time.monotonic() - started:.2f} s ({workers} worker(s), {redis_line})",
            f"  web form        {base}/form",
            f"  app API         POST {base}/api/v1/app/messages",
            f"  tickets (admin) {base}/admin/tickets",
            f"  health          {base}/healthz  {base}/readyz",
        ]
        credentials = settings.data_dir / "local-credentials.json"
        if credentials.exists():
            lines.append(f"  local app key id 'local' and admin token are in {credentials}")
        if not settings.ticket_core_url:
            lines.append("  no HOTLINE_TICKET_CORE_URL: tickets go to the local store")
        lines.append("Ctrl-C stops (in-flight requests and running jobs finish first).")
        return "\n".join(lines)

    return render


def server_runner(app: web.Application, settings: Settings) -> web.AppRunner:
    """How `serve` and `up` run the app (tests serve it the same way where it matters)."""
    return web.AppRunner(app, handle_signals=False, shutdown_timeout=settings.shutdown_grace_s, access_log=None)


def _run_server(main: Coroutine[Any, Any, None]) -> None:
    """On uvloop where it is installed (Linux, macOS): its event loop and transports take about a
    fifth off each request's CPU time (docs/benchmarks.md)."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - Windows
        asyncio.run(main)
        return
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main)


async def _serve(
    settings: Settings, banner: Any, *, reuse_port: bool = False, on_listening: Callable[[], None] | None = None
) -> None:
    """`banner`: the line printed once listening (None: the default; False: nothing, a process of
    `serve --workers N`, which listens on the shared port with SO_REUSEPORT); `on_listening`: called
    then too, before the banner."""
    from gateway.app import create_app

    runner = server_runner(create_app(settings), settings)
    await runner.setup()
    # The knowledge base, the policy model and the dictionaries are loaded now and live as long as
    # the process: out of the collector's way, so that no request waits on a full collection
    # walking them (the p99 of docs/benchmarks.md).
    gc.collect()
    gc.freeze()
    release_free_memory()  # what loading them allocated and freed (docs/benchmarks.md, memory)
    try:
        site = web.TCPSite(runner, settings.host, settings.port, reuse_port=reuse_port or None)
        await site.start()
        if on_listening is not None:
            on_listening()
        if banner is not False:
            print(banner() if banner else f"hotline-gateway serve on {settings.base_url}", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        log.info("stopping: draining in-flight requests (up to %.0f s)", settings.shutdown_grace_s)
    finally:
        # Stops listening, waits for in-flight requests, then runs the cleanup contexts (which
        # flush any enqueue still waiting).
        await runner.cleanup()


def _stop_workers(workers: list[subprocess.Popen[bytes]], grace_s: float) -> None:
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)  # RQ's warm shutdown: the running job finishes
    deadline = time.monotonic() + grace_s
    for worker in workers:
        try:
            worker.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log.warning("worker %s did not stop in %.0f s: killed (its job is retried)", worker.pid, grace_s)
            worker.kill()
            worker.wait()


if __name__ == "__main__":
    sys.exit(main())
