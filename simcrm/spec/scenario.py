"""Read, merge and validate scenario files.

A scenario is one TOML file (optionally building on others through
``extends``).  :func:`load_scenario` returns a validated, immutable
:class:`Scenario` or raises :class:`ScenarioError` carrying *every* problem
found, each naming the file and the dotted key, so that ``simcrm validate``
can list them all at once and ``simcrm run`` can refuse to start.
"""

from __future__ import annotations

import difflib
import functools
import itertools
import math
import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from simcrm.levers import LEVERS
from simcrm.spec import library
from simcrm.spec.distributions import Dist, DistError, _show
from simcrm.spec.registry import (
    ALL_PARAMS,
    INPUTS,
    MARKETS,
    REQUIRED,
    SETTING_PARAMS,
    TOP_LEVEL_KEYS,
    Param,
)

META_KEYS = ("description", "label_en", "label_nl")
_INPUT_SECTIONS = tuple(dict.fromkeys(k.split(".")[0] for k in INPUTS))
"""The top-level tables that hold inputs (plant, operations, markets, ...)."""
"""Keys a world or option table may hold besides its inputs or levers."""

MAX_NAME = 80
"""Longest world or option name [characters] (names become folder and file names)."""

MAX_MAGNITUDE = 1e12
"""Largest size of any number in a scenario, whatever its key's range: no amount of EUR,
tonnes, MWh or months needs more, and larger numbers overflow the arithmetic (a price
floor of 1e308 EUR/t made every NPV NaN).  Keys with tighter ranges say so in the
registry."""

MIN_MAGNITUDE = 1e-6
"""Smallest size of a number other than 0: tinier ones (5e-324) underflow the arithmetic
(a carbon price of 4e-322 EUR/t made every NPV NaN)."""

MAX_OPTIONS = 2000
"""Most options a scenario may define after lists of intensities are expanded."""


# --------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario: where it is and what is allowed."""

    file: str
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}" + (f": {self.key}" if self.key else "")
        return f"{where}: {self.message}"


