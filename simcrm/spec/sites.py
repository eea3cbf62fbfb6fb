"""Site profiles: the same plant in another country.

A site profile is a partial scenario file (``partial = true``) whose ``[worlds.base]``
table overrides inputs of the plant scenario: power price and grid tariff, corporate tax
and loss rules, permit and grid-connection times, a labour-cost index (``{ times = x }`` of
the plant's staff costs) ... .  Putting them in ``[worlds.base]`` lets them win over the
plant file's own values and lets every other world of the plant scenario (``high-energy``:
power ``{ times = 2.0 }``) apply on top of the site's base.  A profile may also override a
key in another world (``[worlds.grid-congestion]``) and may name the site's own support
instruments in one option, ``[options.support]`` (levers with their settings, e.g. the
indirect-cost compensation of the energy bill).

:func:`load_site` reads and checks a profile; :func:`site_scenario` puts it on top of a
plant scenario; :func:`mix` makes the profile in between two sites that a gap waterfall
needs (one cause at a time switched from one site to the other).  Every problem is a
:class:`~simcrm.spec.scenario.Problem` naming the file and key.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from simcrm.spec import library
from simcrm.spec.registry import INPUTS
from simcrm.spec.scenario import (
    META_KEYS,
    Option,
    Problem,
    Scenario,
    ScenarioError,
    _build,
    _read_with_extends,
    load_scenario,
)

SUPPORT = "support"
"""The one option a site profile may hold: the site's own support instruments."""

SITE_OPTION = "site"
"""Name of the option a site scenario evaluates (the site's support, or none)."""

CAUSES = ("energy", "grid", "permits", "tax", "support", "labour", "other")
"""The causes a gap is split into, in the order a waterfall switches them."""

_CAUSE_OF = (  # (key prefix, cause); the first match counts
    ("markets.electricity.grid_tariff", "grid"),
    ("permitting.grid_wait_months", "grid"),
    ("markets.", "energy"),
    ("permitting.", "permits"),
    ("finance.tax_rate", "tax"),
    ("finance.loss_offset", "tax"),
    ("finance.depreciation_years", "tax"),
    ("operations.labour_meur_per_yr", "labour"),
)

_ALLOWED_TOP = ("partial", "scenario", "worlds", "options")


def cause_of(key: str) -> str:
    """The cause (:data:`CAUSES`) an input key of a site profile belongs to."""
    for prefix, cause in _CAUSE_OF:
        if key.startswith(prefix):
            return cause
    return "other"


@dataclass(frozen=True)
class Site:
    """A site profile.

    Attributes
    ----------
    name : str
        Short name (the file name without ``.toml``: ``nl``, ``de`` ...).
    overrides : dict
        ``(world, dotted input key) -> value`` as written in the file (a number, a
        distribution table or a ``{ times, plus }`` change).
    support : dict
        Lever name -> settings (defaults filled in) of ``[options.support]``.
    description : str
        ``[scenario] description`` of the file.
    path : Path or None
    """

    name: str
    overrides: dict[tuple[str, str], Any]
    support: dict[str, dict[str, Any]] = field(default_factory=dict)
    description: str = ""
    path: Path | None = None

    def causes(self) -> set[str]:
        """The causes this profile sets anything for."""
        out = {cause_of(k) for _, k in self.overrides}
        return out | ({"support"} if self.support else set())


def site_dir() -> Path:
    """The folder of the site profiles shipped with simcrm."""
    return library.library_dir() / "sites"


def available() -> list[str]:
    """Names of the shipped site profiles."""
    return sorted(p.stem for p in site_dir().glob("*.toml"))


def site_file(name: str) -> Path:
    """The file a ``--sites`` entry names: a shipped profile (``de``) or a path to a
    ``.toml`` file.

    Raises
    ------
    ScenarioError
        If there is no such profile or file (the message lists the shipped ones).
    """
    name = name.strip()
    if name.endswith(".toml"):
        p = Path(name)
        if not p.is_file():
            raise ScenarioError([Problem(name, "", "site profile not found")])
        return p
    p = site_dir() / f"{name}.toml"
    if not name or not p.is_file():
        raise ScenarioError([Problem("--sites", "", f"unknown site {name!r}; the shipped "
                                     f"site profiles are {', '.join(available())}, or give "
                                     "the path of a .toml site profile")])
    return p


