"""The rule that keeps FAQ answers away from complaints: who did what wrong to me, or 我要投诉."""

from __future__ import annotations

import pytest

from gateway.decide import is_complaint


@pytest.mark.parametrize(
    "text",
    [
        "出租车司机拒载，车牌粤A12345",
        "打車被師傅繞路了，多收了我５０元！",
        "滴滴司机对我态度很差",
        "昨天晚上公交车过站不停",
        "公交司机开车太猛我差点摔倒",
        "驾校不给我退学费",
        "我要投诉",
        "投诉一辆出租车",
        "我要举报黑车，在火车站门口",
    ],
)
def test_a_complaint_narrative_is_a_complaint(text: str) -> None:
    assert is_complaint(text)


@pytest.mark.parametrize(
    "text",
    [
        "出租车拒载怎么投诉",
        "怎么投诉出租车",
        "我想投诉出租车，怎么投诉？",
        "滴滴司机态度很差怎么办",
        "驾校不退学费怎么办",
        "我的ETC不停车收费扣费不对",
        "12328节假日上班吗",
        "请问出租车起步价多少钱",
        "今天天气怎么样",
    ],
)
def test_a_question_is_not(text: str) -> None:
    assert not is_complaint(text)