class ScenarioError(Exception):
    """A scenario that cannot be used; holds all :class:`Problem` s found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


# --------------------------------------------------------------------------------------
# The validated scenario
# --------------------------------------------------------------------------------------

Value = Any  # float | int | str | bool | Dist | list


@dataclass(frozen=True)
class Option:
    """A policy option: a set of levers with their settings."""

    name: str
    levers: dict[str, dict[str, Any]]
    label_en: str = ""
    label_nl: str = ""
    description: str = ""


@dataclass(frozen=True)
class World:
    """A named external context: the full set of inputs (base plus overrides)."""

    name: str
    inputs: dict[str, Value]
    overrides: tuple[str, ...] = ()
    label_en: str = ""
    label_nl: str = ""
    description: str = ""


@dataclass(frozen=True)
class Scenario:
    """A validated scenario.

    Attributes
    ----------
    path : Path or None
        The file it was read from.
    settings : dict
        Run settings by dotted key (``simulation.seed`` ...), defaults filled in.
    worlds : dict of World
        ``base`` first, then the others in file order.
    options : dict of Option
        ``baseline`` first, then the others in file order (lists expanded).
    sources : dict
        Text of every file read, by path, the main file first.
    """

    path: Path | None
    settings: dict[str, Any]
    worlds: dict[str, World]
    options: dict[str, Option]
    sources: dict[str, str] = field(default_factory=dict)
    partial: bool = False
    value_fits: dict = field(default_factory=dict, compare=False, repr=False)
    """The investor's fitted value of building, ``(option, world) -> ValueFit``, set by
    :func:`simcrm.engine.run.simulate` before the chunks run (empty otherwise)."""
    """A file for ``extends`` (``partial = true``): checked, but not to be run."""

    def __repr__(self) -> str:  # short: the full text is in .sources, every value in .worlds
        n = self.settings.get("simulation.draws")
        return (f"<Scenario {self.name!r}: {len(self.worlds)} worlds, {len(self.options)} "
                f"options, {len(self.uncertain_keys)} uncertain inputs, {n:,} draws"
                f"{', partial' if self.partial else ''}>" if isinstance(n, int) else
                f"<Scenario {self.name!r}: {len(self.worlds)} worlds, "
                f"{len(self.options)} options>")

    @property
    def name(self) -> str:
        return self.settings["scenario.name"]

    def setting(self, key: str) -> Any:
        return self.settings[key]

    @functools.cached_property
    def uncertain_keys(self) -> list[str]:
        """Input keys that are a distribution in at least one world, in registry order
        (worked out once: every chunk asks)."""
        keys = {k for w in self.worlds.values() for k, v in w.inputs.items() if isinstance(v, Dist)}
        return [k for k in INPUTS if k in keys]

    @property
    def text(self) -> str:
        """All files read, concatenated with a header line per file."""
        return "\n".join(f"# ===== {p} =====\n{t}" for p, t in self.sources.items())

    def with_settings(self, **overrides: Any) -> Scenario:
        """A copy with run settings changed, e.g. ``with_settings(draws=1000, seed=1)``.

        Keys are the names in ``[simulation]`` (``draws``, ``seed``, ``sampler``) or
        full dotted keys.
        """
        new = dict(self.settings)
        problems = []
        for k, v in overrides.items():
            key = k if "." in k else f"simulation.{k}"
            if key not in new:
                raise KeyError(f"unknown setting {k!r}")
            problems += _check_value(ALL_PARAMS[key], v, "command line", key)
            new[key] = v
        if problems:
            raise ScenarioError(problems)
        return replace(self, settings=new)

    def with_inputs(self, values: dict[str, Any], world: str | None = None) -> Scenario:
        """A copy with inputs changed, e.g. ``with_inputs({"finance.debt_rate": 0.06})``.

        Parameters
        ----------
        values : dict
            Dotted input key -> a number, a distribution table (``{"dist": ...}``) or a
            :class:`~simcrm.spec.distributions.Dist`, in the key's registry unit.
        world : str, optional
            The world to change.  None changes every world (the key is then no longer
            an override of any world); ``"base"`` changes the base and every world
            that does not override the key, as a change in the file would; another
            name changes only that world.

        Returns
        -------
        Scenario
            A new scenario; this one is left as it is.  Values filled in from others
            at load (a market's ``long_run`` from its ``start``) are not recomputed.

        Raises
        ------
        KeyError
            For an unknown input key or world.
        ScenarioError
            For values outside a key's allowed range.
        """
        if world is not None and world not in self.worlds:
            raise KeyError(f"unknown world {world!r}" + _suggest(world, list(self.worlds)))
        new = _checked_inputs(values)
        worlds = {}
        for name, w in self.worlds.items():
            if world is None:
                keys, overrides = list(new), tuple(k for k in w.overrides if k not in new)
            elif name == world:
                keys = list(new)
                overrides = w.overrides if name == "base" else tuple(
                    dict.fromkeys([*w.overrides, *new]))
            elif world == "base":
                keys, overrides = [k for k in new if k not in w.overrides], w.overrides
            else:
                keys, overrides = [], w.overrides
            inputs = {**w.inputs, **{k: new[k] for k in keys}}
            worlds[name] = replace(w, inputs=inputs, overrides=overrides)
        return Scenario(self.path, self.settings, worlds, self.options, self.sources,
                        self.partial)

    def with_options(self, names: list[str]) -> Scenario:
        """A copy that keeps only the named options (``baseline`` is always kept)."""
        keep = {"baseline", *names}
        opts = {k: v for k, v in self.options.items() if k in keep}
        return Scenario(self.path, self.settings, self.worlds, opts, self.sources)


def _checked_inputs(values: dict[str, Any]) -> dict[str, Any]:
    """Input values for :meth:`Scenario.with_inputs`, checked against the registry,
    distribution tables turned into :class:`Dist`."""
    problems: list[Problem] = []
    out: dict[str, Any] = {}
    for key, v in values.items():
        if key not in INPUTS:
            raise KeyError(f"unknown input {key!r}" + _suggest(key, list(INPUTS)))
        p = INPUTS[key]
        if isinstance(v, Dist):
            if not p.uncertain:
                problems.append(Problem("with_inputs", key, "must be a fixed value, not a "
                                        "distribution"))
            elif msg := _support_problem(p, v):
                problems.append(Problem("with_inputs", key, msg))
        else:
            found = _check_value(p, v, "with_inputs", key)
            problems += found
            if isinstance(v, dict) and not found:
                v = Dist.from_table(v)
        out[key] = v
    if problems:
        raise ScenarioError(problems)
    return out


# --------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------


def load_scenario(path: str | Path, allow_partial: bool = False) -> Scenario:
    """Read and validate a scenario file.

    Parameters
    ----------
    path : str or Path
        The TOML file.
    allow_partial : bool
        Accept a file marked ``partial = true`` (shared worlds or options meant for
        ``extends``), checking only what it holds; otherwise such a file is refused.

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        With every problem found (file, dotted key, what is allowed).
    """
    path = Path(path)
    problems: list[Problem] = []
    sources: dict[str, str] = {}
    origin: dict[str, str] = {}
    data = _read_with_extends(path, problems, sources, origin)
    if data is None or problems:
        # a file that cannot be read, parsed or found stops here: what follows would
        # only be consequences of it
        raise ScenarioError(problems)
    partial = data.pop("partial", False)
    if not isinstance(partial, bool):
        raise ScenarioError([Problem(str(path), "partial", "must be true or false")])
    if partial and not allow_partial:
        raise ScenarioError([Problem(str(path), "partial", "this is a partial file, meant to be "
                                     "used through `extends` by a scenario; run that scenario "
                                     "instead")])
    scenario = _build(path, data, origin, problems, sources, partial)
    if problems:
        raise ScenarioError(problems)
    return scenario


MAX_DEPTH = 32
"""Deepest nesting of tables and lists a scenario file may have (the library uses 4)."""


def resolve_extends(name: str, including: Path) -> Path:
    """The file an ``extends`` entry names.

    The one place that maps an ``extends`` string to a path (a later ``"simcrm:..."``
    form for files shipped in the package goes here).  A relative path is taken
    relative to the folder of the file that names it, not the working folder; an
    absolute path is taken as it is.  Paths outside the scenario's folder tree are
    allowed (a team may keep shared worlds in a folder of its own), but only files
    ending in ``.toml``, so that ``extends`` cannot read an arbitrary system file.

    Raises
    ------
    ValueError
        If ``name`` cannot name a scenario file; the message says what is allowed.
    """
    if not name.strip():
        raise ValueError("is empty; give a file name such as \"worlds.toml\"")
    if name.startswith(library.PREFIX):  # a file of the library shipped with simcrm
        return library.resolve_extends(name, including.parent)
    if not name.endswith(".toml"):
        raise ValueError(f"{name!r} is not a scenario file: `extends` names .toml files "
                         "only, e.g. \"worlds.toml\" or \"../common/worlds.toml\"")
    return including.parent / name


def _too_deep(data: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether tables and lists nest deeper than ``limit`` (checked without recursion)."""
    todo = [(data, 0)]
    while todo:
        node, depth = todo.pop()
        if depth > limit:
            return True
        if isinstance(node, dict):
            todo.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            todo.extend((v, depth + 1) for v in node)
    return False


def _parse_file(path: Path, shown: str, problems: list[Problem]) -> tuple[dict, str] | None:
    """The TOML tree and text of one file, or None with a problem added."""
    if not path.is_file():
        what = "file not found" if not path.exists() else "not a file"
        problems.append(Problem(shown, "", what))
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        problems.append(Problem(shown, "", f"cannot be read ({e.__class__.__name__}: {e})"))
        return None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        problems.append(Problem(shown, "", f"TOML syntax error: {e}"))
        return None
    except RecursionError:
        data = None
    if data is None or _too_deep(data):
        problems.append(Problem(shown, "", f"tables or lists nested more than {MAX_DEPTH} "
                                "levels deep; a scenario needs at most 4"))
        return None
    return data, text


def _read_with_extends(path: Path, problems: list[Problem], sources: dict[str, str],
                       origin: dict[str, str]) -> dict | None:
    """The main file merged over the files it extends (and those they extend).

    Every file is read and merged once, however often it is named (a diamond of
    ``extends`` costs one read per file), and without recursion (a chain of thousands
    of files is fine).  Problems in an extended file are shown with the chain that
    reached it: ``scenario.toml → extends ../x.toml: key: ...``.
    """
    def key_of(p: Path) -> Path:
        try:
            return p.resolve()
        except (OSError, RuntimeError):
            return Path(os.path.abspath(p))

    main = key_of(path)
    shown = {main: str(path)}  # file -> how messages name it (the chain that reached it)
    files = {main: path}  # file -> the path as named
    parents: dict[Path, list[Path]] = {}
    texts: dict[Path, str] = {}
    own: dict[Path, dict] = {}
    todo = [main]
    while todo:  # read every file once
        f = todo.pop()
        got = _parse_file(files[f], shown[f], problems)
        if got is None:
            return None
        data, texts[f] = got
        names = data.pop("extends", [])
        if isinstance(names, str):
            names = [names]
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            problems.append(Problem(shown[f], "extends",
                                    "must be a file name in quotes or a list of them, e.g. "
                                    '["worlds.toml", "tno-levers.toml"]'))
            return None
        own[f], parents[f] = data, []
        for name in names:
            try:
                target = resolve_extends(name, files[f])
            except ValueError as e:
                problems.append(Problem(shown[f], "extends", str(e)))
                return None
            k = key_of(target)
            if k not in shown:
                shown[k] = f"{shown[f]} → extends {name}"
                files[k] = target
                if not target.exists():
                    problems.append(Problem(shown[f], "extends",
                                            f"file not found: {name!r} (looked for "
                                            f"{os.path.abspath(target)})"))
                    return None
                todo.append(k)
            parents[f].append(k)
    order = _merge_order(main, parents, shown, problems)
    if order is None:
        return None
    merged: dict[Path, dict] = {}
    origins: dict[Path, dict[str, str]] = {}
    for f in order:  # parents before the files that extend them
        data, org = {}, {}
        for p in parents[f]:
            pdata = dict(merged[p])
            pdata.pop("partial", None)  # only the file itself says whether it is partial
            data = _deep_merge(data, pdata)
            org.update(origins[p])
        _record_origin(own[f], shown[f], org, "")
        merged[f], origins[f] = _deep_merge(data, own[f]), org
    sources[str(path)] = texts[main]
    for f in order:
        if f != main:
            sources.setdefault(str(files[f]), texts[f])
    origin.update(origins[main])
    return merged[main]


def _merge_order(main: Path, parents: dict[Path, list[Path]], shown: dict[Path, str],
                 problems: list[Problem]) -> list[Path] | None:
    """Files in an order where every file comes after the files it extends (an
    iterative depth-first search); None, with a problem added, if they form a loop."""
    order: list[Path] = []
    state: dict[Path, int] = {}  # 1: on the current path, 2: done
    stack = [(main, iter(parents[main]))]
    state[main] = 1
    while stack:
        f, it = stack[-1]
        nxt = next(it, None)
        if nxt is None:
            stack.pop()
            state[f] = 2
            order.append(f)
        elif state.get(nxt) == 1:
            path = [g for g, _ in stack]
            loop = path[path.index(nxt):] + [nxt]
            problems.append(Problem(shown[main], "extends", "files extend each other in a "
                                    "loop: " + " → ".join(g.name for g in loop)))
            return None
        elif nxt not in state:
            state[nxt] = 1
            stack.append((nxt, iter(parents[nxt])))
    return order


def _record_origin(data: dict, file: str, origin: dict[str, str], prefix: str) -> None:
    for k, v in data.items():
        key = f"{prefix}{k}"
        origin[key] = file
        if isinstance(v, dict) and "dist" not in v:
            _record_origin(v, file, origin, key + ".")


def deep_merge(a: dict, b: dict) -> dict:
    """The TOML tables ``b`` merged into ``a`` as ``extends`` merges files: tables key by
    key; a distribution table (with ``dist``) or any other value of ``b`` replaces."""
    out = dict(a)
    for k, v in b.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict) and "dist" not in v:
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = v
    return out


