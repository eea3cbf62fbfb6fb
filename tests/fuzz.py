"""A seeded fuzzer: hostile mutations of every library scenario, run through the CLI.

Each mutant is a copy of a library scenario (and of the partial files it extends) with
one to three mutations of its TOML tree: deleted keys, swapped types, NaN/inf, huge,
tiny and negative numbers, empty tables, wrong distribution fields, list-valued lever
settings holding non-numbers, unicode and long names, ``extends`` pointing anywhere,
relative world changes with non-finite numbers, deep nesting ...  It is run in-process
through click's ``CliRunner``: ``simcrm validate``, then (if valid) a tiny
``simcrm run --draws 64 --no-charts``, and for a few ``simcrm report``.

Every mutant must end in one of

* ``ok``      exit 0 and finite results, or non-finite results that the run counted
              and explained (``ok-nonfinite``);
* ``refused`` exit 2 with a one-line-per-problem message naming the user's file;

and never in exit 1 (an internal error), a traceback, a raw warning, a hang or an
unexplained non-finite number.  ``python -m tests.fuzz --n 10000`` prints a table.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import math
import random
import shutil
import signal
import tempfile
import time
import tomllib
import traceback
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "scenarios"
BAD_OUTCOMES = ("internal-error", "traceback", "warning", "hang", "silent-nonfinite",
                "unclear-refusal", "other-exit")

# --------------------------------------------------------------------------------------
# TOML writing (the standard library only reads TOML)
# --------------------------------------------------------------------------------------


def _key(k: str) -> str:
    return k if k and all(c.isalnum() and c.isascii() or c in "-_" for c in k) else _str(k)


def _str(s: str) -> str:
    out = ['"']
    for c in s:
        if c in '"\\':
            out.append("\\" + c)
        elif ord(c) < 0x20 or ord(c) == 0x7F:
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


class Deep:
    """A ``depth``-level nested array ``[[[...1.0...]]]``, written without recursion."""

    def __init__(self, depth: int):
        self.depth = depth


def _value(v) -> str:
    if isinstance(v, Deep):
        return "[" * v.depth + "1.0" + "]" * v.depth
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return _str(v)
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(type(v))


def dumps(tree: dict) -> str:
    """TOML text of ``tree``: scalars first, then one ``[table]`` per top-level table."""
    lines = [f"{_key(k)} = {_value(v)}" for k, v in tree.items() if not isinstance(v, dict)]
    for k, v in tree.items():
        if isinstance(v, dict):
            lines.append(f"[{_key(k)}]")
            lines += [f"{_key(kk)} = {_value(vv)}" for kk, vv in v.items()]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------
# Mutations
# --------------------------------------------------------------------------------------

NUMBERS = [math.nan, math.inf, -math.inf, 1e308, -1e308, 5e-324, -5e-324, 0, 0.0, -1, -1e9,
           1e9, 1e18, 2**63 - 1, -(2**63), 1e-9, 0.5, 2, 3]
STRINGS = ["", "a", "ü∂ñïçødé 🚀", "x" * 3000, "../../etc/passwd", "nan", "1e5", "\u202e",
           "options", "base"]
OTHERS = [True, False, [], {}, [1, 2], ["a"], [[0.1]], [math.nan, math.nan], {"dist": "pert"},
          [{"dist": "uniform", "low": 0, "high": 1}], {"plus": math.inf}, {"times": -1},
          {"times": math.nan}]
DISTS = [
    {"dist": []}, {"dist": "pert", "low": 1, "mode": 2, "high": 3, "lambda": math.inf},
    {"dist": "pert", "low": 1, "mode": 2, "high": 3, "lambda": 0},
    {"dist": "pert", "low": 1, "mode": 2, "high": 3, "sd": 1},
    {"dist": "lognormal", "median": 1, "p90": math.inf},
    {"dist": "lognormal", "median": 1, "sd": 1},
    {"dist": "lognormal", "median": 1e-300, "p90": 1e300},
    {"dist": "uniform", "low": 0, "high": math.inf},
    {"dist": "uniform", "low": math.nan, "high": 1},
    {"dist": "normal", "mean": 0, "sd": 1e308},
    {"dist": "discrete", "values": [1, 2], "probs": [math.nan, math.nan]},
    {"dist": "discrete", "values": [1, 2], "probs": [math.nan, 1.0]},
    {"dist": "discrete", "values": [math.inf, 2], "probs": [0.5, 0.5]},
    {"dist": "discrete", "values": [], "probs": []},
    {"dist": "discrete", "values": ["a"], "probs": [1]},
    {"dist": "bernoulli", "p": math.nan}, {"dist": "triangular", "low": 1, "mode": 1, "high": 1},
    {"dist": "triangular", "low": -math.inf, "mode": 0, "high": 1}, {"dist": 3},
    {"dist": "triangular", "low": 1, "mode": 2, "high": 3, "extra": {"x": 1}},
    {"times": math.inf}, {"plus": math.inf}, {"plus": -1e308}, {"times": 1e308},
    {"times": 1.5, "plus": "x"}, {"times": 2, "minus": 1},
]
EXTENDS = ["/etc/hostname", "/etc/passwd", "/", "../", "missing.toml", "worlds.toml",
           ["worlds.toml", "worlds.toml"], "scenario.toml", "x.txt", "", "/dev/null",
           "/dev/zero.toml", 3, [1], ["worlds.toml", 2], "simcrm:worlds", "nested/../worlds.toml",
           "../" * 30 + "etc/hostname"]


def _paths(tree, prefix=()):
    """Every (path, value) of a nested tree (dict keys and list indices)."""
    yield prefix, tree
    if isinstance(tree, dict):
        for k, v in tree.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(tree, list):
        for i, v in enumerate(tree):
            yield from _paths(v, prefix + (i,))


def _set(tree, path, value):
    node = tree
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = value


def _delete(tree, path):
    node = tree
    for p in path[:-1]:
        node = node[p]
    del node[path[-1]]


def _any_value(rng: random.Random):
    r = rng.random()
    if r < 0.35:
        return rng.choice(NUMBERS)
    if r < 0.5:
        return rng.choice(STRINGS)
    if r < 0.75:
        return _copy(rng.choice(DISTS))
    return _copy(rng.choice(OTHERS))


def _copy(v):
    return copy.deepcopy(v)



def mutate(tree: dict, rng: random.Random) -> str:
    """Apply one random mutation to ``tree`` in place; return its name."""
    paths = [p for p, _ in _paths(tree) if p]
    kind = rng.choice(["delete", "value", "value", "number", "dist", "empty-table",
                       "lever-list", "name", "extends", "world-change", "scale", "new-key",
                       "world-meta", "option-in-world", "worlds-base", "deep"])
    if kind == "delete" and paths:
        _delete(tree, rng.choice(paths))
    elif kind == "value" and paths:
        _set(tree, rng.choice(paths), _any_value(rng))
    elif kind == "number":
        nums = [p for p, v in _paths(tree) if p and isinstance(v, (int, float))
                and not isinstance(v, bool)]
        if nums:
            _set(tree, rng.choice(nums), rng.choice(NUMBERS))
    elif kind == "scale":
        nums = [(p, v) for p, v in _paths(tree) if p and isinstance(v, (int, float))
                and not isinstance(v, bool)]
        if nums:
            p, v = rng.choice(nums)
            _set(tree, p, v * rng.choice([1e6, 1e-6, -1, 1e300, 0]))
    elif kind == "dist":
        nums = [p for p, v in _paths(tree) if p and isinstance(v, (int, float, dict))]
        if nums:
            _set(tree, rng.choice(nums), _copy(rng.choice(DISTS)))
    elif kind == "empty-table":
        tables = [p for p, v in _paths(tree) if p and isinstance(v, dict)]
        if tables:
            _set(tree, rng.choice(tables), {})
    elif kind == "lever-list":
        levers = [p for p, v in _paths(tree) if len(p) == 3 and p[0] == "options"
                  and isinstance(v, dict)]
        if levers:
            p = rng.choice(levers)
            node = tree
            for k in p:
                node = node[k]
            key = rng.choice(list(node) or ["share"])
            node[key] = rng.choice([["a"], [[0.1]], [{"dist": "uniform", "low": 0, "high": 1}],
                                    [math.nan], [math.inf, 0.1], [], [0.1, 0.1], [True],
                                    [1e308], [0.1, "x", None and 1 or 0.2], list(range(40))])
    elif kind == "name":
        section = rng.choice(["worlds", "options"])
        table = tree.setdefault(section, {})
        if isinstance(table, dict):
            table[rng.choice(STRINGS[:4] + ["a" * 500, "wörld", "a.b", "x y"])] = (
                {"description": "x"} if section == "worlds" else {})
    elif kind == "extends":
        tree["extends"] = rng.choice(EXTENDS)
    elif kind == "world-change":
        worlds = tree.get("worlds")
        if isinstance(worlds, dict) and worlds:
            w = rng.choice(list(worlds))
            if isinstance(worlds[w], dict):
                worlds[w].setdefault("plant", {})
                if isinstance(worlds[w]["plant"], dict):
                    worlds[w]["plant"][rng.choice(["capex_meur", "capacity_tpa",
                                                   "life_years"])] = _copy(rng.choice(DISTS[-6:]))
    elif kind == "new-key":
        tables = [p for p, v in _paths(tree) if isinstance(v, dict)]
        p = rng.choice(tables)
        node = tree
        for k in p:
            node = node[k]
        node[rng.choice(STRINGS[1:4] + ["capex", "dist", "times", "label_en"])] = _any_value(rng)
    elif kind == "world-meta":
        worlds = tree.setdefault("worlds", {})
        if isinstance(worlds, dict):
            w = worlds.setdefault(rng.choice(["base", "w1", *list(worlds)[:2]]), {})
            if isinstance(w, dict):
                w[rng.choice(["label_en", "label_nl", "description"])] = rng.choice(
                    ["text", 3, ["x"]])
    elif kind == "option-in-world":
        worlds = tree.setdefault("worlds", {})
        if isinstance(worlds, dict):
            worlds["w1"] = {"capex_grant": {"share": 0.2}}
    elif kind == "worlds-base":
        tree.setdefault("worlds", {})
        if isinstance(tree["worlds"], dict):
            tree["worlds"]["base"] = {"plant": {"capex_overrun": rng.choice([1.2, math.nan,
                                                                             {"times": 2}])}}
    elif kind == "deep":
        tree.setdefault("plant", {})
        if isinstance(tree["plant"], dict):
            tree["plant"]["capex_meur"] = Deep(rng.choice([3, 100, 20_000]))
    return kind


# --------------------------------------------------------------------------------------
# Running a mutant
# --------------------------------------------------------------------------------------


class _Timeout(BaseException):
    pass


@contextlib.contextmanager
def _deadline(seconds: float):
    def fire(signum, frame):
        raise _Timeout

    old = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@dataclass
class Outcome:
    kind: str
    detail: str = ""


def _invoke(args: list[str], timeout: float):
    from simcrm.cli import main

    runner = CliRunner()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        try:
            with _deadline(timeout):
                # SIMCRM_DEBUG lets an internal error through, so the table can say where
                r = runner.invoke(main, args, catch_exceptions=True,
                                  env={"SIMCRM_DEBUG": "1"})
        except _Timeout:
            return None, [], "hang"
    return r, [w for w in caught if not issubclass(w.category, DeprecationWarning)], ""


def _classify(r, caught, file_shown: str) -> Outcome | None:
    """A bad outcome of one command, or None if it ended as it should."""
    out = (r.stdout or "") + (r.stderr or "")
    if caught:
        w = caught[0]
        return Outcome("warning", f"{w.category.__name__}: {w.message}")
    if "Traceback" in out:
        return Outcome("traceback", out[-300:])
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        tb = traceback.extract_tb(r.exc_info[2])
        own = [f for f in tb if "simcrm" in f.filename] or tb
        where = f"{Path(own[-1].filename).name}:{own[-1].lineno}" if own else "?"
        return Outcome("internal-error", f"{r.exception.__class__.__name__} at {where}: "
                       f"{str(r.exception)[:150]}")
    if r.exit_code == 1:
        return Outcome("internal-error", (out.strip().splitlines() or ["exit 1"])[-1])
    if r.exit_code == 2:
        err = r.stderr.strip()
        if not err.startswith("error: ") or file_shown not in err.splitlines()[0]:
            return Outcome("unclear-refusal", err[:300])
        return None
    if r.exit_code != 0:
        return Outcome("other-exit", f"exit {r.exit_code}: {out[-200:]}")
    return None


def _nonfinite(folder: Path) -> int:
    import xarray as xr

    with xr.open_dataset(folder / "results.nc") as ds:
        n = 0
        built = ds["built"].values > 0 if "built" in ds else True
        for k, v in ds.data_vars.items():
            if k.startswith("summary_") or "draw" not in v.dims or v.dtype.kind != "f":
                continue
            # a NaN IRR (no IRR) or payback (not paid back) has a meaning, and so has a
            # NaN levelised cost, first production or break-even of a plant not built
            bad = (np.isinf(v.values) if k in ("irr", "project_irr", "payback")
                   else ~np.isfinite(v.values))
            if k in ("lcop", "first_production", "breakeven_price", "production_end"):
                bad = np.isinf(v.values) | (np.isnan(v.values) & built)
            n += int(bad.sum())
    return n


def run_mutant(base: Path, seed: int, workdir: Path, timeout: float = 60.0,
               report: bool = False) -> tuple[Outcome, str]:
    """Make mutant ``seed`` of library scenario ``base`` in ``workdir`` and run it."""
    rng = random.Random(seed)
    for p in LIBRARY.glob("*.toml"):
        shutil.copy(p, workdir / p.name)
    tree = tomllib.loads(base.read_text(encoding="utf-8"))
    target = rng.random()
    if target < 0.15 and "extends" in tree:  # mutate a partial file it extends instead
        name = rng.choice(["worlds.toml", "tno-levers.toml"])
        mtree = tomllib.loads((workdir / name).read_text(encoding="utf-8"))
        kinds = [mutate(mtree, rng) for _ in range(rng.randint(1, 2))]
        (workdir / name).write_text(dumps(mtree), encoding="utf-8")
        kinds = [f"{name}:{k}" for k in kinds]
    else:
        kinds = [mutate(tree, rng) for _ in range(rng.randint(1, 3))]
    name = rng.choice(["scenario.toml", "ünïcode scenario.toml", "a" * 120 + ".toml"])
    path = workdir / name
    path.write_text(dumps(tree), encoding="utf-8")
    what = "+".join(kinds)

    r, caught, hang = _invoke(["validate", str(path)], timeout)
    if hang:
        return Outcome("hang", "validate"), what
    bad = _classify(r, caught, str(path))
    if bad:
        return bad, what
    if r.exit_code == 2:
        return Outcome("refused"), what
    if "partial file" in r.stdout:
        return Outcome("ok-partial"), what
    out = workdir / "out"
    r, caught, hang = _invoke(["run", str(path), "--draws", "64", "--no-charts", "-q",
                               "--out", str(out), "--force"], timeout)
    if hang:
        return Outcome("hang", "run"), what
    bad = _classify(r, caught, str(path))
    if bad:
        return bad, what
    if r.exit_code == 2:
        return Outcome("refused-at-run"), what
    n_bad = _nonfinite(out)
    result = Outcome("ok")
    if n_bad:
        r2, _, _ = _invoke(["run", str(path), "--draws", "64", "--no-charts",
                            "--out", str(out), "--force"], timeout)
        if "not finite" not in r2.stdout + r2.stderr:
            return Outcome("silent-nonfinite", f"{n_bad} values"), what
        result = Outcome("ok-nonfinite", f"{n_bad} values")
    if report:
        # charts of many options take a while on a busy machine
        r, caught, hang = _invoke(["report", str(out)], 3 * timeout)
        if hang:
            return Outcome("hang", "report"), what
        bad = _classify(r, caught, str(out))
        if bad:
            return Outcome(bad.kind, "report: " + bad.detail), what
    return result, what


def library() -> list[Path]:
    """The runnable library scenarios (partial files are mutated through these)."""
    return sorted(p for p in LIBRARY.glob("*.toml")
                  if not tomllib.loads(p.read_text(encoding="utf-8")).get("partial"))


def fuzz(n: int, seed: int = 0, timeout: float = 60.0, report_every: int = 50,
         progress: bool = False) -> tuple[Counter, dict[str, list[str]]]:
    """Run ``n`` mutants; return the outcome counts and examples of each bad outcome."""
    bases = library()
    counts: Counter = Counter()
    examples: dict[str, list[str]] = {}
    t0 = time.perf_counter()
    for i in range(n):
        base = bases[i % len(bases)]
        with tempfile.TemporaryDirectory(prefix="simcrm-fuzz-") as tmp:
            outcome, what = run_mutant(base, seed * 1_000_003 + i, Path(tmp), timeout,
                                       report=report_every and i % report_every == 0)
        counts[outcome.kind] += 1
        if outcome.kind in BAD_OUTCOMES:
            examples.setdefault(outcome.kind, []).append(
                f"#{i} {base.name} [{what}]: {outcome.detail}"[:400])
            if progress:
                print(f"  {outcome.kind}: {examples[outcome.kind][-1]}", flush=True)
        if progress and (i + 1) % 100 == 0:
            print(f"{i + 1} mutants, {time.perf_counter() - t0:.0f} s: {dict(counts)}",
                  flush=True)
    return counts, examples


def table(counts: Counter, seconds: float) -> str:
    """The outcome table printed by ``make fuzz``."""
    total = sum(counts.values())
    lines = [f"{'outcome':<18}{'mutants':>9}{'share':>9}", "-" * 36]
    for k, v in counts.most_common():
        lines.append(f"{k:<18}{v:>9,}{v / total:>9.1%}")
    lines += ["-" * 36, f"{'total':<18}{total:>9,}   ({seconds:.0f} s)"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=60.0)
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    counts, examples = fuzz(a.n, a.seed, a.timeout, progress=True)
    print(table(counts, time.perf_counter() - t0))
    for kind, ex in examples.items():
        print(f"\n{kind}: {len(ex)}")
        for e in ex[:10]:
            print("  " + e)
    return 1 if examples else 0


if __name__ == "__main__":
    raise SystemExit(main())
