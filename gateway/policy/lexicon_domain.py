"""The seven domains (第二条), the kind of business (第三十一条), what a complaint is about and
whether it tells of a specific wrong (第十九条(二)).

Part of the policy lexicon; import from `gateway.policy.lexicon`. Texts are normalised (NFKC,
simplified, lowercase).
"""

from __future__ import annotations

import re

from domain import Domain
from gateway.policy.lexicon_base import alt, words

# -- 第二条: the seven domains -------------------------------------------------------------------

# Each word weighs one; a domain wins on the sum (ties: the first in this order).
DOMAIN_WORDS: dict[Domain, re.Pattern[str]] = {
    Domain.URBAN_TRANSIT: words(
        r"出租车 出租 的士 的哥 打车 打的 计程车 网约车 滴滴 快车 专车 顺风车 拼车 花小猪 高德打车 曹操 t3(?:出行|打车|约车) 公交 公车 公交车 巴士 "
        r"公共汽车 线路 \d+路 几路(?:车|公交)? 站台 地铁 轻轨 \d+号线 有轨电车 brt 共享单车 单车 哈啰 租车 汽车租赁 司机 师傅 刷卡 投币 乘车码 公交卡 "
        r"一卡通 老年卡 爱心卡 学生卡 末班车 首班车 到站 报站 甩站 绕路 拒载 打表 计价器"
    ),
    Domain.ROAD_TRANSPORT: words(
        r"大巴 客车 中巴 长途车 长途汽车 卧铺车 客运 班车 班线 客运站 汽车站 汽车客运站 包车 旅游大巴 旅游车 校车 货车 大货车 卡车 "
        r"挂车 半挂 物流 货运 货拉拉 运满满 危险品运输 危化品 危险货物 罐车 驾校 驾驶培训 学车 教练 练车 汽修 修理厂 维修厂 修车 4s店 "
        r"从业资格证? 资格证 道路运输证 营运证 运输证 综合性能检测 营运车辆 黑车 非法营运 车站 售票员 行李舱 渣土车 搬家公司 运输公司 挂靠"
    ),
    Domain.HIGHWAY: words(
        r"高速 高速公路 收费站 通行费 过路费 etc obu 服务区 国道 省道 县道 乡道 农村公路 公路 道路 路面 坑 坑洼 修路 施工 封路 路灯 "
        r"护栏 桥梁 (?<!廊)桥 隧道 绿色通道 绿通 免费通行 治超 超限 大件运输 路政 匝道 应急车道 路标 标线 标志牌 井盖 减速带 红绿灯不亮 伸缩缝"
    ),
    Domain.WATERWAY: words(
        r"轮渡 渡船 渡口 客船 游船 客轮 客滚 码头 港口 港区 航道 内河 货船 船闸 趸船 江上 河上 湖上 水路 水运 船票 船运 驳船 "
        r"船公司 集卡 堆场 装卸 引航"
    ),
    Domain.MARITIME: words(
        r"海事 海事局 船员 海员 船员证 适任证 船舶检验 船检 船舶登记 船舶污染 油污 溢油 海上交通 航行安全 船舶安全 "
        r"渔船(?!.{0,4}(?:捕|鱼价)) 海上 海面 锚地 防污 船舶排污 海船 远洋 甲板 游艇 航行灯"
    ),
    Domain.SALVAGE: words(
        r"打捞 救助打捞 沉船打捞 沉物 沉船 清障 打捞局 捞船 打捞费 救捞 捞上来 救助报酬 沉了.{0,4}年 残骸"
    ),
    Domain.MARITIME_SAR: words(
        r"海上搜救 搜救中心 搜救 海上救援 救援船 救助船 救生艇 搜寻 海难 12395 遇险 求救 落水报警"
    ),
}
DOMAIN_ORDER = tuple(DOMAIN_WORDS)

# -- 第三十一条: what kind of business it is ------------------------------------------------------

SUGGESTION = words(
    r"建议 希望 能否 能不能(?:增加|多|开通|延长|设置|在|把|考虑|加|统一|简化|搞|弄|让|给|装|调|改|别) 可不可以(?:增加|多|开通|延长|设置|把|考虑) "
    r"提议 呼吁 应该(?:增加|多|开通|延长|设置|加强|考虑|把|统一) 最好(?:能|可以)? 要是能 如果能 期待 恳请.{0,6}(?:增加|开通|延长|设置) "
    r"可以(?:多|少|降|提高|增加|延长|改|调|在|把|设|装|开) 应该(?:在|设|装|建|开|改|多|少|降) 就好了 我觉得.{0,10}(?:可以|应该|最好) "
    r"多(?:装|设|建|开|加|安排)(?:几|一些|点) 意见 表扬 点赞 锦旗 感谢信 增设 加开 开通.{0,6}(?:线路|班次|专线) 延长.{0,6}(?:运营|时间|末班) 改进 优化"
)
QUESTION = words(
    r"怎么 怎样 如何 咋 哪里 哪儿 在哪 哪个 哪些 什么 啥 吗 嘛\? 呢\? 能否 能不能 可不可以 可以不 是否 是不是 多久 多少 几天 几点 几号 有没有 请问 咨询 问一下 问下 "
    r"\? 想知道 想了解 需要什么 要什么 归谁 找谁 谁管 还是"
)
# A complaint or report declared (我要投诉, 举报…), apart from the narratives `gateway.kb.intent` knows.
COMPLAINT = words(
    r"投诉 举报 控告 曝光 不满 太差 气死 什么态度 受不了 坑人 欺负 凭什么 差评 告他 太过分 没人管 不作为 乱收费 讨个说法"
)