_deep_merge = deep_merge  # the name used in this module


# --------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------


def _suggest(name: str, candidates: list[str]) -> str:
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    return f" — did you mean `{close[0]}`?" if close else ""


class _Ctx:
    """Where a key came from, for messages."""

    def __init__(self, origin: dict[str, str], default_file: str, problems: list[Problem],
                 partial: bool = False):
        self.origin, self.default_file, self.problems = origin, default_file, problems
        self.partial = partial  # a file for `extends`: missing keys are not problems
        self.suggested: set[str] = set()  # keys offered as "did you mean"

    def file(self, full_key: str) -> str:
        k = full_key
        while k:
            if k in self.origin:
                return self.origin[k]
            k = k.rpartition(".")[0]
        return self.default_file

    def add(self, full_key: str, message: str, shown_key: str | None = None) -> None:
        self.problems.append(Problem(self.file(full_key), shown_key or full_key, message))


def _flatten(table: dict, params: dict[str, Param], prefix: str, ctx: _Ctx,
             origin_prefix: str = "", strip: str = "",
             extra: tuple[str, ...] = ()) -> dict[str, Any]:
    """Flatten nested tables into dotted keys known to ``params``; report unknown keys."""
    out: dict[str, Any] = {}
    sections = {p.key.rsplit(".", 1)[0] for p in params.values()}
    prefixes = set()
    for s in sections:
        parts = s.split(".")
        prefixes.update(".".join(parts[: i + 1]) for i in range(len(parts)))

    def walk(node: dict, path: str) -> None:
        for k, v in node.items():
            key = f"{path}.{k}" if path else k
            full = origin_prefix + key
            if key in params:
                out[key] = v
            elif key in prefixes and isinstance(v, dict) and "dist" not in v:
                walk(v, key)
            else:
                level = [p for p in list(params) + sorted(prefixes)
                         if (p.rsplit(".", 1)[0] if "." in p else "") == path]
                names = [p.rsplit(".", 1)[-1] for p in level] + (list(extra) if not path
                                                                 else [])
                if origin_prefix.startswith("worlds.") and not path and (
                        k in LEVERS or k == "options"):
                    what = (f"`{k}` is a policy lever" if k in LEVERS
                            else "options are not part of a world")
                    ctx.add(full, f"{what}: levers go in an option, [options.NAME.LEVER] at the "
                            "top level of the file; a world holds only inputs (allowed: "
                            + ", ".join(sorted(set(names))) + ")", shown_key=full)
                    continue
                if key in prefixes and not isinstance(v, dict):
                    ctx.add(full, f"must be a table [{key}] of settings, got {_show(v)}",
                            shown_key=full)
                    continue
                hint = _suggest(k, names)
                if hint:
                    ctx.suggested.add(f"{path}.{hint.split('`')[1]}" if path else
                                      hint.split("`")[1])
                else:
                    hint = _suggest(key, list(params))
                    if hint:
                        ctx.suggested.add(hint.split("`")[1])
                where = f"[{path}]" if path else "the top level"
                allowed = ", ".join(sorted(set(names)))
                ctx.add(full, f"unknown key in {where}{hint} (allowed: {allowed})",
                        shown_key=full)

    walk(table, prefix)
    return out


