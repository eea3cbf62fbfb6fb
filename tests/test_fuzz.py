"""The fuzzer's short budget: hostile mutants of every library scenario end in a clean
run or a clean refusal (``python -m tests.fuzz --n 10000`` or ``make fuzz`` for the long one)."""

from __future__ import annotations

import pytest

from tests import fuzz

N = 160
"""Mutants in ``make test`` (about 30 s on a 2-core machine)."""


@pytest.mark.filterwarnings("default")  # the fuzzer records warnings itself, as findings
def test_fuzzed_scenarios_run_or_are_refused_cleanly():
    counts, examples = fuzz.fuzz(N, seed=20241205, timeout=60, report_every=40)
    assert sum(counts.values()) == N
    assert not examples, "\n" + fuzz.table(counts, 0) + "\n" + "\n".join(
        f"{k}: {e}" for k, ex in examples.items() for e in ex[:5])
    assert counts["refused"] > N / 4 and counts["ok"] + counts["ok-nonfinite"] > 0


def test_toml_writer_round_trips_hostile_values():
    import math
    import tomllib

    tree = {"a": math.nan, "b": [math.inf, -math.inf], "ü k": {"x": "q\"\\\n", "y": [[1]]},
            "t": {"d": {"dist": "pert", "low": 1}}}
    back = tomllib.loads(fuzz.dumps(tree))
    assert math.isnan(back["a"]) and back["b"] == [math.inf, -math.inf]
    assert back["ü k"] == tree["ü k"] and back["t"] == tree["t"]
    deep = tomllib.loads("v = " + fuzz._value(fuzz.Deep(20)))["v"]
    for _ in range(20):
        deep = deep[0]
    assert deep == 1.0
