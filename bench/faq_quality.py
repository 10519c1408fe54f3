"""Answer quality of the knowledge base's instant answers (第十七条), on the team's evaluation set.

    python bench/faq_quality.py [--kb FILE] [--split tune|holdout|both] [--threshold T] [--show-errors]
    python bench/faq_quality.py --sweep          # calibrate the threshold, on the tune split only

Reads `tests/data/faq_eval/{tune,holdout}.jsonl` (one query a line: `text`, `expected` KB id or
null, `kind`), builds the `Retriever` over the KB (default: the one shipped) and asks each query.

- answerable queries: top-1 accuracy (`ask` returns the expected article), the hand-over rate
  (`ask` returns nothing) and the wrong-answer rate (another article);
- answerable queries again, ranking alone: is the expected article ranked first, whatever the
  threshold (tells a ranking miss from a calibration miss);
- the rest (off-topic, other hotlines, complaint narratives, topics the KB lacks): the
  false-answer rate (`ask` returns anything).

A complaint is never closed by an FAQ, but that rule belongs to the decision step, not to the
retriever. When the decision step exposes it (`gateway.decide.is_complaint`, or
`gateway.kb.intent.is_complaint_narrative`: text -> bool), a second figure ("with the complaint
rule") counts a query it flags as handed over, whatever its kind: complaint narratives stop being
false answers, and answerable questions it wrongly flags become misses. Otherwise only the
retriever's figure is printed, and the report says so.

The holdout split is never used for tuning: `--sweep` reads the tune split only.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gateway.kb.files import load_entries
from gateway.kb.model import KbEntry
from gateway.kb.retriever import Retriever

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_KB = ROOT / "gateway" / "kb" / "default_kb.jsonl"
EVAL_DIR = ROOT / "tests" / "data" / "faq_eval"
SPLITS = ("tune", "holdout")
KINDS = ("answerable", "off_topic", "other_hotline", "complaint", "absent")
TARGET_ACCURACY = 0.92
TARGET_FALSE_ANSWERS = 0.03

ComplaintRule = Callable[[str], bool]


@dataclass(frozen=True)
class Query:
    text: str
    expected: str | None
    kind: str


@dataclass(frozen=True)
class Outcome:
    query: Query
    answered: str | None  # the article `ask` returned, or None (hand over)
    score: float
    top1: str | None  # the best-ranked article whatever the threshold
    complaint: bool  # flagged by the decision step's complaint rule

    @property
    def correct(self) -> bool:
        return self.query.expected is not None and self.answered == self.query.expected

    def answered_with_rule(self) -> str | None:
        return None if self.complaint else self.answered


def load_queries(path: Path) -> list[Query]:
    queries = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        record = json.loads(line)
        if record["kind"] not in KINDS:
            raise ValueError(f"{path}:{number}: unknown kind {record['kind']!r}")
        queries.append(Query(record["text"], record["expected"], record["kind"]))
    return queries


# Where the decision step's complaint rule may live, first found wins.
_COMPLAINT_RULES = (("gateway.decide", "is_complaint"), ("gateway.kb.intent", "is_complaint_narrative"))


def complaint_rule() -> tuple[str, ComplaintRule] | None:
    """The decision step's "is this a complaint?" function and its dotted name, if there is one."""
    for module_name, name in _COMPLAINT_RULES:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        rule = getattr(module, name, None)
        if callable(rule):
            return f"{module_name}.{name}", rule
    return None


def evaluate(retriever: Retriever, queries: list[Query], rule: ComplaintRule | None) -> list[Outcome]:
    outcomes = []
    for query in queries:
        match = retriever.ask(query.text)
        ranked = retriever.rank(query.text, k=1)
        outcomes.append(
            Outcome(
                query=query,
                answered=match.kb_id if match else None,
                score=match.score if match else (ranked[0].score if ranked else 0.0),
                top1=ranked[0].kb_id if ranked else None,
                complaint=bool(rule(query.text)) if rule else False,
            )
        )
    return outcomes