def _check_value(p: Param, v: Any, file: str, shown: str) -> list[Problem]:
    """Problems with a single value ``v`` of parameter ``p`` (empty if fine)."""
    def bad(msg: str) -> list[Problem]:
        return [Problem(file, shown, msg)]

    unit = f" [{p.unit}]" if p.unit and p.unit != "1" else ""
    if isinstance(v, dict):
        if not p.uncertain:
            return bad("must be a fixed value, not a distribution")
        try:
            d = Dist.from_table(v)
        except DistError as e:
            return bad(str(e))
        msg = _support_problem(p, d)
        return bad(msg) if msg else []
    if p.kind in ("float", "int"):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            kind = "a whole number" if p.kind == "int" else "a number"
            extra = " or a distribution table" if p.uncertain else ""
            return bad(f"must be {kind}{extra}{unit}, got {_show(v)}")
        if isinstance(v, float) and not math.isfinite(v):
            return bad(f"must be a finite number{unit} (allowed: {p.range_text()}), got {v}")
        if p.kind == "int" and not float(v).is_integer():
            return bad(f"must be a whole number, got {_show(v)}")
        if not p.allows(float(v)):
            return bad(f"{v:g}{unit} is outside the allowed range {p.range_text()}")
        if abs(v) > MAX_MAGNITUDE:
            return bad(f"{v:g}{unit} is too large: numbers in a scenario may be at most "
                       f"{MAX_MAGNITUDE:g} in size (allowed range {p.range_text()})")
        if 0 < abs(v) < MIN_MAGNITUDE:
            return bad(f"{v:g}{unit} is too small: a number in a scenario is 0 or at least "
                       f"{MIN_MAGNITUDE:g} in size (allowed range {p.range_text()})")
        return []
    if p.kind == "str":
        return [] if isinstance(v, str) else bad(f"must be text in quotes, got {_show(v)}")
    if p.kind == "bool":
        return [] if isinstance(v, bool) else bad(f"must be true or false, got {_show(v)}")
    if p.kind == "choice":
        if not isinstance(v, str) or v not in p.choices:
            return bad(f"{_show(v)} is not allowed; use one of {p.range_text()}"
                       + (_suggest(str(v), list(p.choices)) if isinstance(v, str) else ""))
        return []
    if p.kind in ("shares", "table"):
        return [Problem(file, shown, m) for m in _list_problems(p, v)]
    if p.kind == "pairs":
        if not isinstance(v, list):
            return bad('must be a list of ["name", "name", rho] triples')
        out = []
        for i, t in enumerate(v):
            if (not isinstance(t, list) or len(t) != 3 or not isinstance(t[0], str)
                    or not isinstance(t[1], str) or isinstance(t[2], bool)
                    or not isinstance(t[2], (int, float))):
                out += bad(f'entry {i + 1} must be ["name", "name", rho], got {_show(t)}')
            elif not -1 <= t[2] <= 1:
                out += bad(f"entry {i + 1}: a correlation must lie in [-1, 1], got {t[2]:g}")
            elif t[0] == t[1]:
                out += bad(f"entry {i + 1}: correlates {t[0]!r} with itself")
        return out
    raise AssertionError(p.kind)