def load_site(name: str) -> Site:
    """Read and check a site profile (a shipped name such as ``de``, or a path).

    Raises
    ------
    ScenarioError
        With every problem found (file, key, what is allowed).
    """
    path = site_file(name)
    checked = load_scenario(path, allow_partial=True)  # the normal checks of every value
    problems: list[Problem] = []
    data = _read_with_extends(path, problems, {}, {})
    if data is None or problems:
        raise ScenarioError(problems)
    shown = str(path)
    if not data.pop("partial", False):
        problems.append(Problem(shown, "partial", "a site profile is a partial file: start "
                                "it with `partial = true`"))
    for k in data:
        if k not in _ALLOWED_TOP:
            problems.append(Problem(shown, k, "a site profile sets inputs in [worlds.base] "
                                    "(e.g. [worlds.base] finance.tax_rate = 0.25), so that "
                                    "they apply on top of the plant scenario; allowed "
                                    "tables: [scenario], [worlds.NAME], [options.support]"))
    opts = data.get("options", {})
    for k in opts:
        if k != SUPPORT:
            problems.append(Problem(shown, f"options.{k}", "a site profile holds one option, "
                                    "[options.support]: the site's own support instruments"))
    if problems:
        raise ScenarioError(problems)
    overrides = {(w, k): v for w, table in data.get("worlds", {}).items()
                 for k, v in _leaves(table).items()}
    support = checked.options[SUPPORT].levers if SUPPORT in checked.options else {}
    desc = str(data.get("scenario", {}).get("description", ""))
    return Site(path.stem, overrides, support, desc, path)


def _leaves(table: dict, prefix: str = "") -> dict[str, Any]:
    """Dotted input key -> value of a world table (labels left out)."""
    out: dict[str, Any] = {}
    for k, v in table.items():
        key = f"{prefix}{k}"
        if not prefix and k in META_KEYS:
            continue
        if key in INPUTS:
            out[key] = v
        elif isinstance(v, dict):
            out.update(_leaves(v, key + "."))
    return out


def _set(tree: dict, key: str, value: Any) -> None:
    """Put ``value`` at dotted ``key`` of nested tables, replacing what was there."""
    *path, last = key.split(".")
    node = tree
    for part in path:
        nxt = node.get(part)
        node[part] = nxt = dict(nxt) if isinstance(nxt, dict) else {}
        node = nxt
    node[last] = value


def _without(tree: dict, key: str) -> None:
    """Remove dotted ``key`` from nested tables (also written with dots in one name)."""
    node = tree
    parts = key.split(".")
    for i, part in enumerate(parts):
        rest = ".".join(parts[i:])
        if rest in node:
            del node[rest]
            return
        if not isinstance(node.get(part), dict):
            return
        node[part] = node = dict(node[part])


def site_scenario(plant: Scenario, site: Site) -> Scenario:
    """The plant scenario with a site profile on top.

    Parameters
    ----------
    plant : Scenario
        Loaded from a file (its file is read again, so that the worlds' relative
        changes apply to the site's values); its run settings are kept.
    site : Site

    Returns
    -------
    Scenario
        The plant at the site, with one option, :data:`SITE_OPTION`: the site's own
        support levers (none if the profile names none).
    """
    if plant.path is None:
        raise ValueError("a site comparison needs a scenario read from a file")
    problems: list[Problem] = []
    sources: dict[str, str] = {}
    origin: dict[str, str] = {}
    data = _read_with_extends(Path(plant.path), problems, sources, origin)
    if data is None or problems:
        raise ScenarioError(problems)
    data.pop("partial", None)
    data.pop("options", None)
    worlds = {k: dict(v) for k, v in data.get("worlds", {}).items() if isinstance(v, dict)}
    for (w, key), v in site.overrides.items():
        if w != "base" and w not in worlds:
            continue  # a world this plant scenario does not have
        table = worlds.setdefault(w, {})
        _without(table, key)
        _set(table, key, v)
    data["worlds"] = worlds
    where = str(site.path or site.name)
    origin.update({f"worlds.{w}.{k}": where for w, k in site.overrides})
    sc = _build(Path(plant.path), data, origin, problems, sources)
    if sc is None or problems:
        raise ScenarioError(problems)
    option = Option(SITE_OPTION, {k: dict(v) for k, v in site.support.items()},
                    f"Site {site.name}", f"Locatie {site.name}", site.description)
    return replace(sc, settings=dict(plant.settings), options={SITE_OPTION: option})


def mix(a: Site, b: Site, causes: set[str] | frozenset[str], name: str = "") -> Site:
    """Site ``a`` with the attributes of site ``b`` for the given causes.

    A key of a switched cause takes ``b``'s value, or the plant's own value where ``b``
    sets none; the other keys keep ``a``'s.  With every cause switched the result is
    ``b`` (the end of a waterfall); with none it is ``a``.
    """
    keys = dict.fromkeys([*a.overrides, *b.overrides])
    out = {}
    for wk in keys:
        src = b if cause_of(wk[1]) in causes else a
        if wk in src.overrides:
            out[wk] = src.overrides[wk]
    support = b.support if "support" in causes else a.support
    return Site(name or f"{a.name}+{b.name}", out, support, a.description, a.path)
