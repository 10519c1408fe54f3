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
        # What happened to the writer, told without a question (reported by the content team).
        "我被交警罚了两千，说我超载",
        "师傅嫌我去的地方太近，一直不理我",
        "公交车到站没停，直接开走了，我在车上下不去",
        "司机半路把我们赶下车，还收了我一百",
        "坐的大巴严重超载，过道上全是站着的人",
        "出租车司机闯红灯还逆行，吓得我一身汗",
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
        "司机超载怎么投诉",
        "公交车过站不停怎么办",
        "被网约车司机赶下车了怎么投诉",
        "出租车闯红灯向哪个部门举报",
        "在公交车上丢了手机怎么找",
        "司机开车一直抽烟，可以投诉不",
    ],
)
def test_a_question_is_not(text: str) -> None:
    assert not is_complaint(text)