# -- 第十九条(二): a specific wrong, or only a grievance -------------------------------------------

# Something that went wrong that could be looked into once its facts are known (绕路, 多收了三十,
# 不停站, 押金不退 …) — as opposed to a grievance with nothing in it (都是一帮不干事的, 反正就是
# 不满意, 乱得很).
WRONG = words(
    # money
    r"多收 乱收 多扣 乱扣 乱要 多要 收(?:了|我|费) 要(?:了)?.{0,4}(?:块|元|钱) 扣.{0,4}(?:钱|费) 加价 涨价 开价 要价 太黑 宰 小费 "
    r"押金 不退 退款 费用 \d+(?:块|元) 卖.{0,4}\d+ 贵 行李费 补考费 罚(?:了|款) "
    # service failures
    r"晚点 延误 误点 不停 甩站 过站 跳站 开过去 拒载 不拉 不载 不让.{0,4}(?:上车|进|上船) 赶.{0,3}下车 甩(?:下|客) 绕(?:路|道|远|圈) "
    r"不打表 不等人 关门 取消 空调.{0,4}(?:不开|坏) 不是一辆车 不是.{0,6}(?:那个人|本人|同一) 人车不符 排(?:了|队).{0,6}(?:分钟|小时) 只开了 "
    r"约不上 没约上 拖(?:了|着) 没人修 没清 挂住 弄坏 (?:摔|刮|撞)(?:坏|裂|了) 泡(?:了)?水 不认账 不赔 不给(?:票|发票|退) 退回 "
    r"爱答不理 态度 骂 吵架 推搡 打人 扔 外放 抽(?:烟|菸) 急刹 开得太 差点摔 吞 装货 拉客 黑车 乱停 堵 坑 查我 卸货 副厂 "
    r"不按时 不准时 (?:等|拖)了.{0,6}(?:钟头|个钟) 吵 噪音 震天响 卖唱 乞讨 音响 偷 盗 被抢 红包 好处费 假 不符合 包过 刁难 慢 耽误 转账 私下收 线下 抽成 不理 等了.{0,6}(?:分钟|小时) 半小时 一个多小时 不开门 不说 不告诉 脏 臭 坏了 破 漏 没(?:有)?(?:空调|座|票) "
    r"超载 超速 闯红灯 酒驾 逆行 违规 非法 无证 私家车 不符 收走 锁车 扣(?:了)?(?:车|证) (?<!事都)(?<!事也)不办 不给办 不受理"
)

# A grievance told as having nothing in it: the citizen would not say what (12345 notes: 未说明具体
# 事项, 不愿提供任何信息) — no facts to ask for, whatever its length.
NO_MATTER = words(
    r"未(?:说明|提供|讲明|说清)(?:任何)?具体 不愿(?:意)?(?:提供|透露|说明|告知)(?:任何|具体)? 拒绝提供(?:任何|具体)?"
)

# -- what a complaint is about, for its missing facts --------------------------------------------

# Listed first: on a tie the earlier kind wins. "other" is the authorities and the rescue services,
# complained about as such (a 海事 officer, a window clerk, a rescue boat): who, when, where.
KIND_WORDS = {
    "other": words(r"海事 (?<!交警)执法 救助船 搜救 路政 交通局 运管 船员证 打捞 12395 值班电话"),
    "taxi": words(
        r"出租 的士 的哥 打车 打的 计程车 网约车 滴滴 快车 专车 顺风车 拼车 花小猪 高德 曹操 t3(?:出行|打车|约车) 黑车 摩的"
    ),
    "bus": words(r"公交 公车 巴士 公共汽车 地铁 轻轨 号线 有轨电车 brt 末班车 首班车 老年卡 机场线"),
    "coach": words(r"大巴 客车 中巴 长途 客运(?!站) 班车 旅游车 包车 校车 卧铺(?!票)"),
    "ship": words(r"船 轮渡 渡轮 渡口 客轮 快艇 游艇 客滚 码头 航道"),
    "business": words(
        r"驾校 驾驶培训 驾培 教练 练车 学车 汽修 修理厂 维修厂 修车 4s店 (?<!更新)(?<!查)物流(?!信息|单号|记录|更新|状态|轨迹|了) 货运 搬家公司 运输公司 客运站 汽车站 (?:汽车|客运)[东西南北中]站 (?<!出)租车 租赁 营运车辆 综合性能检测 "
        r"道路运输证 营运证 从业资格"
    ),
    "road": words(
        r"高速 收费站 收费员 etc 服务区 国道 省道 县道 公路 道路 路面 坑 修路 施工 路灯 护栏 (?<!廊)桥 隧道 井盖 治超 绿色通道"
    ),
}

