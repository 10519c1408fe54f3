"""Chinese text as the retriever sees it: normalised, segmented, canonical.

1. Normalise: NFKC (full-width letters and digits → half-width), traditional → simplified
   (OpenCC `t2s`), lowercase, punctuation and symbols → spaces.
2. Segment with jieba in dictionary mode (no HMM: a sequence jieba does not know falls apart into
   characters, which the character field still matches) with a transport user dictionary
   (`transport_dict.txt`: 网约车, 从业资格证, 超限超载, etc …).
   A weight or a decimal (4.5吨, 3.5) stays one token; 打的 becomes 打车 only where a trip follows
   (打的去…), not in "我打的是12345".
3. Canonicalise: colloquialisms and synonyms become one word (`synonyms.txt`: 的士, 打车, 计程车 →
   出租车; 滴滴, 快车 → 网约车; 师傅 → 司机 …), in queries and articles alike; question words,
   particles and courtesies (怎么, 请问, 吗, 您好 …) are dropped.
4. Characters: each character and each pair of neighbouring characters of the canonical text
   (pairs do not reach across a dropped word): a second field that catches typos and words that
   jieba cuts differently in the question and in the article (扣钱 / 扣了钱).

jieba's prefix dictionary takes about a second to build from its word list; it is built once, from
jieba's words of frequency `MIN_WORD_FREQUENCY` or more and ours, and cached (marshal) under a
cache directory (`HOTLINE_KB_CACHE_DIR`, default `~/.cache/hotline-gateway`), keyed by jieba's
version, its dictionary file and our word lists, so a restart only reads the cache back (see
`bench/faq_speed.py` for the start-up times).
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import importlib.resources
import io
import logging
import marshal
import math
import os
import re
import sys
import tempfile
import threading
import time
import unicodedata
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jieba import Tokenizer

log = logging.getLogger(__name__)

CACHE_FORMAT = 2
# jieba's words rarer than this (frequency 3 or 4 in its 60-million-word count: 212,000 of its
# 349,000 words, mostly names and rare compounds) are left out of the segmenter: they held 48 MB of
# every process. On the FAQ evaluation set (`bench/faq_quality.py`, with the complaint rule) right
# answers went 67 → 65 on the tune split and 54 → 55 on the holdout, false answers 1 → 0 and
# 5 → 5. A word left out falls apart into the words and characters it is made of, which the
# character field still matches; its rarity is unchanged (a frequency of 4 already counted as
# rarest).
MIN_WORD_FREQUENCY = 5
RARITY_LOW = 8.0
RARITY_HIGH = 13.0
RARITY_FLOOR = 0.15
# Punctuation and symbols, except a decimal point between digits (4.5吨 stays one number).
_PUNCTUATION = re.compile(r"(?:(?!(?<=\d)\.(?=\d))[\W_])+")
# A weight (4.5吨, 49吨) or a decimal stays one token: the rule for "4.5吨及以下" must not be cut
# into an everyday "4", "5" and "吨".
_DECIMAL = re.compile(r"(\d+(?:\.\d+)?吨|\d+\.\d+)")
# 打的 (to take a taxi) only where a trip follows: "我打的是12345" is a phone call, not a taxi.
_TAXI_DADI = re.compile("打的(?=[去到回走费钱花从过]|$| )")
_DIGIT = re.compile(r"\d")
_LATIN = re.compile(r"[a-z]+")
_CJK = re.compile(r"[\u3400-\u9fff]")

# Question words, particles and courtesies: they say that something is asked, not what. Dropped
# from queries and articles, so a query's score is carried by its content words alone.
_STOPWORD_TEXT = """
    的 地 得 了 着 过 吗 嘛 吧 呢 啊 呀 哦 哈 啦 么 哇 喔 噢 嗯 呐
    我 我们 你 你们 您 他 她 它 他们 她们 咱 咱们 俺 自己 大家 人家
    上 里
    这 那 这个 那个 这些 那些 这样 那样 这种 那种 这里 那里 此 该 其
    是 在 有 没 没有 就 都 也 还 又 再 才 很 太 挺 更 最 非常 特别 比较
    和 与 及 或 或者 跟 同 并 而 但 但是 可是 不过 如果 要是 因为 所以 然后 还是
    给 被 把 让 对 向 从 到 于 为 以 由 按 按照
    怎么 怎么样 怎样 如何 怎么办 咋 咋办 咋样 为什么 为啥 干嘛 什么 啥 哪 哪里 哪儿 哪个 哪些 几 多少 谁 是否 是不是
    能 能不能 能否 可以 可不可以 可否 会 会不会 要 要不要 想 想要 需要 需不需要 应该 应当 必须 该不该
    请问 请 问 问问 问一下 一下 一个 个 下 些 一些 有没有 有的 知道 告诉 了解 咨询一下
    你好 您好 谢谢 麻烦 感谢 劳驾 小姐 同志 亲 在吗 急 急急
