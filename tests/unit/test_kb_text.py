"""Chinese text as the retriever sees it: normalised, segmented with the transport dictionary,
colloquialisms mapped to one word; and the segmenter's dictionary cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.kb import text
from gateway.kb.text import STOPWORDS, Analyzer, get_analyzer, load_synonyms, normalize


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return get_analyzer()


def test_traditional_becomes_simplified() -> None:
    assert normalize("請問計程車拒載怎麼投訴") == "请问计程车拒载怎么投诉"


def test_full_width_letters_and_digits_become_half_width_and_lowercase() -> None:
    assert normalize("ＥＴＣ扣了１２３元，打１２３２８！") == "etc扣了123元 打12328"


def test_punctuation_and_symbols_become_spaces() -> None:
    assert normalize("出租车……拒载？！（广州南站）😡") == "出租车 拒载 广州南站"


@pytest.mark.parametrize(
    ("variant", "canonical"),
    [
        ("的士", "出租车"),
        ("打车", "出租车"),
        ("計程車", "出租车"),
        ("滴滴", "网约车"),
        ("快车", "网约车"),
        ("大巴", "客车"),
        ("师傅", "司机"),
        ("过路费", "通行费"),
        ("高速", "高速公路"),
        ("ETC卡", "etc"),
        ("讲价", "议价"),
        ("起火", "着火"),
        ("停开", "停航"),
        ("一回事", "区别"),
        ("十月一号", "节假日"),
        ("要不要钱", "收费"),
        ("改", "改签"),
        ("订", "订票"),
        ("轻卡", "轻型货车"),
        ("汽修厂", "修理厂"),
        ("动车", "火车"),
    ],
)
def test_colloquialisms_become_one_word(analyzer: Analyzer, variant: str, canonical: str) -> None:
    assert canonical in analyzer.analyze(f"{variant}的问题").words


def test_the_same_question_in_other_words_reads_the_same(analyzer: Analyzer) -> None:
    assert analyzer.analyze("打車被師傅繞路了").words == analyzer.analyze("出租车被司机绕路了").words


@pytest.mark.parametrize("word", ["网约车", "从业资格证", "超限超载", "12328", "客运班车", "绿色通道", "驾校"])
def test_transport_words_stay_whole(analyzer: Analyzer, word: str) -> None:
    assert word in analyzer.analyze(f"请问{word}怎么办理").words


def test_da_di_is_a_taxi_only_where_a_trip_follows(analyzer: Analyzer) -> None:
    assert "出租车" in analyzer.analyze("打的去火车站要多少钱").words
    assert "出租车" in analyzer.analyze("昨晚打的花了八十").words
    assert "出租车" not in analyzer.analyze("我打的是12345，怎么转到你们这了").words
    assert "出租车" not in analyzer.analyze("我打的电话没人接").words


def test_a_beeping_device_is_not_the_ride_hailing_app(analyzer: Analyzer) -> None:
    assert "网约车" not in analyzer.analyze("ETC盒子一直滴滴响").words
    assert "网约车" in analyzer.analyze("滴滴司机绕路").words


def test_a_weight_or_a_decimal_stays_one_token(analyzer: Analyzer) -> None:
    assert "4.5吨" in analyzer.analyze("４．５吨的轻卡要从业资格证吗").words
    assert analyzer.analyze("4.5吨以下").words == analyzer.analyze("4.5吨 以下").words
    assert "3.5" in analyzer.analyze("起步价3.5元").words


def test_question_words_and_particles_are_dropped(analyzer: Analyzer) -> None:
    words = analyzer.analyze("您好，请问一下出租车拒载怎么投诉呢？谢谢").words
    assert words == ("出租车", "拒载", "投诉")
    assert not set(words) & STOPWORDS


def test_the_character_field_has_characters_and_pairs_within_runs(analyzer: Analyzer) -> None:
    chars = analyzer.analyze("出租车拒载怎么投诉").chars
    assert {"出", "租", "出租", "租车", "车拒", "拒载", "投诉"} <= set(chars)
    assert "载投" not in chars  # 怎么 (dropped) stands between them


def test_a_word_the_kb_does_not_know_can_be_cut_smaller(analyzer: Analyzer) -> None:
    parts, dropped = analyzer.split("通话录音")
    assert parts == ["通话", "录音"]
    assert not dropped


def test_a_synonym_listed_under_two_words_is_an_error() -> None:
    converter = text._converter()
    with pytest.raises(ValueError, match="listed under"):
        load_synonyms("出租车 的士\n网约车 的士\n", converter)


def test_the_shipped_word_lists_load(analyzer: Analyzer) -> None:
    synonyms = load_synonyms(text._resource("synonyms.txt"), text._converter())
    assert synonyms["的士"] == "出租车"
    assert analyzer.rarity("社保卡") > analyzer.rarity("明天")


def test_the_dictionary_is_cached_and_read_back(tmp_path: Path) -> None:
    cold = text._build_analyzer(tmp_path)
    assert not text.LAST_STARTUP[-1].warm
    (cache_file,) = tmp_path.glob("jieba-*.marshal")
    warm = text._build_analyzer(tmp_path)
    report = text.LAST_STARTUP[-1]
    assert report.warm
    assert report.cache_file == cache_file
    sample = "网约车司机绕路多收了我的钱"
    assert warm.analyze(sample) == cold.analyze(sample)


def test_a_corrupt_cache_is_rebuilt(tmp_path: Path) -> None:
    text._build_analyzer(tmp_path)
    (cache_file,) = tmp_path.glob("jieba-*.marshal")
    cache_file.write_bytes(b"not marshal data")
    analyzer = text._build_analyzer(tmp_path)
    assert not text.LAST_STARTUP[-1].warm
    assert "网约车" in analyzer.analyze("网约车").words
    assert text._build_analyzer(tmp_path) is not None
    assert text.LAST_STARTUP[-1].warm


def test_jiebas_rarest_words_are_left_out_and_ours_stay(analyzer: Analyzer) -> None:
    # 一头雾水 has a frequency of 3 in jieba's dictionary: it falls apart into words it holds.
    assert analyzer.segment("一头雾水") == ["一头", "雾水"]
    # Rarity is what jieba's full dictionary would give such a word: rarest.
    assert analyzer.rarity("一头雾水") == 1.0
    # Our transport words are kept whatever jieba thinks of them.
    assert analyzer.segment("从业资格证网约车") == ["从业资格证", "网约车"]
