"""`split_text`: long replies become several WeChat messages, cut where a reader expects a cut."""

from __future__ import annotations

import itertools

import pytest

from queue_workers.wechat_reply import MAX_TEXT_BYTES, WeChatText, split_text


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def test_a_text_that_fits_is_one_message_unchanged() -> None:
    text = "您好！您的工单已受理。\n请保持电话畅通。"
    assert split_text(text) == [text]
    exactly = "好" * (MAX_TEXT_BYTES // 3)  # 2046 bytes
    assert split_text(exactly) == [exactly]


def test_cuts_fall_after_sentence_ends_and_nothing_is_lost() -> None:
    sentences = [f"第{n}句说明处理进展。" for n in range(1, 40)]
    text = "".join(sentences)
    parts = split_text(text, limit=100)
    assert len(parts) > 1
    assert "".join(parts) == text
    assert all(_size(part) <= 100 for part in parts)
    assert all(part.endswith("。") for part in parts)
    # Greedy: no part could have taken the next sentence as well.
    for part, following in itertools.pairwise(parts):
        first_sentence = following[: following.index("。") + 1]
        assert _size(part + first_sentence) > 100


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("甲乙丙！丁戊己？庚辛壬。", ["甲乙丙！", "丁戊己？", "庚辛壬。"]),
        ("他说：“好的。”然后走了。", ["他说：“好的。”", "然后走了。"]),
        ("Done. Next one! Last?", ["Done.", "Next one!", "Last?"]),
        ("第一行\n第二行\n第三行", ["第一行", "第二行", "第三行"]),
    ],
)
def test_sentence_boundaries(text: str, expected: list[str]) -> None:
    limit = max(_size(part) for part in expected) + 1
    assert split_text(text, limit=limit) == expected


def test_a_sentence_too_long_is_cut_after_clauses_then_anywhere() -> None:
    clauses = "，".join("请携带身份证件" for _ in range(20)) + "。"
    parts = split_text(clauses, limit=60)
    assert "".join(parts) == clauses
    assert all(_size(part) <= 60 for part in parts)
    assert all(part.endswith(("，", "。")) for part in parts)

    unbroken = "一" * 100
    parts = split_text(unbroken, limit=30)
    assert parts == ["一" * 10] * 10  # 3-byte characters are never cut in half


def test_whitespace_at_a_cut_is_dropped() -> None:
    parts = split_text("First sentence here.   Second sentence here.", limit=25)
    assert parts == ["First sentence here.", "Second sentence here."]


def test_a_blank_text_is_not_a_valid_reply() -> None:
    with pytest.raises(ValueError, match="blank"):
        WeChatText.model_validate({"openid": "o1", "text": " \n ", "ticket_no": None, "msg_id": None})


def test_msg_id_may_be_a_number() -> None:
    reply = WeChatText.model_validate(
        {"openid": "o1", "text": "好", "ticket_no": "12328-20261128-000001", "msg_id": 24000000001234567}
    )
    assert reply.msg_id == "24000000001234567"