# -- 第三十一条: the category, where the wording settles it ----------------------------------------

# A message that opens with a proposal is a suggestion (建议…, 希望…, 提个建议).
SUGGESTION_LEAD = re.compile(
    r"^\W*(?:我|我们|本人)?(?:强烈|真诚)?(?:建议|希望|提议|呼吁|恳请|提个建议|提个意见|提一个建议)"
)
# A proposal put as a question: why not do it (为什么不在机场大巴上装个行李架, 为啥不统一贴个牌子).
PROPOSES = re.compile(
    r"为(?:什么|啥|何)(?:就)?(?:不|不能|不可以|没有|没)(?:在|把|给|让|统一|多|少|设|装|建|开|加|贴|放|配|考虑|弄|搞|做|修|改|增加|安排)"
)
# A message that asks how, where, who, when, whether (not "can you change …", which proposes;
# not a bare 什么/哪, which narratives use too).
ASKS = re.compile(
    r"怎么办|咋办|怎么(?:投诉|办理|办|申请|查|退|买|收费|算|走|找|处理|索赔|赔|回事|弄|报名|考)|如何|多久|几点|找谁|谁管|谁负责|归谁"
    r"|去哪|在哪(?:里|儿)?(?:办|买|交|申请|报名|查|开|做|领|补)|哪里(?:可以|能|办|买|报名|申请|查|开|做|领|补)|是不是|是否|算不算"
    r"|合法吗|吗$|吗\?|能.{0,6}吗|([\u4e00-\u9fa5])不\1|有没有|干嘛|啥区别|什么区别|啥意思|几天$|几天\?|要几天|等几天|多长时间"
)
# A question for information put in so many words, even after a story (…伊拉几时修好？, …这个要紧不？,
# …是找你们还是找市场监管？): the message asks rather than complains, when it voices no grievance.
INQUIRES = re.compile(
    r"什么时候(?:能|会|可以|才)?(?:修|完工|好|通|恢复|开通|通车|办|完)|几时|修好(?:了)?没|好(?:了)?没得|(?:要紧|严重|危险)(?:不|吗|么|伐)"
    r"|是找(?:你们|谁|哪)|还是找|找(?:哪个|什么)部门|(?:需要|要|得)(?:办|准备|带|交)?(?:什么|哪些|啥)(?:手续|材料|证件|证明)"
    r"|qing\s?wen|咋(?:申诉|弄出来|处理)|怎么(?:申诉|处理才|弄出来)"
)
# A grievance voiced as such: a complaint, whatever question words it uses (有没有人管管, 服了);
# not a question about how to complain (怎么投诉, 投诉电话).
_HOW = alt("怎么 怎样 如何 哪里 去哪 找谁 在哪 哪儿 咋 能 可以")


def _unasked(word: str) -> str:
    """`word`, not preceded by a question word (the word first: cheaper to run than lookbehinds first)."""
    return word + "".join(f"(?<!{q}{word})" for q in _HOW[3:-1].split("|"))


GRIEVANCE = words(
    rf"{_unasked('投诉')}(?!电话|渠道|方式|流程|途径|哪|吗) {_unasked('举报')}(?!电话|渠道|方式|流程|途径|哪|吗) 控告 曝光 (?<!人)不满(?!不走|员|座) 太差 差劲 气死 什么态度 受不了 受够 坑人 欺负 凭什么 差评 太过分 没人管 管管 不作为 不干事 "
    r"混日子 乱收费 讨个说法 有没有人管 烦死了 有什么用 白打 就是不行 反正就是 (?:很大|好大|大大)的意见 我有意见 给个说法 服了 乱得很 心里没数 什么年代 还这样 都这样 看着办 管不管事 有病 摆设 失望 什么都不管 "
    r"不管 没用 吃干饭 等着吧 不负责 敷衍 糊弄 不像话 不满意 太烂 垃圾 一个样 都一样 给(?:我)?(?:一)?个说法 自己(?:去)?查 不方便说 不想(?:多)?说 乱七八糟 一塌糊涂 不对头 都要改 问题(?:很多|好多|太多) 好多问题 很严重 意见(?:很|大|太)大? 搞(?:么子|啥子|什么|啥)(?:名堂|鬼) 名堂 "
    r"(?:啥|什么|锤子|屁|一件|一点)事(?:都|也)不(?:办|干|做|管) 没(?:一件|一个|一样|哪样)(?:让人|叫人|令人)?(?:满意|好) 该整顿 (?:自己)?心(?:里|头)(?:清楚|有数) 我要告(?:你们|你) 就你们这 呵呵 懒得(?:说|讲) 瞎搞 胡搞 乱搞 稀烂 拉胯 离谱 扯淡 坑爹 什么玩意 啥玩意 岂有此理 窝火 憋屈 寒心 心寒 无语"
)
