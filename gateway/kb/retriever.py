"""FAQ retrieval: which article answers a citizen's question, and how sure we are.

Every phrasing of an article (its question and each similar question) is one document, indexed
twice with BM25 (bm25s, Lucene variant): over canonical words (`text.Analyzer`) and over
characters and character pairs, which catch typos and words segmented differently. An article
scores as its best phrasing (max-pooling), so more phrasings never dilute an article.

Scores are made comparable across queries and articles by normalising: a field's BM25 score is
divided by the query's *self-score* — what a document made of exactly the query's words would
score — and, with a smaller weight, by the phrasing's own self-score, so that a question matching
one word of a long phrasing does not look like a match of that phrasing. 1 means "the question
and this phrasing say the same words"; 0.3, "a third of the weight is shared". The two fields are
then mixed (words weigh `WORD_WEIGHT`).

A question's word the KB has never seen is first cut into smaller dictionary words (通话录音 →
通话, 录音) when that reaches words the KB knows; one that stays unknown weighs in the self-score
as much as the rarest KB word, times its rarity in general Chinese (jieba's word frequencies): an
everyday word (明天, 一张) costs little, a topical one the KB lacks (社保卡, 停水) costs fully, so
an off-topic question scores low instead of riding on one shared word.

Topic nouns outweigh shared verbs: when a question names a means of transport (地铁, 出租车, ETC …
`TOPICS`) and an article is about other ones only, the article's score is multiplied by
`OTHER_TOPIC` — "地铁扣了两次钱" is not answered by the ETC article because both say 扣了两次钱.

`ask` answers only when the best article is confident: its *confidence* — the score, less a
penalty when the runner-up article is within `MARGIN` of it (two articles that fit about equally
mean the question is ambiguous, and an operator does better than a coin toss) — reaches the
threshold. `DEFAULT_THRESHOLD` is calibrated on the tuning split of the evaluation set
(tests/data/faq_eval/, `bench/faq_quality.py --sweep`): the lowest threshold whose false-answer
rate stays within 3% there, complaint narratives being kept away by the decision step.
`HOTLINE_KB_THRESHOLD` overrides it.

A learned confidence was tried and not kept (2026-11): a logistic regression over the score, the
margin, the share of the best phrasing's words (and characters) the question covers and the
share of the question's words the article has, fitted on the KB's own phrasings by
cross-validation, ranked the tune split's answers below the plain score (AUC 0.885 against
0.914); none of the coverage features alone beat the score (0.83–0.87). The normalised score
already counts both directions of coverage; what separates a right answer from a near miss is
beyond word overlap.
"""

from __future__ import annotations

import logging
import math
from array import array
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from gateway.kb.model import KbEntry
from gateway.kb.text import Analysis, Analyzer, get_analyzer, without_module

DEFAULT_THRESHOLD = 0.45
WORD_WEIGHT = 0.6  # the rest: the character field
QUERY_SHARE = 0.7  # of a field's score: normalised by the query's self-score; the rest by the phrasing's
MARGIN = 0.1
MARGIN_PENALTY = 0.5
# Topic nouns: the means of transport (or service) a question is about, canonical (synonyms.txt).
# When a question names one and an article is about others only, the shared verbs and nouns (扣钱,
# 投诉, 丢了 …) do not make it the answer: its score is multiplied by `OTHER_TOPIC`. An article is
# about a topic when the topic word is in at least half of its phrasings (a process article that
# mentions 出租车 once, as an example, is about no topic and is never penalised).
_TOPIC_TEXT = """
    地铁 公交车 出租车 网约车 顺风车 客车 客运站 轮渡 船 船舶 驾校 etc 货车 火车 高铁 飞机 航班 快递
    高速公路 修理厂 汽修厂 码头 航道 租车 共享单车 电动车 校车
"""
TOPICS = frozenset(_TOPIC_TEXT.split())
OTHER_TOPIC = 0.85
K1 = 1.2
B = 0.75
# A field's index is also kept dense (token × phrasing, float32) up to this many cells (16 MB):
# the default KB's fields have 0.6 and 1.7 million; a 5,000-article KB's, over 100 million.
DENSE_MAX_CELLS = 4_000_000
_EMPTY = "\x00"  # the token of a phrasing with no content words (bm25s wants one): no query has it

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class Match:
    kb_id: str
    score: float
    entry: KbEntry


