"""The shipped policy model is what its source data builds, and it runs without scikit-learn."""

from __future__ import annotations

import hashlib
from collections import Counter

import numpy as np

from gateway.policy.model import HEADS, LinearModel, load_shipped
from gateway.policy.train import DEFAULT_DATA, build, same, texts_of


def test_the_shipped_artifact_matches_its_source_data() -> None:
    shipped = load_shipped()
    data = DEFAULT_DATA.read_bytes()
    assert shipped.source_sha256 == hashlib.sha256(data).hexdigest(), (
        "tests/data/classify/train.jsonl changed: rebuild with python -m gateway.policy.train"
    )
    rebuilt = build(data)
    assert same(rebuilt, shipped, texts_of(data)), "the shipped model is not what the data builds: rebuild it"


def test_the_artifact_round_trips_and_holds_no_pickle() -> None:
    shipped = load_shipped()
    again = LinearModel.from_bytes(shipped.to_bytes())
    assert same(shipped, again, texts_of(DEFAULT_DATA.read_bytes())[:200])
    for name in HEADS:
        assert np.array_equal(shipped.heads[name].coef, again.heads[name].coef)
    with np.load(__import__("io").BytesIO(shipped.to_bytes()), allow_pickle=False) as stored:
        assert all(stored[name].dtype != object for name in stored.files)


def test_every_head_gives_a_probability_per_class() -> None:
    model = load_shipped()
    predicted = model.predict(Counter({"公交": 1, "§question": 1}))
    assert set(predicted) == set(HEADS)
    for name, probabilities in predicted.items():
        assert set(probabilities) == set(model.heads[name].classes)
        assert abs(sum(probabilities.values()) - 1.0) < 1e-5
    # Nothing the model knows: the intercepts alone, still a distribution.
    empty = model.predict(Counter({"§never-seen": 1}))
    assert all(abs(sum(p.values()) - 1.0) < 1e-5 for p in empty.values())


def test_a_message_weighs_the_same_whatever_the_hash_seed() -> None:
    # The features' order is the order of the norm's float sum: a set iterated in hash order made
    # the rebuilt model differ from the shipped one under some seeds.
    import os
    import subprocess
    import sys

    script = (
        "from gateway.kb.text import simplify\n"
        "from gateway.policy.model import features, read\n"
        "text = simplify('昨晚11点在人民路站坐15路，司机一边开车一边打电话，还超载，我要投诉')\n"
        "print(list(features(text, True, read(text)).items()))\n"
    )
    seen = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(seen) == 1


def test_a_model_that_says_otherwise_is_not_the_same() -> None:
    shipped = load_shipped()
    texts = texts_of(DEFAULT_DATA.read_bytes())[:200]
    heads = dict(shipped.heads)
    category = heads["category"]
    skewed = category.coef.copy()
    skewed[:, 0] += 0.5  # every feature leans a little more to the first category
    heads["category"] = type(category)(category.classes, skewed, category.intercept)
    other = LinearModel(shipped.vocabulary, shipped.idf, heads, shipped.source_sha256)
    assert not same(other, shipped, texts)
