"""The scenario library shipped inside the package, and the ``simcrm:NAME`` names for it.

The repository's top-level ``scenarios/`` folder is the source of truth; the package
holds it as ``simcrm/data/scenarios`` (a link in the repository, copies in the wheel), so
``extends = ["simcrm:worlds", "simcrm:tno-levers"]`` works in a scenario file anywhere,
and ``simcrm init`` / ``simcrm list`` / ``simcrm bench`` work from an installed wheel.

Only the standard library is imported here: ``simcrm list`` and ``simcrm init`` stay quick.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

PREFIX = "simcrm:"
_PACKAGED = Path(__file__).resolve().parents[1] / "data" / "scenarios"
_REPOSITORY = Path(__file__).resolve().parents[2] / "scenarios"


def library_dir() -> Path:
    """The folder of the packaged scenario library (falls back to the repository's
    ``scenarios/`` where the link is missing, e.g. a checkout without symlinks)."""
    if (_PACKAGED / "worlds.toml").is_file():
        return _PACKAGED
    return _REPOSITORY


def library_file(name: str) -> Path:
    """The packaged file ``name`` (``"worlds"`` or ``"worlds.toml"``)."""
    name = name.removeprefix(PREFIX)
    if not name.endswith(".toml"):
        name += ".toml"
    return library_dir() / name


def resolve_extends(text: str, base_dir: Path) -> Path:
    """The file an ``extends`` entry names.

    Parameters
    ----------
    text : str
        The entry: ``"simcrm:NAME"`` names a file of the packaged library
        (``simcrm:worlds`` → ``worlds.toml``); anything else is a path relative to
        ``base_dir`` (or absolute).
    base_dir : Path
        The folder of the file that holds the ``extends``.

    Returns
    -------
    Path
        The file to read (it may not exist; the caller says so).
    """
    if text.startswith(PREFIX):
        return library_file(text)
    return Path(base_dir) / text


@dataclass(frozen=True)
class Entry:
    """One named thing of the library: an archetype, a world, an option or a lever."""

    name: str
    label: str
    description: str = ""


def _read(path: Path) -> dict:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def archetypes() -> list[Entry]:
    """The runnable example scenarios (every library file that is not ``partial``)."""
    out = []
    for p in sorted(library_dir().glob("*.toml")):
        data = _read(p)
        if data.get("partial"):
            continue
        sc = data.get("scenario", {})
        out.append(Entry(p.stem, sc.get("name", p.stem), sc.get("description", "")))
    return out


def _labelled(file: str, table: str) -> list[Entry]:
    data = _read(library_file(file)).get(table, {})
    return [Entry(k, v.get("label_en", k), v.get("description", "")) for k, v in data.items()]


def worlds() -> list[Entry]:
    """The worlds of ``simcrm:worlds``."""
    return _labelled("worlds", "worlds")


def options() -> list[Entry]:
    """The policy options of ``simcrm:tno-levers``."""
    return _labelled("tno-levers", "options")


_EXTENDS = re.compile(r'^(\s*extends\s*=\s*)(.*)$', re.MULTILINE)


def starting_scenario(archetype: str, name: str) -> str:
    """The text of archetype ``archetype`` as the start of a new scenario ``name``.

    Comments are kept; ``extends`` entries become ``simcrm:`` names, so the file works
    outside the repository, and ``[scenario] name`` becomes ``name``.
    """
    path = library_file(archetype)
    if not path.is_file():
        known = ", ".join(e.name for e in archetypes())
        raise FileNotFoundError(f"no archetype {archetype!r}; choose one of {known}")
    text = path.read_text(encoding="utf-8")

    def packaged(m: re.Match) -> str:
        value = tomllib.loads(f"x = {m.group(2)}")["x"]
        value = [value] if isinstance(value, str) else value
        names = ", ".join(f'"{PREFIX}{Path(v).stem}"' if not v.startswith(PREFIX) else f'"{v}"'
                          for v in value)
        return f"{m.group(1)}[{names}]"

    text = _EXTENDS.sub(packaged, text, count=1)
    text = re.sub(r'(?m)^(name\s*=\s*)"[^"]*"', lambda m: f'{m.group(1)}"{name}"', text,
                  count=1)
    header = (f"# {name}: a new scenario, started with `simcrm init {name} --from {archetype}`.\n"
              "# Change the numbers below (each cites its source); `simcrm validate` checks the\n"
              "# file, `simcrm run FILE --quick` gives a first look. Every key with its unit\n"
              "# and range: `simcrm schema` (for editors) and the scenario reference.\n")
    return header + text