class _Field:
    """One BM25 index and what normalising needs: idf per token, self-scores of the documents.

    Built from token ids (`_ids`), not from lists of strings: a 5,000-article KB has ~40,000
    phrasings of ~40 character grams each, and a string object per gram cost ~150 MB at the peak
    of a build, where an id is one shared pointer."""

    def __init__(self, documents: list[array[int]], vocabulary: dict[str, int]) -> None:
        bm25s = _import_bm25s()
        logging.getLogger("bm25s").setLevel(logging.WARNING)  # it sets DEBUG on itself: one line per index
        empty = vocabulary.setdefault(_EMPTY, len(vocabulary))
        documents = [doc or array("i", [empty]) for doc in documents]
        self._bm25: Any = bm25s.BM25(k1=K1, b=B, method="lucene", csc_backend="numpy")
        self._bm25.index((documents, vocabulary), show_progress=False)
        self._dense = _dense_rows(self._bm25.scores) if len(documents) * len(vocabulary) <= DENSE_MAX_CELLS else None
        self._vocab = vocabulary
        total = len(documents)
        frequencies: Counter[int] = Counter()
        for doc in documents:
            frequencies.update(set(doc))
        by_id = {token: _idf(total, count) for token, count in frequencies.items()}
        self._idf = {token: by_id[token_id] for token, token_id in vocabulary.items() if token_id in by_id}
        self._unseen_idf = _idf(total, 0)
        self._avg_len = sum(len(doc) for doc in documents) / total
        doc_self = [_self_score(Counter(doc), by_id, len(doc) / self._avg_len) for doc in documents]
        self._doc_self: FloatArray = np.maximum(np.asarray(doc_self, dtype=np.float32), np.float32(1e-6))

    @property
    def known(self) -> dict[str, int]:
        return self._vocab

    def scores(self, tokens: Sequence[str], rarity: Callable[[str], float] | None = None) -> FloatArray | None:
        """Each document's normalised score (0 … 1) for the query `tokens`; None when none matches.
        A token the KB has never seen weighs the highest idf in the query's self-score, times its
        `rarity` in general Chinese when given (明天 little, 社保卡 fully)."""
        unique = list(dict.fromkeys(tokens))
        ids = [self._vocab[token] for token in unique if token in self._vocab]
        if not ids:
            return None
        raw = self._raw_scores(ids)

        def weight(token: str) -> float:
            idf = self._idf.get(token)
            if idf is not None:
                return idf
            return self._unseen_idf * (rarity(token) if rarity is not None else 1.0)

        query_self = sum(weight(token) for token in unique) / (1 + K1 * (1 - B + B * len(unique) / self._avg_len))
        by_query = np.minimum(raw / np.float32(query_self), np.float32(1))
        by_doc = np.minimum(raw / self._doc_self, np.float32(1))
        mixed: FloatArray = by_query * np.float32(QUERY_SHARE) + by_doc * np.float32(1 - QUERY_SHARE)
        return mixed

    def _raw_scores(self, ids: list[int]) -> FloatArray:
        """Each document's BM25 score for the query's token `ids`: the sum of the tokens' rows of
        the index, in token order."""
        if self._dense is None:
            scores: FloatArray = self._bm25.get_scores_from_ids(ids)
            return scores
        dense: FloatArray = self._dense[ids].sum(axis=0)
        return dense


def _dense_rows(index: dict[str, Any]) -> FloatArray:
    """bm25s's eager index (a CSC matrix: one column of document scores per token) as a dense
    token × document array. Summing a query's rows of it gives bm25s's `get_scores_from_ids`,
    bit for bit (both add the tokens' scores one token after the other, in float32), ~10× faster:
    bm25s adds each token with its own `np.add.at` call, a tenth of the decision step in the
    profile of `bench/intake.py`. Only for a KB small enough (`DENSE_MAX_CELLS`): the default
    one's two fields take 9 MB."""
    data, indices, indptr = index["data"], index["indices"], index["indptr"]
    dense = np.zeros((len(indptr) - 1, int(index["num_docs"])), dtype=np.float32)
    for token in range(len(indptr) - 1):
        start, end = int(indptr[token]), int(indptr[token + 1])
        dense[token, indices[start:end]] = data[start:end]
    return dense


def _import_bm25s() -> Any:
    """bm25s, without SciPy: bm25s imports `scipy.sparse` whenever it is installed (it is, for the
    policy model's training), which costs every gateway process ~11 MB for a sparse matrix bm25s
    builds as well with numpy (`csc_backend="numpy"`, the same index)."""
    with without_module("scipy"):
        import bm25s
    return bm25s


def _self_score(counts: Counter[int], idf: dict[int, float], relative_len: float) -> float:
    """A document's BM25 score against itself (Lucene: idf · tf / (tf + k1 · length norm))."""
    norm = 1 - B + B * relative_len
    return sum(idf[token] * tf / (tf + K1 * norm) for token, tf in counts.items())


def _idf(total: int, frequency: int) -> float:
    return math.log(1 + (total - frequency + 0.5) / (frequency + 0.5))


