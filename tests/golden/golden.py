"""Golden numbers: every library scenario at a few thousand draws with its own seed.

``python -m tests.golden.golden`` (``make golden``) rewrites ``tests/golden/*.json``;
``tests/test_golden.py`` recomputes them and requires them bit-identical.  Each file
holds, per per-draw result, cash-flow line and summary statistic, a SHA-256 of its
float64 bytes (bit identity) and its mean per option × world (to say how far a number
moved when it does).  Rewrite them only for a deliberate, named change of the model.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
DRAWS = 2048
KEEP = 16
LEGACY = HERE / "legacy"
"""Golden numbers of simcrm before the investment decision was modelled (development,
hazards, escalation, idling, walking away, the investor's choice); the same scenarios
with :data:`LEGACY_INPUTS` and ``decision.investor = "always"`` must reproduce them,
payback aside (it was one year short)."""

LEGACY_INPUTS = {
    "development.cost_share_per_yr": 0.0, "development.capex_escalation": 0.0,
    "development.window_hazard": 0.0, "permitting.refusal_hazard": 0.0,
    "operations.idle_when_unprofitable": False, "finance.walkaway_years": 1000.0,
    "finance.decommissioning_share": 0.0,
}


def scenarios() -> list[Path]:
    """Every full (not partial) scenario of the library."""
    import simcrm

    out = []
    for p in sorted((ROOT / "scenarios").glob("*.toml")):
        sc = simcrm.load_scenario(p, allow_partial=True)
        if not sc.partial:
            out.append(p)
    return out


def _digest(a: np.ndarray) -> str:
    a = np.asarray(a)
    if a.dtype.kind not in "fcbiu":
        a = np.array([v.decode() if isinstance(v, bytes) else str(v) for v in a.ravel()])
        return hashlib.sha256("\x1f".join(a.tolist()).encode()).hexdigest()
    if a.dtype.kind in "fc":
        a = np.where(np.isnan(a), np.nan, a).astype("<f8")
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


def _means(da) -> list:
    if da.dtype.kind not in "fcbiu":  # text (the state-aid verdicts): the values themselves
        return [[v.decode() if isinstance(v, bytes) else str(v) for v in row]
                for row in np.asarray(da.values).reshape(da.shape[0], -1)]
    dims = [d for d in da.dims if d not in ("option", "world")]
    with np.errstate(all="ignore"):
        m = da.astype(float).mean(dim=dims, skipna=True) if dims else da.astype(float)
    return np.round(np.asarray(m.values, dtype=float), 12).tolist()


def compute(path: Path, legacy: bool = False, options: list | None = None) -> dict:
    """Golden record of one scenario (with the legacy settings if ``legacy``; only the
    named ``options`` and the baseline if given)."""
    import simcrm
    from simcrm.analysis.summary import summarise

    sc = simcrm.load_scenario(path)
    if options is not None:
        sc = sc.with_options([o for o in options if o != "baseline"])
    if legacy:
        sc = sc.with_inputs(LEGACY_INPUTS).with_settings(**{"decision.investor": "always"})
    res = simcrm.simulate(sc, draws=DRAWS, keep_cashflows=KEEP)
    out: dict = {"scenario": path.name, "draws": DRAWS, "seed": sc.settings["simulation.seed"],
                 "options": [str(o) for o in res.results["option"].values],
                 "worlds": [str(w) for w in res.results["world"].values],
                 "results": {}, "cashflows": {}, "summary": {}}
    for k, da in res.results.data_vars.items():
        if k.startswith("summary_"):
            continue
        # sampled inputs are recorded under their registry key (`plant.capex_meur`), the
        # name they had before result variables lost their dots (`input_plant_capex_meur`)
        k = da.attrs.get("key", k) if da.attrs.get("role") == "input" else k
        out["results"][k] = {"sha256": _digest(da.values), "mean": _means(da)}
    for k, da in res.cashflows.data_vars.items():
        out["cashflows"][k] = {"sha256": _digest(da.values), "mean": _means(da)}
    summary = summarise(res.results)
    for k, da in summary.data_vars.items():
        out["summary"][k] = {"sha256": _digest(da.values), "mean": _means(da)}
    return out


def golden_path(path: Path) -> Path:
    return HERE / f"{path.stem}.json"


def main(argv: list[str]) -> None:
    for p in scenarios():
        if argv and p.stem not in argv:
            continue
        rec = compute(p)
        golden_path(p).write_text(json.dumps(rec, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {golden_path(p).relative_to(ROOT)}")


if __name__ == "__main__":
    main(sys.argv[1:])
