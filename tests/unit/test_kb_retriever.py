"""Retrieval over a small KB of our own (tests/data/kb_small.jsonl): citizens' words find the
article; what the KB does not cover gets no answer; the threshold is the line between."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gateway.kb import retriever as retriever_module
from gateway.kb.files import load_entries
from gateway.kb.model import KbEntry
from gateway.kb.retriever import DEFAULT_THRESHOLD, Match, Retriever, confidence

SMALL_KB = Path(__file__).parents[1] / "data" / "kb_small.jsonl"


@pytest.fixture(scope="module")
def entries() -> list[KbEntry]:
    return load_entries(SMALL_KB)


@pytest.fixture(scope="module")
def retriever(entries: list[KbEntry]) -> Retriever:
    return Retriever.build(entries)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("請問計程車拒載怎麼投訴？", "t-taxi-refusal"),
        ("的士司机不拉我，去哪投诉", "t-taxi-refusal"),
        ("打车被师傅绕远路了怎么办", "t-taxi-detour"),
        ("ＥＴＣ多扣了钱怎么弄", "t-etc"),
        ("十一高速免不免费", "t-tollfree"),
        ("从业资格证在哪考", "t-qualification"),
        ("滴滴司机骂人怎么投诉", "t-ridehail"),
        ("大巴车票怎么退", "t-coach-ticket"),
        ("大风停航了船票退不退", "t-ferry"),
        ("我想问一下12328管什么", "t-scope"),
    ],
)
def test_a_question_in_citizens_words_gets_its_article(retriever: Retriever, question: str, expected: str) -> None:
    match = retriever.ask(question)
    assert match is not None, retriever.best(question)
    assert match.kb_id == expected
    assert match.entry.id == expected
    assert DEFAULT_THRESHOLD <= match.score <= 1


@pytest.mark.parametrize(
    "question", ["今天天气怎么样", "帮我订一张去北京的机票", "股票怎么买", "你好", "红烧肉怎么做好吃", "？？？"]
)
def test_an_off_topic_question_gets_no_answer(retriever: Retriever, question: str) -> None:
    assert retriever.ask(question) is None


def test_the_exact_question_scores_about_one(retriever: Retriever, entries: list[KbEntry]) -> None:
    for entry in entries:
        best = retriever.rank(entry.question, k=1)[0]
        assert best.kb_id == entry.id
        assert best.score >= 0.99
        answer = retriever.ask(entry.question)
        assert answer is not None
        assert answer.kb_id == entry.id


def test_rank_orders_articles_best_first(retriever: Retriever) -> None:
    ranked = retriever.rank("出租车司机拒载还绕路", k=3)
    assert len(ranked) == 3
    assert {ranked[0].kb_id, ranked[1].kb_id} == {"t-taxi-refusal", "t-taxi-detour"}
    assert [m.score for m in ranked] == sorted((m.score for m in ranked), reverse=True)
    assert retriever.rank("出租车", k=0) == []
    assert retriever.rank("", k=5) == []


def test_the_threshold_decides_between_answer_and_hand_over(entries: list[KbEntry]) -> None:
    question = "出租车开几年必须报废"  # shares words with the taxi articles, answered by none
    lenient, strict = Retriever.build(entries, threshold=0.05), Retriever.build(entries, threshold=0.99)
    best = lenient.best(question)
    assert best is not None
    assert best.score < DEFAULT_THRESHOLD
    assert lenient.ask(question) is not None
    assert Retriever.build(entries).ask(question) is None
    assert strict.ask("出租车拒载怎么投诉") is not None  # exactly an article's question
    assert strict.ask("的士不拉我") is None


def test_confidence_drops_when_two_articles_fit_about_equally(entries: list[KbEntry]) -> None:
    entry = entries[0]
    clear = [Match("a", 0.8, entry), Match("b", 0.3, entry)]
    tie = [Match("a", 0.8, entry), Match("b", 0.8, entry)]
    assert confidence(clear) == 0.8
    assert confidence(tie) < 0.8
    assert confidence([]) == 0.0


def test_an_empty_kb_cannot_be_built() -> None:
    with pytest.raises(ValueError, match="at least one entry"):
        Retriever.build([])


def _entry(kb_id: str, question: str, *similar: str) -> KbEntry:
    return KbEntry(id=kb_id, question=question, similar=list(similar), answer="…")


def test_an_article_about_another_means_of_transport_is_demoted(monkeypatch: pytest.MonkeyPatch) -> None:
    # The question names 地铁: the ETC article shares its verbs (扣了两次钱) but is about ETC only;
    # the general article is about no means of transport and keeps its score.
    entries = [
        _entry("etc", "ETC扣了两次钱怎么办", "ETC重复扣费", "ETC多扣钱了"),
        _entry("metro", "地铁票价怎么算", "地铁坐错站了怎么办", "地铁安检不合理"),
        _entry("general", "重复收费找谁", "被多收了两次钱怎么办"),
    ]
    retriever = Retriever.build(entries)

    def scores(question: str, other_topic: float) -> dict[str, float]:
        monkeypatch.setattr(retriever_module, "OTHER_TOPIC", other_topic)
        return {m.kb_id: m.score for m in retriever.rank(question)}

    plain, demoted = scores("坐地铁扣了两次钱怎么办", 1.0), scores("坐地铁扣了两次钱怎么办", 0.85)
    assert demoted["etc"] == pytest.approx(plain["etc"] * 0.85, abs=1e-3)
    assert demoted["metro"] == plain["metro"]
    assert demoted["general"] == plain["general"]
    # A question that names no means of transport, or the article's own, demotes nothing.
    assert scores("扣了两次钱怎么办", 1.0) == scores("扣了两次钱怎么办", 0.85)
    assert scores("ETC扣了两次钱", 1.0)["etc"] == scores("ETC扣了两次钱", 0.85)["etc"]


def test_a_gateway_process_builds_its_index_without_scipy() -> None:
    # SciPy is installed (the policy model's training needs it); a gateway process never loads it.
    code = (
        "import sys\n"
        "from gateway.kb.files import load_entries\n"
        "from gateway.kb.retriever import Retriever\n"
        f"retriever = Retriever.build(load_entries({str(SMALL_KB)!r}))\n"
        "assert retriever.rank('出租车拒载怎么投诉')\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] == 'scipy'))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "[]"


def test_a_large_kbs_sparse_index_scores_as_a_small_kbs_dense_one(
    entries: list[KbEntry], monkeypatch: pytest.MonkeyPatch
) -> None:
    dense = Retriever.build(entries)
    monkeypatch.setattr(retriever_module, "DENSE_MAX_CELLS", 0)  # as for a KB of thousands of articles
    sparse = Retriever.build(entries)
    assert dense._words._dense is not None
    assert sparse._words._dense is None
    for question in ("出租车拒载怎么投诉", "网约车绕路多收钱", "公交卡丢了怎么办", "高速ETC扣了两次费", "天气怎么样"):
        assert [(m.kb_id, m.score) for m in dense.rank(question)] == [(m.kb_id, m.score) for m in sparse.rank(question)]