@dataclass(frozen=True)
class Figures:
    answerable: int
    correct: int
    handed_over: int
    wrong: int
    unanswerable: int
    false_answers: int

    @property
    def accuracy(self) -> float:
        return self.correct / self.answerable if self.answerable else 0.0

    @property
    def false_rate(self) -> float:
        return self.false_answers / self.unanswerable if self.unanswerable else 0.0

    @property
    def handover_rate(self) -> float:
        return self.handed_over / self.answerable if self.answerable else 0.0


def figures(outcomes: list[Outcome], *, with_rule: bool = False, kinds: tuple[str, ...] = KINDS) -> Figures:
    counts: Counter[str] = Counter()
    for outcome in outcomes:
        if outcome.query.kind not in kinds:
            continue
        answered = outcome.answered_with_rule() if with_rule else outcome.answered
        if outcome.query.expected is not None:
            counts["answerable"] += 1
            if answered is None:
                counts["handed_over"] += 1
            elif answered == outcome.query.expected:
                counts["correct"] += 1
            else:
                counts["wrong"] += 1
        else:
            counts["unanswerable"] += 1
            counts["false_answers"] += answered is not None
    return Figures(**{name: counts[name] for name in Figures.__dataclass_fields__})


def _pct(value: float) -> str:
    return f"{100 * value:5.1f}%"


def _mark(ok: bool) -> str:
    return "ok" if ok else "MISSES TARGET"


def report(split: str, outcomes: list[Outcome], rule: ComplaintRule | None, rule_name: str, show_errors: bool) -> None:
    print(f"\n== {split} ({len(outcomes)} queries)")
    retriever_only = figures(outcomes)
    print(
        f"retriever alone   top-1 accuracy {_pct(retriever_only.accuracy)}"
        f" ({retriever_only.correct}/{retriever_only.answerable})"
        f"  hand-over {_pct(retriever_only.handover_rate)}"
        f"  wrong answer {retriever_only.wrong}"
        f"  false answers {_pct(retriever_only.false_rate)}"
        f" ({retriever_only.false_answers}/{retriever_only.unanswerable})"
    )
    without_complaints = figures(outcomes, kinds=tuple(kind for kind in KINDS if kind != "complaint"))
    ranked_right = sum(o.top1 == o.query.expected for o in outcomes if o.query.expected is not None)
    print(
        f"  ranking alone (best article, no threshold): top-1 {_pct(ranked_right / max(1, retriever_only.answerable))}"
        f" ({ranked_right}/{retriever_only.answerable})"
    )
    print(
        f"  excluding complaint narratives: false answers {_pct(without_complaints.false_rate)}"
        f" ({without_complaints.false_answers}/{without_complaints.unanswerable})"
    )
    if rule is not None:
        pipeline = figures(outcomes, with_rule=True)
        print(
            f"with complaint rule ({rule_name})  top-1 accuracy {_pct(pipeline.accuracy)}"
            f" ({pipeline.correct}/{pipeline.answerable})  false answers {_pct(pipeline.false_rate)}"
            f" ({pipeline.false_answers}/{pipeline.unanswerable})"
            f"  [{_mark(pipeline.accuracy >= TARGET_ACCURACY and pipeline.false_rate <= TARGET_FALSE_ANSWERS)}]"
        )
    else:
        print(
            "with complaint rule: not measured — the decision step exposes no complaint rule; "
            "the figures above are the retriever's alone"
        )
    print(
        f"targets: top-1 >= {_pct(TARGET_ACCURACY).strip()}, false answers <= {_pct(TARGET_FALSE_ANSWERS).strip()}"
        f"  retriever alone: [{_mark(retriever_only.accuracy >= TARGET_ACCURACY)} / "
        f"{_mark(retriever_only.false_rate <= TARGET_FALSE_ANSWERS)}]"
    )
    print(f"  {'kind':<14}{'n':>4}{'answered':>10}{'right':>7}{'flagged as complaint':>22}")
    for kind in KINDS:
        rows = [o for o in outcomes if o.query.kind == kind]
        if not rows:
            continue
        answered = sum(o.answered is not None for o in rows)
        right = sum(o.correct for o in rows) if kind == "answerable" else 0
        flagged = sum(o.complaint for o in rows) if rule else "-"
        right_cell = str(right) if kind == "answerable" else "-"
        print(f"  {kind:<14}{len(rows):>4}{answered:>10}{right_cell:>7}{flagged!s:>22}")
    if show_errors:
        _print_errors(outcomes, rule)


