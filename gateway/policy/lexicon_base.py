"""Shared pieces of the policy lexicon (`gateway.policy.lexicon` is the import point).

`words` builds a pattern from whitespace-separated alternatives; the fragments below are the
recurring word classes (who drives, the people a message can be about, their data …)
that several patterns combine, each written once.
"""

from __future__ import annotations

import re


def words(text: str) -> re.Pattern[str]:
    """A pattern from whitespace-separated alternatives (each may itself be a regex)."""
    return either(*text.split())


def either(*alternatives: str) -> re.Pattern[str]:
    """A pattern matching where any of `alternatives` (each a regex) matches. The alternatives are
    remembered (`alternatives`): `gateway.policy.prefilter` searches only those whose words are in
    a text."""
    pattern = re.compile("|".join(alternatives))
    _ALTERNATIVES[pattern.pattern] = alternatives
    return pattern


_ALTERNATIVES: dict[str, tuple[str, ...]] = {}


def alternatives(pattern: re.Pattern[str]) -> tuple[str, ...]:
    """The alternatives `pattern` was built from by `either` or `words`; itself, whole, otherwise."""
    return _ALTERNATIVES.get(pattern.pattern, (pattern.pattern,))


def alt(text: str) -> str:
    """A non-capturing group of whitespace-separated alternatives, to build patterns from."""
    return "(?:" + "|".join(text.split()) + ")"


# Whoever is at the wheel or the helm.
DRIVER = alt("司机 师傅 驾驶员 驾驶人 的哥 船长 开船的 开车的 船老大 教练")
# Other people a citizen may ask about (第十九条(五)).
OTHER_PERSON = alt(
    "司机 师傅 驾驶员 船长 船员 教练 车主 船主 船东 车老板 乘务员 售票员 的哥 工作人员 那个人 这个人 那人 此人 对方 那个男的 "
    "那个女的 车牌 这辆车 那辆车 这个车 的人 别人 他人 某人 人家 举报人 投诉人 老公 老婆 媳妇 丈夫 妻子 女朋友 男朋友 对象 前妻 前夫 前任 前男友 前女友 女友 男友 邻居 同事 亲戚 他 她 佢"
)
# Someone's personal data, whereabouts or records.
PERSONAL_DATA = alt(
    "电话 手机号? 号码 住址 住哪 住在哪 家在哪 家住 家庭住址 名字 姓名 叫啥 叫什么 身份证号? 联系方式 微信号? "
    "个人信息 行程 轨迹 去了哪 去哪了 去过哪 都去了 坐了哪 坐的哪 坐过哪 坐了几次 几次 从哪进 进的站 进出站 去过哪 走了哪 走的哪 订单记录 乘坐记录 通行记录 乘车记录 出行记录 开房记录 登记信息 排班表 位置 定位 在哪上班 工作单位"
)
# Asking to be given something.
ASK = alt(
    "请问 有冇 有没有 导出 查 告诉 给我 发我 发一份 透露 提供 调出 调取 调一下 要知道 想知道 想要 能不能给 给一份 拿到 看看"
)
