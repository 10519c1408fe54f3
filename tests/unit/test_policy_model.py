"""The shipped policy model is what its source data builds, and it runs without scikit-learn."""

from __future__ import annotations

import hashlib
from collections import Counter

import numpy as np

from gateway.policy.model import HEADS, LinearModel, load_shipped
from gateway.policy.train import DEFAULT_DATA, build, same


def test_the_shipped_artifact_matches_its_source_data() -> None:
    shipped = load_shipped()
    data = DEFAULT_DATA.read_bytes()
    assert shipped.source_sha256 == hashlib.sha256(data).hexdigest(), (
        "tests/data/classify/train.jsonl changed: rebuild with python -m gateway.policy.train"
    )
    assert same(build(data), shipped), "the shipped model is not what the data builds: python -m gateway.policy.train"


def test_the_artifact_round_trips_and_holds_no_pickle() -> None:
    shipped = load_shipped()
    again = LinearModel.from_bytes(shipped.to_bytes())
    assert same(shipped, again)
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
