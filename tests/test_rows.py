"""A draw's results do not depend on the other draws of its chunk.

The engine splits a chunk by the investor's decision (the cash flows of draws it does not
build are never computed) and evaluates each part on its own; the results must be the
bits the whole chunk gives, wherever a draw sits."""

from dataclasses import replace

import numpy as np
import pytest

import simcrm.engine.evaluate as ev
import simcrm.model.business_case as bc
from simcrm import levers
from simcrm.engine.evaluate import evaluate_chunk, investor_fits
from simcrm.spec.library import library_file
from simcrm.spec.scenario import load_scenario
from tests.golden.golden import scenarios


def _scenario(name: str, kernel: str = "fused"):
    sc = load_scenario(library_file(name)).with_settings(kernel=kernel)
    return replace(sc, value_fits=investor_fits(sc, 600))


def _same(a: dict, b: dict) -> list:
    """Names whose arrays differ in any bit (NaNs alike)."""
    return [k for k in a if a[k].tobytes() != b[k].tobytes()]


@pytest.mark.parametrize("kernel", ["numpy", "fused"])
def test_a_draw_gives_the_same_bits_in_any_chunk(kernel):
    sc = _scenario("battery-recycling", kernel)
    with np.errstate(all="ignore"):
        whole = evaluate_chunk(sc, 0, 600, 0)["metrics"]
        parts = [evaluate_chunk(sc, a, b, 0)["metrics"] for a, b in ((0, 137), (137, 600))]
    joined = {k: np.concatenate([p[k] for p in parts], axis=-1) for k in whole}
    built = whole["built"]
    assert 0 < built.mean() < 1  # the split is exercised: some draws built, some not
    assert _same(whole, joined) == []


@pytest.mark.parametrize("name", [p.stem for p in scenarios()])
def test_the_split_gives_the_bits_of_the_whole_chunk(monkeypatch, name):
    """The split by the investor's decision against evaluating every draw and clearing
    the unbuilt ones afterwards (the reference), metrics and kept lines."""
    sc = _scenario(name)
    with np.errstate(all="ignore"):
        split = evaluate_chunk(sc, 0, 600, 50)

        def whole(ctx, option_levers, keep_lines=False, breakeven=True, fit=None,
                  pilot=False, yearly=False):
            return bc._business_case(ctx, levers.active(option_levers), keep_lines, breakeven,
                                     fit, pilot, yearly)
        monkeypatch.setattr(ev, "business_case", whole)
        ref = evaluate_chunk(sc, 0, 600, 50)
    assert 0 < ref["metrics"]["built"].mean() < 1
    assert _same(ref["metrics"], split["metrics"]) == []
    assert sorted(ref["lines"]) == sorted(split["lines"])
    assert _same(ref["lines"], split["lines"]) == []
    assert _same(ref["yearly"], split["yearly"]) == []