def _list_problems(p: Param, v: Any) -> list[str]:
    """What is wrong with a ``shares`` or ``table`` value (empty if fine)."""
    def num(x) -> bool:
        return (not isinstance(x, bool) and isinstance(x, (int, float))
                and math.isfinite(x) and abs(x) <= MAX_MAGNITUDE)

    if p.kind == "shares":
        if not isinstance(v, list) or not all(num(x) and x >= 0 for x in v):
            return [f"must be a list of numbers ≥ 0 (shares), e.g. [0.3, 0.7], got {_show(v)}"]
        if v and abs(sum(v) - 1.0) > 1e-6:
            return [f"the shares must add up to 1, they add up to {sum(v):g}"]
        return []
    if not isinstance(v, list) or not all(isinstance(r, list) and len(r) == 2
                                          and num(r[0]) and num(r[1]) for r in v):
        return [f"must be a list of [year, value] pairs, e.g. [[2026, 20000], [2030, 18000]], "
                f"got {_show(v)}"]
    years = [r[0] for r in v]
    if any(b <= a for a, b in zip(years, years[1:])):
        return [f"the years must increase from row to row, got {years}"]
    return [f"row {i + 1}: {r[1]:g} [{p.unit}] is outside the allowed range "
            f"{Param(p.key, 'float', p.unit, 0, '', lo=p.lo, hi=p.hi).range_text()}"
            for i, r in enumerate(v) if not p.allows(float(r[1]))]


def _support_problem(p: Param, d: Dist) -> str | None:
    """What is wrong with the range of distribution ``d`` for key ``p`` (None if fine)."""
    lo, hi = d.support()
    unit = f" [{p.unit}]" if p.unit and p.unit != "1" else ""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return (f"{d.describe()} reaches {lo:g} to {hi:g}{unit}: its numbers are too extreme "
                f"to compute with; the allowed range is {p.range_text()}")
    if not (p.allows(lo) and p.allows(hi)):
        return (f"{d.describe()} reaches {lo:g} to {hi:g}{unit}, outside the allowed range "
                f"{p.range_text()}")
    if max(abs(lo), abs(hi)) > MAX_MAGNITUDE:
        return (f"{d.describe()} reaches {lo:g} to {hi:g}{unit}: numbers in a scenario may "
                f"be at most {MAX_MAGNITUDE:g} in size")
    if any(0 < abs(x) < MIN_MAGNITUDE for x in (lo, hi)):
        return (f"{d.describe()} reaches {lo:g} to {hi:g}{unit}: a number in a scenario is "
                f"0 or at least {MIN_MAGNITUDE:g} in size")
    return None


def correlation_matrix(pairs: list, names: list[str], rank: bool) -> np.ndarray:
    """Correlation matrix of normal scores from ``[a, b, rho]`` triples.

    Parameters
    ----------
    pairs : list of [str, str, float]
    names : list of str
        Order of the rows.
    rank : bool
        If true the ``rho`` are Spearman rank correlations and are converted to the
        Pearson correlation of the Gaussian copula, ``2 sin(pi rho / 6)``.

    References
    ----------
    Kruskal, W. H. (1958). Ordinal measures of association. JASA 53, 814–861.
    """
    n = len(names)
    c = np.eye(n)
    idx = {k: i for i, k in enumerate(names)}
    for a, b, rho in pairs:
        r = 2 * math.sin(math.pi * rho / 6) if rank else float(rho)
        c[idx[a], idx[b]] = c[idx[b], idx[a]] = r
    return c


def _check_corr(pairs: list, names: list[str], rank: bool) -> str | None:
    if not pairs:
        return None
    seen = set()
    for a, b, _ in pairs:
        if frozenset((a, b)) in seen:
            return f"the pair {a!r}, {b!r} is given twice"
        seen.add(frozenset((a, b)))
    c = correlation_matrix(pairs, names, rank)
    ev = float(np.linalg.eigvalsh(c).min())
    if ev <= 1e-10:
        return (f"these correlations do not form a valid correlation matrix (smallest "
                f"eigenvalue {ev:.3g}; it must be positive): some of them contradict each "
                "other — weaken them")
    return None