"""
STOPWORDS: frozenset[str] = frozenset(_STOPWORD_TEXT.split())


@dataclass(frozen=True, slots=True)
class Analysis:
    """A text as the two retrieval fields see it."""

    words: tuple[str, ...]
    chars: tuple[str, ...]


class _OpenCC:
    def __init__(self) -> None:
        import opencc

        self._converter: Any = opencc.OpenCC("t2s.json")

    def convert(self, text: str) -> str:
        return str(self._converter.convert(text))


_CONVERTER: list[_OpenCC] = []


def _converter() -> _OpenCC:
    """One converter per process, built on first use (list.append is atomic: at worst two are built)."""
    if not _CONVERTER:
        _CONVERTER.append(_OpenCC())
    return _CONVERTER[0]


def simplify(text: str, converter: _OpenCC | None = None) -> str:
    """NFKC (full-width → half-width), traditional → simplified, lowercase; punctuation kept."""
    if converter is None:
        return _simplified(text)
    return converter.convert(unicodedata.normalize("NFKC", text)).lower()


@functools.lru_cache(maxsize=8)
def _simplified(text: str) -> str:
    """The process's converter, remembering the last few texts: one message is simplified by each
    step that reads it (the policy's lexicon, the narrative rule, place names), OpenCC once."""
    return _converter().convert(unicodedata.normalize("NFKC", text)).lower()


def normalize(text: str, converter: _OpenCC | None = None) -> str:
    """`simplify`, then punctuation → single spaces, trimmed."""
    return _PUNCTUATION.sub(" ", simplify(text, converter)).strip()


class Analyzer:
    """Normalise, segment, canonicalise; safe to share between threads once built."""

    def __init__(self, tokenizer: Tokenizer, synonyms: dict[str, str], converter: _OpenCC) -> None:
        self._tokenizer = tokenizer
        self._synonyms = synonyms
        self._converter = converter
        self._log_total = math.log(tokenizer.total)

    def normalize(self, text: str) -> str:
        return _TAXI_DADI.sub("打车", normalize(text, self._converter))

    def canonical(self, token: str) -> str | None:
        """The canonical form of one segmented token; None for a stopword or blank."""
        token = token.strip()
        if not token or token in STOPWORDS:
            return None
        return self._synonyms.get(token, token)

    def split(self, word: str) -> tuple[list[str], bool]:
        """A word cut into smaller dictionary words (the best cut that is not the word itself),
        canonical, stopwords dropped; and whether a stopword was dropped. For a question's word
        the KB does not know (诉求办到, 通话录音): its parts may be known."""
        if len(word) < 3 or not _CJK.search(word):
            return [word], False
        dag = self._tokenizer.get_DAG(word)
        dag[0] = [end for end in dag[0] if end != len(word) - 1] or [0]
        route: dict[int, tuple[float, int]] = {}
        self._tokenizer.calc(word, dag, route)
        parts: list[str] = []
        dropped = False
        start = 0
        while start < len(word):
            end = route[start][1] + 1
            canonical = self.canonical(word[start:end])
            if canonical is None:
                dropped = True
            else:
                parts.append(canonical)
            start = end
        return parts, dropped

    def rarity(self, word: str) -> float:
        """How informative `word` is in general Chinese, 0 (everyday: 明天, 一张) … 1 (rare:
        社保卡, 停水), from jieba's word frequencies. A token with digits or Latin letters only (a
        plate, an amount, a bus line) names one case, not a topic: it counts as everyday."""
        if _DIGIT.search(word) or _LATIN.fullmatch(word):
            return RARITY_FLOOR
        frequency = self._tokenizer.FREQ.get(word) or 0
        information = self._log_total - math.log(frequency) if frequency > 0 else self._log_total
        return min(1.0, max(RARITY_FLOOR, (information - RARITY_LOW) / (RARITY_HIGH - RARITY_LOW)))

    def char_rarity(self, gram: str) -> float:
        """`rarity` for the character field: digits and Latin letters count as everyday, Chinese
        characters and pairs fully (their general frequencies say little)."""
        return RARITY_FLOOR if _DIGIT.search(gram) or _LATIN.fullmatch(gram) else 1.0

    def segment(self, text: str) -> list[str]:
        """The tokens of the normalised text (spaces included)."""
        return list(self._tokens(self.normalize(text)))

    def _tokens(self, normalized: str) -> Iterator[str]:
        # jieba cuts 4.5 into 4 / . / 5: decimals are taken out first.
        for index, chunk in enumerate(_DECIMAL.split(normalized)):
            if index % 2:
                yield chunk
            elif chunk:
                yield from self._tokenizer.cut(chunk, HMM=False)

    def analyze(self, text: str) -> Analysis:
        words: list[str] = []
        chars: list[str] = []
        run: list[str] = []  # canonical CJK words in a row, not interrupted by a dropped word
        for token in self._tokens(self.normalize(text)):
            word = self.canonical(token)
            if word is None:
                _flush(run, chars)
                continue
            words.append(word)
            if _CJK.search(word):
                run.append(word)
            else:  # digits and Latin letters (12328, etc) stay whole
                _flush(run, chars)
                chars.append(word)
        _flush(run, chars)
        return Analysis(tuple(words), tuple(chars))


def _flush(run: list[str], grams: list[str]) -> None:
    if not run:
        return
    text = "".join(run)
    run.clear()
    grams.extend(text)
    grams.extend(text[i : i + 2] for i in range(len(text) - 1))


# -- word lists ----------------------------------------------------------------------------------


def _resource(name: str) -> str:
    return importlib.resources.files("gateway.kb").joinpath(name).read_text(encoding="utf-8")


def _lines(text: str) -> Iterable[list[str]]:
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            yield line.split()


def load_synonyms(text: str, converter: _OpenCC) -> dict[str, str]:
    """variant → canonical, every word normalised; a variant under two canonicals is an error."""
    mapping: dict[str, str] = {}
    for words in _lines(text):
        canonical, *variants = (normalize(word, converter).replace(" ", "") for word in words)
        for variant in variants:
            if variant in mapping and mapping[variant] != canonical:
                raise ValueError(f"synonym {variant!r} is listed under {mapping[variant]!r} and {canonical!r}")
            if variant != canonical:
                mapping[variant] = canonical
    return mapping


def load_user_words(text: str, converter: _OpenCC) -> list[tuple[str, int | None]]:
    words: list[tuple[str, int | None]] = []
    for parts in _lines(text):
        word = normalize(parts[0], converter).replace(" ", "")
        words.append((word, int(parts[1]) if len(parts) > 1 else None))
    return words


# -- the segmenter and its cache -----------------------------------------------------------------


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hotline-gateway"


@dataclass(frozen=True, slots=True)
class StartupReport:
    """How the segmenter came up: from the cache (warm) or built from jieba's dictionary (cold)."""

    seconds: float
    warm: bool
    cache_file: Path | None


_ANALYZERS: dict[Path, Analyzer] = {}
_ANALYZERS_LOCK = threading.Lock()
LAST_STARTUP: list[StartupReport] = []


def get_analyzer(cache_dir: Path | None = None) -> Analyzer:
    """The process's analyzer for `cache_dir` (default `default_cache_dir()`), built on first use."""
    directory = (cache_dir or default_cache_dir()).expanduser()
    with _ANALYZERS_LOCK:
        analyzer = _ANALYZERS.get(directory)
        if analyzer is None:
            analyzer = _build_analyzer(directory)
            _ANALYZERS[directory] = analyzer
        return analyzer


def _build_analyzer(cache_dir: Path) -> Analyzer:
    started = time.perf_counter()
    converter = _converter()
    synonyms = load_synonyms(_resource("synonyms.txt"), converter)
    user_words = load_user_words(_resource("transport_dict.txt"), converter)
    # Every word a synonym line names is cut whole, so that it can be replaced.
    known = {word for word, _ in user_words}
    for word in [*synonyms, *synonyms.values()]:
        if word not in known:
            user_words.append((word, None))
            known.add(word)
    tokenizer, cache_file, warm = _tokenizer(cache_dir, user_words)
    report = StartupReport(time.perf_counter() - started, warm, cache_file)
    LAST_STARTUP.append(report)
    how = "from the cache" if warm else "built, now cached" if cache_file else "built (no cache)"
    log.debug("segmenter ready in %.2f s (%s)", report.seconds, how)
    return Analyzer(tokenizer, synonyms, converter)


@contextlib.contextmanager
def without_module(name: str) -> Iterator[None]:
    """While inside, `import name` fails (ImportError), unless the module is already loaded: for
    libraries that import an optional module they need not (see `_import_jieba`)."""
    hide = name not in sys.modules
    if hide:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        if hide:
            del sys.modules[name]


def _import_jieba() -> Any:
    # jieba 0.42 imports pkg_resources only to open its own data files, and falls back to open()
    # beside its module when that import fails. The import alone costs ~0.1 s of every start (and
    # newer setuptools deprecate it), so it is made to fail while jieba is imported.
    with without_module("pkg_resources"), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import jieba
    jieba.setLogLevel(logging.WARNING)
    return jieba


def _tokenizer(cache_dir: Path, user_words: list[tuple[str, int | None]]) -> tuple[Tokenizer, Path | None, bool]:
    jieba = _import_jieba()
    tokenizer = jieba.Tokenizer()
    dict_path = Path(jieba.__file__).with_name("dict.txt")
    stat = dict_path.stat()
    key = hashlib.sha256(
        repr(
            (
                CACHE_FORMAT,
                jieba.__version__,
                stat.st_size,
                stat.st_mtime_ns,
                MIN_WORD_FREQUENCY,
                sorted(user_words, key=str),
            )
        ).encode()
    ).hexdigest()
    cache_file = cache_dir / f"jieba-{key[:20]}.marshal"
    cached = _read_cache(cache_file, key)
    if cached is not None:
        tokenizer.FREQ, tokenizer.total = cached
        tokenizer.initialized = True
        return tokenizer, cache_file, True
    tokenizer.FREQ, tokenizer.total = _prefix_dictionary(jieba, dict_path.read_bytes())
    tokenizer.initialized = True
    for word, freq in user_words:
        tokenizer.add_word(word, freq)
    written = _write_cache(cache_file, key, tokenizer.FREQ, tokenizer.total)
    return tokenizer, cache_file if written else None, False


def _prefix_dictionary(jieba: Any, words: bytes) -> tuple[dict[str, int], int]:
    """jieba's prefix dictionary of its words of frequency `MIN_WORD_FREQUENCY` or more; the total
    stays the whole dictionary's, so a kept word's probability is what jieba would give it."""
    total = 0
    kept = []
    for line in words.splitlines(keepends=True):
        frequency = int(line.split(maxsplit=2)[1])
        total += frequency
        if frequency >= MIN_WORD_FREQUENCY:
            kept.append(line)
    freq, _ = jieba.Tokenizer.gen_pfdict(io.BytesIO(b"".join(kept)))
    return freq, total


def _read_cache(path: Path, key: str) -> tuple[dict[str, int], int] | None:
    try:
        data = path.read_bytes()
        # One read, then loads (marshal.load on a file reads in small pieces: 3× slower), with the
        # garbage collector paused: half a million new strings would trigger it again and again.
        gc.disable()
        try:
            stored_key, freq, total = marshal.loads(data)  # noqa: S302 — our own cache file
        finally:
            gc.enable()
    except FileNotFoundError:
        return None
    except (OSError, ValueError, EOFError, TypeError) as exc:
        log.warning("segmenter cache %s unreadable (%s): rebuilding it", path, exc)
        return None
    if stored_key != key or not isinstance(freq, dict) or not isinstance(total, int):
        return None
    return freq, total


def _write_cache(path: Path, key: str, freq: dict[str, int], total: int) -> bool:
    temporary: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed: a process starting meanwhile reads the old file or the new
        # one, never half of one.
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".jieba-", suffix=".tmp")
        with os.fdopen(fd, "wb") as out:
            out.write(marshal.dumps((key, freq, total)))
        os.replace(temporary, path)
    except OSError as exc:
        log.warning("segmenter cache not written to %s (%s): the next start builds it again", path.parent, exc)
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        return False
    return True