def _print_errors(outcomes: list[Outcome], rule: ComplaintRule | None) -> None:
    misses = [o for o in outcomes if (o.answered != o.query.expected)]
    print(f"  misses ({len(misses)}):")
    for o in misses:
        if o.query.expected is None:
            what = f"FALSE ANSWER {o.answered}"
        elif o.answered is None:
            what = f"HANDED OVER (top-1 {o.top1}{', right' if o.top1 == o.query.expected else ''})"
        else:
            what = f"WRONG {o.answered}"
        flag = " [complaint rule: handed over]" if rule and o.complaint else ""
        print(f"    {o.query.kind:<13} {o.score:.3f} {what} expected {o.query.expected}: {o.query.text}{flag}")


def sweep(entries: list[KbEntry], queries: list[Query], rule: ComplaintRule | None) -> None:
    print(f"\n== threshold sweep on the tune split ({len(queries)} queries); the holdout split is not read")
    header = f"  {'threshold':>9}  {'top-1':>6}  {'hand-over':>9}  {'false ans.':>10}  {'false excl. complaints':>22}"
    if rule:
        header += f"  {'with complaint rule':>19}"
    print(header)
    steps = [round(0.30 + 0.025 * i, 3) for i in range(25)]
    for threshold in steps:
        outcomes = evaluate(Retriever.build(entries, threshold=threshold), queries, rule)
        total = figures(outcomes)
        no_complaints = figures(outcomes, kinds=tuple(kind for kind in KINDS if kind != "complaint"))
        line = (
            f"  {threshold:>9.3f}  {_pct(total.accuracy):>6}  {_pct(total.handover_rate):>9}"
            f"  {_pct(total.false_rate):>10}  {_pct(no_complaints.false_rate):>22}"
        )
        if rule:
            pipeline = figures(outcomes, with_rule=True)
            line += f"  {_pct(pipeline.accuracy)} / {_pct(pipeline.false_rate)}"
        print(line)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kb", type=Path, default=DEFAULT_KB, help="knowledge-base file (default: the shipped one)")
    parser.add_argument("--eval-dir", type=Path, default=EVAL_DIR)
    parser.add_argument("--split", choices=(*SPLITS, "both"), default="both")
    parser.add_argument("--threshold", type=float, default=None, help="override the retriever's default")
    parser.add_argument("--show-errors", action="store_true", help="list every miss")
    parser.add_argument("--sweep", action="store_true", help="accuracy / false answers across thresholds, tune only")
    args = parser.parse_args(argv)

    entries = load_entries(args.kb)
    found = complaint_rule()
    rule_name, rule = found if found else ("", None)
    if args.sweep:
        sweep(entries, load_queries(args.eval_dir / "tune.jsonl"), rule)
        return 0
    retriever = Retriever.build(entries, threshold=args.threshold)
    print(f"KB {args.kb} — {len(entries)} entries, threshold {retriever.threshold}")
    print(f"complaint rule: {rule_name or 'none exposed'}")
    for split in SPLITS if args.split == "both" else (args.split,):
        queries = load_queries(args.eval_dir / f"{split}.jsonl")
        report(split, evaluate(retriever, queries, rule), rule, rule_name, args.show_errors)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