def _build(path: Path, data: dict, origin: dict[str, str], problems: list[Problem],
           sources: dict[str, str], partial: bool = False) -> Scenario | None:
    main = str(path)
    ctx = _Ctx(origin, main, problems, partial)

    for k in data:
        if k not in TOP_LEVEL_KEYS:
            ctx.add(k, f"unknown section{_suggest(k, list(TOP_LEVEL_KEYS))} (allowed: "
                    + ", ".join(TOP_LEVEL_KEYS) + ")")
        elif not isinstance(data[k], dict):
            ctx.add(k, f"must be a table [{k}], got {data[k]!r}")
    data = {k: v for k, v in data.items() if k in TOP_LEVEL_KEYS and isinstance(v, dict)}

    # settings -------------------------------------------------------------------------
    setting_params = {p.key: p for p in SETTING_PARAMS}
    settings_in = _flatten({k: data[k] for k in ("scenario", "simulation", "decision",
                                                 "state_aid", "report")
                            if k in data}, setting_params, "", ctx)
    settings = _with_defaults(setting_params, settings_in, ctx)
    if settings.get("scenario.name") is None:
        settings["scenario.name"] = path.stem
    start = settings.get("simulation.start_year")
    valuation = settings.get("simulation.valuation_year")
    if valuation is None:
        settings["simulation.valuation_year"] = start
    elif isinstance(start, int) and isinstance(valuation, int) and valuation > start:
        ctx.add("simulation.valuation_year", f"{valuation} is after the start year {start}: "
                "money is valued at a year no later than development starts (leave it out "
                "to value at the start year)")
    if settings.get("scenario.currency") == "EUR" and settings.get("scenario.eur_per_unit") != 1:
        ctx.add("scenario.eur_per_unit", f"{_show(settings.get('scenario.eur_per_unit'))} "
                "is not allowed with scenario.currency = \"EUR\": a euro is 1 euro (leave it "
                "out, or set scenario.currency to the currency the amounts are in)")

    # base inputs ----------------------------------------------------------------------
    base_in = _flatten({k: data[k] for k in _INPUT_SECTIONS if k in data}, INPUTS, "", ctx)
    base = _with_defaults(INPUTS, base_in, ctx)

    # worlds ---------------------------------------------------------------------------
    worlds_raw = data.get("worlds", {})
    worlds: dict[str, World] = {}
    if not isinstance(worlds_raw, dict):
        worlds_raw = {}
    order = ["base"] + [w for w in worlds_raw if w != "base"]
    for wname in order:
        table = worlds_raw.get(wname, {})
        wkey = f"worlds.{wname}"
        if not isinstance(table, dict):
            ctx.add(wkey, "must be a table of input overrides, e.g. [worlds.NAME] with "
                    "markets.product.start = { times = 0.8 }")
            continue
        _check_name(wname, wkey, "world", ctx)
        meta = {k: table[k] for k in META_KEYS if k in table}
        for k, v in meta.items():
            if not isinstance(v, str):
                ctx.add(f"{wkey}.{k}", f"must be text in quotes, got {_show(v)}")
        over_in = _flatten({k: v for k, v in table.items() if k not in META_KEYS}, INPUTS, "",
                           ctx, origin_prefix=wkey + ".", extra=META_KEYS)
        # [worlds.base] changes the base that every other world starts from
        start = worlds["base"].inputs if wname != "base" and "base" in worlds else base
        inputs = dict(start)
        for key, v in over_in.items():
            shown = f"{wkey}.{key}"
            if isinstance(v, dict) and "dist" not in v:
                v = _relative(INPUTS[key], start.get(key), v, ctx, shown)
                if v is None:
                    continue
            if isinstance(v, Dist):
                if msg := _support_problem(INPUTS[key], v):
                    ctx.add(shown, msg)
            else:
                problems.extend(_check_value(INPUTS[key], v, ctx.file(shown), shown))
            inputs[key] = v
        overrides = tuple(over_in)
        if wname != "base" and "base" in worlds:
            overrides = tuple(dict.fromkeys([*worlds["base"].overrides, *over_in]))
        worlds[wname] = World(wname, inputs, overrides, **{k: v for k, v in meta.items()
                                                            if isinstance(v, str)})

    # convert distribution tables, fill derived defaults --------------------------------
    failed: set[str] = set()  # distribution tables already reported as broken
    for w in worlds.values():
        for key, v in list(w.inputs.items()):
            if isinstance(v, dict) and not isinstance(v, Dist):
                try:
                    w.inputs[key] = Dist.from_table(v)
                except DistError:
                    w.inputs[key] = 1.0  # already reported; placeholder keeps checks going
                    failed.add(key)
        for m in MARKETS:
            if w.inputs.get(f"markets.{m}.long_run") is None:
                w.inputs[f"markets.{m}.long_run"] = w.inputs[f"markets.{m}.start"]
        if (w.inputs.get("finance.depreciation_method") == "schedule"
                and not w.inputs.get("finance.depreciation_schedule")):
            where = "finance.depreciation_schedule" if w.name == "base" else (
                f"worlds.{w.name}.finance.depreciation_schedule")
            ctx.add(where, 'must list the depreciation shares by year (e.g. [0.2, 0.32, '
                    '0.192, 0.1152, 0.1152, 0.0576]) when finance.depreciation_method = '
                    '"schedule"')

    # correlations -----------------------------------------------------------------------
    uncertain = {k for w in worlds.values() for k, v in w.inputs.items() if isinstance(v, Dist)}
    rc = settings.get("simulation.rank_correlations") or []
    if isinstance(rc, list) and not any(p.file == ctx.file("simulation.rank_correlations")
                                        and p.key == "simulation.rank_correlations"
                                        for p in problems):
        names = []
        for a, b, _ in rc:
            for k in (a, b):
                if k not in INPUTS:
                    ctx.add("simulation.rank_correlations", f"{k!r} is not an input key"
                            + _suggest(k, list(INPUTS)))
                elif k in failed:
                    continue  # its distribution is reported broken already
                elif k not in uncertain:
                    ctx.add("simulation.rank_correlations",
                            f"{k!r} is fixed in every world; only uncertain inputs can be "
                            "correlated")
                elif k not in names:
                    names.append(k)
        if names and len(names) == len({k for a, b, _ in rc for k in (a, b)}):
            msg = _check_corr(rc, names, rank=True)
            if msg:
                ctx.add("simulation.rank_correlations", msg)
    for w in worlds.values():
        mc = w.inputs.get("markets.correlations") or []
        key = "markets.correlations" if w.name == "base" or "markets.correlations" not in \
            w.overrides else f"worlds.{w.name}.markets.correlations"
        if not isinstance(mc, list) or any(p.key == key for p in problems):
            continue
        bad = [k for a, b, _ in mc for k in (a, b) if k not in MARKETS]
        for k in bad:
            ctx.add(key, f"{k!r} is not a market; use " + ", ".join(MARKETS)
                    + _suggest(k, list(MARKETS)))
        if not bad:
            msg = _check_corr(mc, list(MARKETS), rank=False)
            if msg:
                ctx.add(key, msg)

    # horizon --------------------------------------------------------------------------
    if not problems:
        _check_horizon(settings, worlds, ctx)

    # options ----------------------------------------------------------------------------
    options = _build_options(data.get("options", {}), ctx)

    if problems:
        return None
    return Scenario(path, settings, worlds, options, sources, ctx.partial)


