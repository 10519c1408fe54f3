"""Cost of place recognition (`gateway.policy.places`) per message, and its start-up cost.

    python bench/places_speed.py [--messages 4000] [--seed 12328] [--centre 440300]

1. Messages: `--messages` citizen-like texts made from templates (complaints, questions,
   suggestions about taxis, buses, coaches, ferries, roads), 20–150 characters, with no place, one
   or several (provinces, cities, districts, full and short names, the centre's own districts),
   some in traditional characters, some with the ordinary-word traps (和平, 长安, 港口 …).
2. Per message, mean / p50 / p99 of:
   - `PlaceIndex.find(text, prefer=[centre])`: normalise, match, resolve — what routing runs;
   - `normalize(text)` alone (NFKC, traditional → simplified, punctuation): the floor under it,
     which the classifier pays too;
   - `route(...)`: places plus the routing rules.
3. Start-up in a fresh process (import included): reading jionlp's data file, building the index.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from domain.taxonomy import Category, Domain
from gateway.kb.text import normalize
from gateway.policy.places import default_places, jionlp_location_file, read_location_rows
from gateway.policy.routing import route

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = [
    "{p}的出租车司机绕路多收了我四十块钱，车牌粤B·D1234，昨天下午三点在{q}上的车",
    "请问{p}到{q}的长途客车每天几点发车，票价多少",
    "{p}15路公交车司机态度恶劣，到站不停，希望你们管一管",
    "我想投诉{p}的一家驾校，交了钱一直不给安排考试",
    "建议{p}地铁2号线早高峰加开班次，太挤了",
    "{p}{q}收费站排队一个多小时，ETC车道也不开",
    "从{p}坐轮渡去{q}，船上救生衣不够，很危险",
    "网约车在{p}机场乱收费，订单尾号3391",
    "{p}高速服务区的厕所太脏了，没人打扫",
    "上周五在{p}打车，司机拒载，说不去{q}",
    "公交车上有人抽烟，司机也不管",
    "我要投诉你们，都是一帮不干事的",
    "世界和平，天下太平，但是{p}港口收费太高了，长安汽车4S店门口的公交站也撤了",
    "請問{p}到{q}的客運班車還有沒有，車票在哪裡買",
    "我是河南人，在{p}的客运站被黄牛骗了",
    "货车超载严重，天天从我家门口过，路都压坏了",
]
FILLERS = ["", "你好，", "麻烦问下，", "急！", "谢谢。", "那个就是，"]
MORE = [
    "我每天上下班都坐这趟车，已经不是第一次了，之前也打过电话反映，一直没人处理，希望这次能给个说法。",
    "当时车上还有老人和小孩，司机一路打电话，开得飞快，大家都很害怕。",
    "发票也不给开，问他要他就说机器坏了，态度特别差，还骂人。",
    "麻烦尽快处理，处理结果请打我电话告诉我。",
    "听说{q}那边早就整改了，为什么我们这里还是这样？",
]


def messages(count: int, centre_places: list[str], other_places: list[str], rng: random.Random) -> list[str]:
    out: list[str] = []
    for _ in range(count):
        template = rng.choice(TEMPLATES)
        pool = centre_places if rng.random() < 0.6 else other_places
        places = {"p": rng.choice(pool), "q": rng.choice(centre_places + other_places)}
        text = template.format(**places)
        for _ in range(rng.choice([0, 0, 1, 2])):
            text += rng.choice(MORE).format(**places)
        out.append(rng.choice(FILLERS) + text)
    return out


def timed(fn: Callable[[str], object], texts: list[str]) -> list[float]:
    for text in texts[:200]:  # warm up
        fn(text)
    costs: list[float] = []
    for text in texts:
        started = time.perf_counter_ns()
        fn(text)
        costs.append((time.perf_counter_ns() - started) / 1000)
    return costs


def report(label: str, costs: list[float]) -> None:
    ordered = sorted(costs)
    p50, p99 = ordered[len(ordered) // 2], ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(f"  {label:<34} mean {statistics.fmean(costs):7.1f} µs   p50 {p50:7.1f} µs   p99 {p99:7.1f} µs")


STARTUP = """
import time
started = time.perf_counter()
from gateway.policy import places
imported = time.perf_counter()
rows = places.read_location_rows(places.jionlp_location_file())
read = time.perf_counter()
index = places.PlaceIndex(rows)
built = time.perf_counter()
print(imported - started, read - imported, built - read, built - started)
"""


def startup(runs: int = 3) -> list[tuple[float, ...]]:
    results = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", STARTUP], cwd=ROOT, check=True, capture_output=True, text=True
        ).stdout
        results.append(tuple(float(x) for x in out.split()))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=12328)
    parser.add_argument("--centre", default="440300", help="the centre's region code (default 深圳市)")
    args = parser.parse_args()
    rng = random.Random(args.seed)

    data_file = jionlp_location_file()
    started = time.perf_counter()
    index = default_places()
    print(f"data: {data_file} ({data_file.stat().st_size / 1e6:.1f} MB zipped)")
    print(f"index: {len(index)} regions, built in-process in {(time.perf_counter() - started) * 1000:.0f} ms")

    rows = read_location_rows(data_file)
    centre_city = args.centre[:4]
    local = [alias for _, name, code, aliases in rows if code.startswith(centre_city) for alias in (name, aliases)]
    other = [alias for _, name, code, aliases in rows if not code.startswith(centre_city) for alias in (name, aliases)]
    texts = messages(args.messages, local, rng.sample(other, 400), rng)
    found = sum(len(index.find(text, prefer=[args.centre])) for text in texts)
    print(
        f"messages: {len(texts)}, {statistics.fmean(len(t) for t in texts):.0f} characters on average, "
        f"{found / len(texts):.2f} places recognised per message"
    )

    print("per message:")
    report("normalize(text) alone", timed(normalize, texts))
    report("PlaceIndex.find(text, prefer=...)", timed(lambda t: index.find(t, prefer=[args.centre]), texts))

    def routing(text: str) -> object:
        return route(text, domain=Domain.URBAN_TRANSIT, category=Category.COMPLAINT, centre_region_code=args.centre)

    report("route(text, ...)", timed(routing, texts))

    print("start-up in a fresh process (s): import / read data / build index / total")
    for imported, read, built, total in startup():
        print(f"  {imported:.3f} / {read:.3f} / {built:.3f} / {total:.3f}")


if __name__ == "__main__":
    main()
