"""`hotline-gateway dlq list|requeue`: the dead letters of the forwarding and reply queues
(`queue_workers.dead_letters`), for the operator who looks at them and sends them again.

Redis: `HOTLINE_REDIS_URL`, or the embedded Redis of the data dir (`up`'s).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from gateway.kb.commands import CommandFailed, guarded, redis_url_for
from gateway.settings import Settings

PREFIX = "hotline-gateway dlq"


def add_parser(commands: Any) -> None:
    dlq = commands.add_parser("dlq", help="dead letters: deliveries that failed for good")
    sub = dlq.add_subparsers(required=True, metavar="DLQ_COMMAND")

    listing = sub.add_parser("list", help="the failed jobs, oldest first")
    listing.add_argument("--json", action="store_true", help="one JSON object a line")
    listing.add_argument("--data-dir", type=Path, help="local state (HOTLINE_DATA_DIR, default ./var)")
    listing.set_defaults(run=guarded(_list, PREFIX))

    requeue = sub.add_parser("requeue", help="send failed jobs again, with their retries renewed")
    which = requeue.add_mutually_exclusive_group(required=True)
    which.add_argument("--all", action="store_true", help="every failed job")
    which.add_argument("ids", nargs="*", default=[], metavar="ID", help="job ids, as `dlq list` shows them")
    requeue.add_argument("--data-dir", type=Path, help="local state (HOTLINE_DATA_DIR, default ./var)")
    requeue.set_defaults(run=guarded(_requeue, PREFIX))


def _list(settings: Settings, args: argparse.Namespace) -> int:
    from queue_workers.dead_letters import dead_letters

    with _connection(settings) as connection:
        letters = dead_letters(connection)
    for letter in letters:
        if args.json:
            print(json.dumps(letter.to_json_dict(), ensure_ascii=False))
        else:
            when = letter.failed_at.isoformat(timespec="seconds") if letter.failed_at else "-"
            status = letter.status if letter.status is not None else "-"
            fields = (letter.job_id, letter.queue, letter.what, letter.subject or "-", when, status, letter.error)
            print("  ".join(map(str, fields)))
    if not args.json:
        print(f"{len(letters)} dead letters", file=sys.stderr)
    return 0


def _requeue(settings: Settings, args: argparse.Namespace) -> int:
    from queue_workers.dead_letters import requeue

    if not args.all and not args.ids:
        raise CommandFailed("name the jobs to requeue, or --all")
    with _connection(settings) as connection:
        done, missing = requeue(connection, None if args.all else args.ids)
    print(f"requeued {len(done)}")
    if missing:
        raise CommandFailed(f"not dead letters (already requeued, or unknown): {', '.join(missing)}")
    return 0


@contextmanager
def _connection(settings: Settings) -> Iterator[Any]:
    """A Redis client on the gateway's Redis, closed on exit."""
    import redis

    with redis_url_for(settings, create=False) as url:
        if url is None:
            raise CommandFailed("no Redis: HOTLINE_REDIS_URL is unset and the data dir has no embedded Redis")
        from queue_workers.redis_connect import connect

        client = connect(url, socket_connect_timeout=5, socket_timeout=30)
        try:
            client.ping()
        except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
            client.close()
            raise CommandFailed(f"Redis does not answer: {type(exc).__name__}") from exc
        try:
            yield client
        finally:
            client.close()
