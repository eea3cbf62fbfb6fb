"""Golden numbers: every library scenario gives bit-identical results to the stored ones.

A deliberate change of the model rewrites them with ``make golden`` and names every
number that moved, with its effect, in the commit and the closing note.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.golden.golden import compute, golden_path, scenarios


@pytest.mark.parametrize("path", scenarios(), ids=lambda p: p.stem)
def test_library_scenario_matches_its_golden_numbers(path):
    want = json.loads(golden_path(path).read_text(encoding="utf-8"))
    got = compute(path)
    assert got["options"] == want["options"] and got["worlds"] == want["worlds"]
    moved = []
    for part in ("results", "cashflows", "summary"):
        assert set(got[part]) == set(want[part]), f"{part}: variables added or removed"
        for k, w in want[part].items():
            g = got[part][k]
            if g["sha256"] != w["sha256"]:
                a, b = np.array(g["mean"], float), np.array(w["mean"], float)
                with np.errstate(all="ignore"):
                    d = np.nanmax(np.abs(a - b)) if a.shape == b.shape else np.inf
                moved.append(f"{part}.{k} (largest change of a mean: {d:.3g})")
    assert not moved, f"{path.name}: numbers moved: " + "; ".join(moved)