def _relative(p: Param, base: Any, v: dict, ctx: _Ctx, shown: str) -> Any:
    """Resolve a world override ``{ times = x, plus = y }`` against the base value."""
    if not v or set(v) - {"times", "plus"}:
        ctx.add(shown, "a table here must be a distribution (with `dist = ...`) or a change of "
                "the base value: { times = 1.5 } and/or { plus = 10 }")
        return None
    t, a = v.get("times", 1.0), v.get("plus", 0.0)
    for name, x in (("times", t), ("plus", a)):
        if isinstance(x, bool) or not isinstance(x, (int, float)):
            ctx.add(shown, f"{name} must be a number, got {_show(x)}")
            return None
        if not math.isfinite(x):
            ctx.add(shown, f"{name} must be a finite number, got {x}")
            return None
    if t < 0:
        ctx.add(shown, f"times must be ≥ 0, got {t:g}")
        return None
    if p.kind != "float" or base is None:
        if not ctx.partial:  # in a partial file the base comes from the extending scenario
            ctx.add(shown, "times/plus needs a numeric base value")
        return None
    if isinstance(base, dict):
        try:
            return Dist.from_table(base).shifted(t, a)
        except DistError:
            return None  # the base value's problem is reported already
    if isinstance(base, Dist):
        return base.shifted(t, a)
    if isinstance(base, bool) or not isinstance(base, (int, float)):
        return None
    return base * t + a


def _with_defaults(params: dict[str, Param], given: dict[str, Any], ctx: _Ctx) -> dict:
    """Every key of ``params``: the given value (checked) or the default; a missing
    required key is reported unless a misspelt key already suggested it."""
    out: dict[str, Any] = {}
    for key, p in params.items():
        if key in given:
            ctx.problems.extend(_check_value(p, given[key], ctx.file(key), key))
            out[key] = given[key]
        elif p.default is REQUIRED:
            if key not in ctx.suggested and not ctx.partial:
                unit = f" [{p.unit}]" if p.unit else ""
                ctx.add(key, f"is required: {p.description}{unit}")
            out[key] = 1.0  # placeholder so that later checks can go on; never used
        else:
            out[key] = p.default
    return out


def _valid_label(name: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.%+-]*", name))


def _check_name(name: str, key: str, what: str, ctx: _Ctx) -> None:
    if not _valid_label(name):
        ctx.add(key, f"a {what} name may hold letters, digits, '-' and '_' only (and start "
                "with a letter or digit)")
    elif len(name) > MAX_NAME:
        ctx.add(key[:MAX_NAME + 10] + "…", f"a {what} name may be at most {MAX_NAME} "
                f"characters long; this one has {len(name)}")


def _months(v: Any) -> float:
    """A number of months for the horizon check: the value, or a distribution's mean."""
    if isinstance(v, Dist):
        with np.errstate(all="ignore"):
            return float(v.mean())
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else 0.0


def _check_horizon(settings: dict, worlds: dict[str, World], ctx: _Ctx) -> None:
    """A horizon must hold the construction time and one operating year (on average)."""
    horizon = settings.get("simulation.horizon_years")
    if isinstance(horizon, bool) or not isinstance(horizon, int):
        return
    need, where = 0, ""
    for w in worlds.values():
        months = _months(w.inputs.get("plant.construction_months", 0))
        if not math.isfinite(months):
            continue
        n = math.ceil(months / 12 - 1e-9) + 1
        if n > need:
            need, where = n, (f"construction takes {months:.0f} months (on average)"
                              + (f" in world {w.name}" if len(worlds) > 1 else ""))
    if horizon < need:
        ctx.add("simulation.horizon_years", f"{horizon} years is too short: {where}, so the "
                f"horizon must be at least {need} years (to include one year of operation)")


