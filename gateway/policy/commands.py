"""`hotline-gateway classify [--kb FILE]`: the decision the pipeline would take, for lines of text;
`hotline-gateway calendar [--file FILE] [--year Y]`: the working-day calendar deadlines count on.

Reads lines of JSON `{"text": ...}` on stdin and writes one JSON line each with `category`,
`domain`, `decision`, `reason`, `redirect`, `urgent`, `answer_id` and `missing_facts` (DESIGN.md):
the values a `TicketEvent` for that text would carry, from the same deciders the gateway runs
(the knowledge base in front of the policy). The knowledge base is the one `kb ask` uses: `--kb
FILE`, else the current version in Redis, else `HOTLINE_KB_PATH`. Messages are taken as coming
from an interactive channel (WeChat, app, form), received now.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from domain import ChannelName, Citizen, Content, Intake, Source
from gateway.kb.commands import build_retriever, current_source, guarded, query_text

if TYPE_CHECKING:
    from gateway.decide import Decider
    from gateway.settings import Settings


def add_parser(commands: Any) -> None:
    classify = commands.add_parser(
        "classify", help='the policy\'s decision for JSON lines {"text": ...} on stdin, one JSON line each'
    )
    classify.add_argument("--kb", type=Path, metavar="FILE", help="knowledge-base file (default: as `kb ask`)")
    classify.add_argument("--data-dir", type=Path, help="local state (HOTLINE_DATA_DIR, default ./var)")
    classify.set_defaults(run=guarded(_classify, "hotline-gateway classify"))

    calendar = commands.add_parser(
        "calendar", help="the working-day calendar: years covered, a year's days off and working weekend days"
    )
    calendar.add_argument(
        "--file", type=Path, metavar="FILE", help="a supplementary calendar to check (default: HOTLINE_CALENDAR_FILE)"
    )
    calendar.add_argument("--year", type=int, help="list this year's non-working weekdays and working weekend days")
    calendar.set_defaults(run=guarded(_calendar, "hotline-gateway calendar"))


def _classify(settings: Settings, args: argparse.Namespace) -> int:
    decider = _decider(settings, args.kb)
    loop = asyncio.new_event_loop()
    try:
        for number, line in enumerate(sys.stdin, start=1):
            if not line.strip():
                continue
            text = query_text(line, number)
            decision = loop.run_until_complete(decider.decide(_intake(text)))
            record = {
                "text": text,
                "category": decision.category,
                "domain": decision.domain,
                "decision": decision.decision,
                "reason": decision.reason,
                "redirect": decision.redirect,
                "urgent": decision.urgent,
                "answer_id": decision.answer.kb_id if decision.answer else None,
                "missing_facts": list(decision.missing_facts),
            }
            sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    finally:
        loop.close()
    sys.stdout.flush()
    return 0


def _calendar(settings: Settings, args: argparse.Namespace) -> int:
    """Check a supplementary file (a bad one fails with the entry at fault, exit 2 from `main`)
    and say which years are counted on the official calendar, so an operator knows before a
    deadline is marked estimated."""
    from gateway.policy.calendar import load_calendar

    calendar = load_calendar(args.file or settings.calendar_file)
    package, extra = sorted(calendar.package_years), sorted(calendar.file_years)
    print(f"chinese-calendar: {package[0]}–{package[-1]}")
    print(
        f"supplementary file: {calendar.source or '(none)'}"
        + (f", years {', '.join(map(str, extra))}" if extra else "")
    )
    if calendar.overridden_years:
        print(f"the file replaces the package for {', '.join(map(str, sorted(calendar.overridden_years)))}")
    if args.year is not None:
        if args.year not in calendar.official_years:
            print(f"{args.year}: not covered — weekends only, deadlines marked estimated")
            return 0
        day, end = date(args.year, 1, 1), date(args.year, 12, 31)
        while day <= end:
            working, weekend = calendar.is_working_day(day), day.weekday() >= 5
            if working == weekend:  # a weekday off, or a weekend day worked
                print(f"{day.isoformat()} {'working day' if working else 'day off'}")
            day += timedelta(days=1)
    return 0


def _decider(settings: Settings, kb_file: Path | None) -> Decider:
    from gateway.decide import FixedKnowledgeBase, KnowledgeBaseDecider
    from gateway.policy.bootstrap import policy_decider

    retriever = build_retriever(settings, current_source(settings, kb_file).entries)
    return KnowledgeBaseDecider(policy_decider(settings), FixedKnowledgeBase(retriever))


def _intake(text: str) -> Intake:
    return Intake(
        channel=ChannelName.APP,
        idempotency_key=str(uuid.uuid4()),
        received_at=datetime.now(UTC),
        citizen=Citizen(),
        content=Content(text=text),
        source=Source(),
    )
