"""Speed of the instant-answer step on a 5,000-entry knowledge base, next to a bare bm25s query on
the same corpus measured in the same run, and the segmenter's start-up time.

    python bench/faq_speed.py [--entries 5000] [--queries 2000] [--seed 12328]

1. A synthetic KB: `--entries` articles made from the shipped KB's phrasings, varied (words swapped
   for words of other articles, place names, numbers, particles), each with its question and 3–6
   similar phrasings, so the corpus has the shipped KB's vocabulary at 50× its size.
2. Per query, p50 and p99 of:
   - the full answer step, `Retriever.ask(text)`: normalise, segment, canonicalise, score both
     fields, max-pool per article, confidence and threshold — what the pipeline runs per message;
   - a bare bm25s query, `BM25.retrieve([tokens], k=5)` on an index of the same phrasings
     (segmented words), with the query already segmented: bm25s's public query call, no text work;
   - the bm25s scoring kernel alone (`get_scores_from_ids` + top 5 over the non-zero scores), the
     floor under both: reported so that the ratio against `retrieve` is not read as more than it is.
3. The segmenter's start-up in a fresh process: cold (empty cache directory: jieba's dictionary
   built, our words added, the cache written) and warm (the cache read back), import included.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gateway.kb.files import load_entries
from gateway.kb.model import KbEntry
from gateway.kb.retriever import Retriever
from gateway.kb.text import get_analyzer

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_KB = ROOT / "gateway" / "kb" / "default_kb.jsonl"
PLACES = [
    "广州南站",
    "白云机场",
    "人民路",
    "火车站",
    "汽车客运站",
    "地铁3号线",
    "长途汽车站",
    "码头",
    "收费站",
    "服务区",
]
FILLERS = ["请问", "你好", "我想问一下", "麻烦问下", "急", "谢谢", "那个", "就是"]
OFF_TOPIC = ["明天天气怎么样", "股票今天涨了吗", "红烧肉怎么做", "推荐一部电影", "医保怎么报销", "孩子上学划片"]


def synthetic_kb(seed_entries: list[KbEntry], size: int, rng: random.Random) -> list[KbEntry]:
    analyzer = get_analyzer()
    phrasings = [phrasing for entry in seed_entries for phrasing in entry.phrasings]
    segmented = [[token for token in analyzer.segment(text) if token.strip()] for text in phrasings]
    vocabulary = sorted({token for tokens in segmented for token in tokens if len(token) > 1})

    def vary(tokens: list[str]) -> str:
        tokens = list(tokens)
        for _ in range(rng.randint(1, 3)):
            tokens[rng.randrange(len(tokens))] = rng.choice(vocabulary)
        if rng.random() < 0.4:
            tokens.insert(rng.randrange(len(tokens) + 1), rng.choice(PLACES))
        if rng.random() < 0.3:
            tokens.insert(0, rng.choice(FILLERS))
        if rng.random() < 0.2:
            tokens.append(f"{rng.randint(2, 500)}元")
        return "".join(tokens)

    entries: list[KbEntry] = []
    for number in range(size):
        base = rng.choice(segmented)
        entries.append(
            KbEntry(
                id=f"syn-{number:05d}",
                question=vary(base),
                similar=[vary(rng.choice(segmented) if rng.random() < 0.2 else base) for _ in range(rng.randint(3, 6))],
                answer=f"第{number}号合成条目的答复。",
                domain=None,
                tags=["synthetic"],
            )
        )
    return entries


def queries(entries: list[KbEntry], count: int, rng: random.Random) -> list[str]:
    out: list[str] = []
    for _ in range(count):
        if rng.random() < 0.15:
            out.append(rng.choice(OFF_TOPIC))
            continue
        phrasing = rng.choice(rng.choice(entries).phrasings)
        cut = rng.randint(0, max(0, len(phrasing) - 6))
        out.append(rng.choice(FILLERS) + phrasing[cut:] + rng.choice(["吗", "？", "怎么办", ""]))
    return out


def timed(run: Callable[[], object], repeat: int) -> list[float]:
    samples: list[float] = []
    for _ in range(repeat):
        started = time.perf_counter_ns()
        run()
        samples.append((time.perf_counter_ns() - started) / 1e3)  # µs
    return samples


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def startup(cache_dir: Path) -> float:
    code = (
        "import time, pathlib; t = time.perf_counter(); from gateway.kb.text import get_analyzer; "
        f"get_analyzer(pathlib.Path({str(cache_dir)!r})); print(time.perf_counter() - t)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    return float(result.stdout.strip())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=5000)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=12328)
    parser.add_argument("--kb", type=Path, default=DEFAULT_KB, help="the KB whose vocabulary is used")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)

    import bm25s

    analyzer = get_analyzer()
    entries = synthetic_kb(load_entries(args.kb), args.entries, rng)
    started = time.perf_counter()
    retriever = Retriever.build(entries, analyzer=analyzer)
    build_s = time.perf_counter() - started
    texts = queries(entries, args.queries, rng)

    corpus = [list(analyzer.analyze(phrasing).words) or ["\x00"] for entry in entries for phrasing in entry.phrasings]
    bare = bm25s.BM25(method="lucene")
    bare.index(corpus, show_progress=False)
    tokenized = [list(analyzer.analyze(text).words) or ["\x00"] for text in texts]

    def kernel(tokens: list[str]) -> None:
        ids = bare.get_tokens_ids(tokens)
        if ids:
            scores = bare.get_scores_from_ids(ids)
            nonzero = np.flatnonzero(scores)
            if len(nonzero) > 5:
                nonzero[np.argpartition(scores[nonzero], -5)[-5:]]

    # Warm-up, then interleaved rounds so that noise on this shared machine hits all three alike.
    for text, tokens in zip(texts[:50], tokenized[:50], strict=True):
        retriever.ask(text)
        bare.retrieve([tokens], k=5, show_progress=False)
    full: list[float] = []
    plain: list[float] = []
    floor: list[float] = []
    for text, tokens in zip(texts, tokenized, strict=True):
        full += timed(lambda text=text: retriever.ask(text), 1)  # type: ignore[misc]
        plain += timed(lambda tokens=tokens: bare.retrieve([tokens], k=5, show_progress=False), 1)  # type: ignore[misc]
        floor += timed(lambda tokens=tokens: kernel(tokens), 1)  # type: ignore[misc]
    answered = sum(1 for text in texts if retriever.ask(text) is not None)

    with tempfile.TemporaryDirectory() as directory:
        cold = startup(Path(directory))
        warm = [startup(Path(directory)) for _ in range(5)]

    f50, f99 = percentiles(full)
    p50, p99 = percentiles(plain)
    k50, k99 = percentiles(floor)
    report = {
        "entries": len(entries),
        "phrasings": retriever.phrasings,
        "queries": len(texts),
        "answered": answered,
        "index_build_s": round(build_s, 2),
        "full_answer_step_us": {"p50": round(f50), "p99": round(f99)},
        "bare_bm25s_retrieve_us": {"p50": round(p50), "p99": round(p99)},
        "bm25s_kernel_us": {"p50": round(k50), "p99": round(k99)},
        "ratio_full_vs_bare_retrieve": {"p50": round(f50 / p50, 2), "p99": round(f99 / p99, 2)},
        "ratio_full_vs_kernel": {"p50": round(f50 / k50, 2), "p99": round(f99 / k99, 2)},
        "segmenter_startup_s": {"cold": round(cold, 2), "warm_median": round(statistics.median(warm), 2)},
    }
    print(json.dumps(report, indent=2, ensure_ascii=False))
    print(
        f"\nfull answer step p50 {f50:.0f} µs, p99 {f99:.0f} µs; bare bm25s retrieve p50 {p50:.0f} µs, "
        f"p99 {p99:.0f} µs → p99 ratio {f99 / p99:.2f} (target ≤ 3); kernel alone p99 {k99:.0f} µs "
        f"(full/kernel {f99 / k99:.2f}); segmenter start-up cold {cold:.2f} s, warm {statistics.median(warm):.2f} s "
        "(target ≤ 0.5 s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