def _build_options(raw: dict, ctx: _Ctx) -> dict[str, Option]:
    options: dict[str, Option] = {"baseline": Option("baseline", {}, "Baseline (no policy)",
                                                     "Basispad (geen beleid)",
                                                     "No policy levers.")}
    if not isinstance(raw, dict):
        ctx.add("options", "must be a set of [options.NAME] tables")
        return options
    for oname, table in raw.items():
        okey = f"options.{oname}"
        if not isinstance(table, dict):
            ctx.add(okey, "must be a table of levers")
            continue
        _check_name(oname, okey, "option", ctx)
        if oname == "baseline" and any(k not in META_KEYS for k in table):
            ctx.add(okey, "the baseline option has no levers by definition; give the "
                    "policy package another name")
            continue
        levers: dict[str, dict[str, Any]] = {}
        lists: list[tuple[str, str, list]] = []
        for lname, ltable in table.items():
            if lname in META_KEYS:
                if not isinstance(ltable, str):
                    ctx.add(f"{okey}.{lname}", "must be text in quotes")
                continue
            lkey = f"{okey}.{lname}"
            if lname not in LEVERS:
                ctx.add(lkey, "unknown lever" + _suggest(lname, list(LEVERS))
                        + " (levers: " + ", ".join(LEVERS) + ")")
                continue
            if not isinstance(ltable, dict):
                ctx.add(lkey, "must be a table of lever settings, e.g. "
                        f"[options.{oname}.{lname}]")
                continue
            n_problems = len(ctx.problems)
            settings = _lever_settings(LEVERS[lname], ltable, lkey, lists, ctx)
            levers[lname] = settings
            if len(ctx.problems) > n_problems:
                lists[:] = [t for t in lists if t[0] != lname]  # reported; not expanded
        meta = {k: table[k] for k in META_KEYS if isinstance(table.get(k), str)}
        if not lists:
            _add_option(options, Option(oname, levers, **meta), ctx, okey)
            continue
        n = math.prod(len(v) for _, _, v in lists)
        if len(options) + n > MAX_OPTIONS:
            ctx.add(okey, f"its lists of intensities make {n:,} options (the product of the "
                    f"list lengths); a scenario may have at most {MAX_OPTIONS:,}: shorten the "
                    "lists")
            continue
        for combo in itertools.product(*[v for _, _, v in lists]):
            lv = {k: dict(s) for k, s in levers.items()}
            suffix = []
            for (lname, k, _), x in zip(lists, combo):
                lv[lname][k] = x
                suffix.append(f"{x:g}")
            name = f"{oname}-" + "-".join(suffix)
            m = dict(meta)
            for lab in ("label_en", "label_nl"):
                if lab in m:
                    m[lab] = f"{m[lab]} ({', '.join(suffix)})"
            _add_option(options, Option(name, lv, **m), ctx, okey)
    return options


def _lever_settings(lever, table: dict, lkey: str, lists: list, ctx: _Ctx) -> dict[str, Any]:
    """The settings of one lever table, checked against the lever's declaration and
    its validation rules, defaults filled in; settings given as lists go to ``lists``."""
    lname = lever.name
    settings: dict[str, Any] = {}
    params = {p.key: p for p in lever.params}
    for k, v in table.items():
        key = f"{lname}.{k}"
        if key not in params:
            names = [p.name for p in params.values()]
            ctx.add(f"{lkey}.{k}", f"unknown setting of {lname}" + _suggest(k, names)
                    + " (allowed: " + ", ".join(names) + ")")
            continue
        p = params[key]
        if isinstance(v, list):
            shown = f"{lkey}.{k}"
            if p.kind not in ("float", "int"):
                ctx.add(shown, f"must be a single value (a list of intensities is allowed only "
                        f"for numbers), got {_show(v)}")
                continue
            if not v:
                ctx.add(shown, "an empty list of intensities; give one or more numbers, e.g. "
                        "[0.1, 0.2]")
                continue
            found = []
            for i, x in enumerate(v):
                if isinstance(x, (list, dict)):
                    found.append(Problem(ctx.file(shown), shown, f"entry {i + 1}: a list of "
                                         f"intensities holds plain numbers only, got {_show(x)}"))
                else:
                    found += [Problem(q.file, q.key, f"entry {i + 1}: {q.message}")
                              for q in _check_value(p, x, ctx.file(shown), shown)]
            ctx.problems.extend(found)
            if not found:
                lists.append((lname, k, v))
        else:
            ctx.problems.extend(_check_value(p, v, ctx.file(f"{lkey}.{k}"), f"{lkey}.{k}"))
        settings[k] = v
    for p in params.values():
        if p.name not in settings:
            if p.default is REQUIRED:
                ctx.add(f"{lkey}.{p.name}", f"is required: {p.description}")
            else:
                settings[p.name] = p.default
    for setting, message in lever.validate(settings):
        ctx.add(f"{lkey}.{setting}", message)
    return settings


def _add_option(options: dict[str, Option], opt: Option, ctx: _Ctx, okey: str) -> None:
    if opt.name in options:
        ctx.add(okey, f"option name {opt.name!r} occurs twice (after expanding lists)")
    options[opt.name] = opt