class Retriever:
    """An immutable index over a list of entries; `rank` and `ask` are safe from any thread."""

    def __init__(
        self,
        entries: list[KbEntry],
        analyzer: Analyzer,
        words: _Field,
        chars: _Field,
        starts: npt.NDArray[np.intp],
        phrasings: int,
        threshold: float,
        topics: dict[str, npt.NDArray[np.bool_]] | None = None,
    ) -> None:
        self.entries = entries
        self.threshold = threshold
        self.phrasings = phrasings
        self._analyzer = analyzer
        self._words = words
        self._chars = chars
        self._starts = starts
        self._topics = topics or {}
        self._has_topic = np.logical_or.reduce(list(self._topics.values())) if self._topics else None

    @classmethod
    def build(
        cls, entries: Sequence[KbEntry], *, threshold: float | None = None, analyzer: Analyzer | None = None
    ) -> Retriever:
        """Index `entries` (CPU-bound, ~0.1 s per 1,000 phrasings: off the event loop for a real KB)."""
        if not entries:
            raise ValueError("a knowledge base needs at least one entry")
        analyzer = analyzer or get_analyzer()
        word_vocabulary: dict[str, int] = {}
        char_vocabulary: dict[str, int] = {}
        word_docs: list[array[int]] = []
        char_docs: list[array[int]] = []
        starts: list[int] = []
        topics: dict[str, list[int]] = {}
        for number, entry in enumerate(entries):
            starts.append(len(word_docs))
            counts: Counter[str] = Counter()
            for phrasing in entry.phrasings:
                analysis = analyzer.analyze(phrasing)
                word_docs.append(_ids(analysis.words, word_vocabulary))
                char_docs.append(_ids(analysis.chars, char_vocabulary))
                counts.update(TOPICS.intersection(analysis.words))
            for topic, count in counts.items():
                if 2 * count >= len(entry.phrasings):
                    topics.setdefault(topic, []).append(number)
        return cls(
            list(entries),
            analyzer,
            _Field(word_docs, word_vocabulary),
            _Field(char_docs, char_vocabulary),
            np.asarray(starts, dtype=np.intp),
            len(word_docs),
            DEFAULT_THRESHOLD if threshold is None else threshold,
            _topic_masks(topics, len(entries)),
        )

    def rank(self, text: str, k: int = 5) -> list[Match]:
        """The `k` best articles for `text`, best first, with their scores (0 … 1)."""
        scores = self._entry_scores(self._query(self._analyzer.analyze(text)))
        if scores is None or k <= 0:
            return []
        candidates = np.flatnonzero(scores)
        if len(candidates) > k:
            # Over the non-zero scores only: numpy's argpartition is very slow on arrays that are
            # mostly zeros (many equal values), which every score vector here is.
            candidates = candidates[np.argpartition(scores[candidates], -k)[-k:]]
        ordered = candidates[np.argsort(-scores[candidates], kind="stable")]
        return [Match(self.entries[i].id, round(float(scores[i]), 4), self.entries[i]) for i in ordered.tolist()]

    def best(self, text: str) -> Match | None:
        """The best article, scored with its confidence (margin to the runner-up counted), whatever
        the threshold; None when no article shares a word or character with `text`."""
        matches = self.rank(text, k=2)
        if not matches:
            return None
        return Match(matches[0].kb_id, confidence(matches), matches[0].entry)

    def ask(self, text: str) -> Match | None:
        """The article that answers `text`, scored with its confidence; None below the threshold
        (the bot hands over to an operator)."""
        match = self.best(text)
        if match is None or match.score < self.threshold:
            return None
        return match

    def _query(self, analysis: Analysis) -> Analysis:
        """The question's words, each the KB does not know replaced by its parts when that helps."""
        known = self._words.known
        words: list[str] = []
        for word in analysis.words:
            if word in known:
                words.append(word)
                continue
            parts, dropped = self._analyzer.split(word)
            words.extend(parts if dropped or any(part in known for part in parts) else [word])
        return Analysis(tuple(words), analysis.chars)

    def _entry_scores(self, analysis: Analysis) -> FloatArray | None:
        words = self._words.scores(analysis.words, self._analyzer.rarity)
        chars = self._chars.scores(analysis.chars, self._analyzer.char_rarity)
        if words is None and chars is None:
            return None
        mixed = np.zeros(self.phrasings, dtype=np.float32)
        if words is not None:
            mixed += words * np.float32(WORD_WEIGHT)
        if chars is not None:
            mixed += chars * np.float32(1 - WORD_WEIGHT)
        pooled: FloatArray = np.maximum.reduceat(mixed, self._starts)
        asked = [self._topics[word] for word in set(analysis.words) if word in self._topics]
        if asked and self._has_topic is not None:
            other = self._has_topic & ~np.logical_or.reduce(asked)
            pooled[other] *= np.float32(OTHER_TOPIC)
        return pooled


def _ids(tokens: Sequence[str], vocabulary: dict[str, int]) -> array[int]:
    """`tokens` as ids, each new token given the next id (4 bytes each: a list would take 8)."""
    return array("i", [vocabulary.setdefault(token, len(vocabulary)) for token in tokens])


def _topic_masks(topics: dict[str, list[int]], size: int) -> dict[str, npt.NDArray[np.bool_]]:
    masks = {}
    for topic, numbers in topics.items():
        mask = np.zeros(size, dtype=np.bool_)
        mask[numbers] = True
        masks[topic] = mask
    return masks


def confidence(matches: Sequence[Match]) -> float:
    """The best match's score, less a penalty when the runner-up is within `MARGIN` of it."""
    if not matches:
        return 0.0
    best = matches[0].score
    runner_up = matches[1].score if len(matches) > 1 else 0.0
    penalty = MARGIN_PENALTY * max(0.0, MARGIN - (best - runner_up))
    return round(max(0.0, best - penalty), 4)
