"""The scenario reference, generated from the registry (``python -m simcrm.spec.reference``)."""

from __future__ import annotations

from simcrm.levers import LEVERS
from simcrm.spec import outputs
from simcrm.spec.distributions import SPECS
from simcrm.spec.registry import (
    DEFAULT_SOURCES,
    INPUT_PARAMS,
    REQUIRED,
    SETTING_PARAMS,
    Param,
)

INTRO = """\
# Scenario reference

*Generated from `simcrm/spec/registry.py` and the lever modules `simcrm/levers/*.py` by
`make reference`; do not edit by hand.*

A scenario is a TOML file. Every key below has a unit, a default (used when the key is
left out; **required** keys must be given) and an allowed range. Keys marked *uncertain*
may be a fixed number or a distribution table. `simcrm validate FILE` checks a file
against this reference and lists every problem at once.

## Distributions

Any *uncertain* number can be given as a table, e.g.
`capex_meur = { dist = "pert", low = 470, mode = 600, high = 800 }`.

| dist | fields | meaning |
|---|---|---|
| `triangular` | low, mode, high | triangle from low to high, peak at mode |
| `pert` | low, mode, high (lambda = 4) | smooth beta-PERT on [low, high], most likely value mode |
| `uniform` | low, high | every value between low and high equally likely |
| `normal` | mean, sd | bell curve; may not reach outside the key's range by more than 0.1 % |
| `lognormal` | median, p90 | right-skewed; half the draws below the median, 90 % below p90 |
| `discrete` | values, probs | one of the values, with the given probabilities (summing to 1) |
| `bernoulli` | p | 1 with probability p, else 0 |

A distribution may put at most 0.1 % of its probability outside the key's allowed range
(those rare draws are held at the edge of the range); more is an error.

Rank correlations between uncertain inputs: `[simulation] rank_correlations =
[["plant.capex_overrun", "plant.construction_months", 0.6]]` (Spearman; imposed with a
Gaussian copula, so every marginal distribution stays as given).

## Files that build on others

`extends = "worlds.toml"` (or a list) at the top of a file reads those files first and
then this one on top; tables are merged key by key. Use it for shared worlds and policy
packages. A shared file that is not a scenario by itself says `partial = true` at its top:
`simcrm validate` then checks only what it holds, and `simcrm run` refuses it.

## Worlds

`[worlds.NAME]` tables override any input for one world; `base` always exists (the
inputs as given). Besides a number or a distribution, a world may change the base value:
`markets.product.start = { times = 0.4 }` (×0.4) or `permitting.grid_wait_months =
{ plus = 24 }` (+24 months). Optional `label_en`, `label_nl`, `description`.

## Options and levers

`[options.NAME.LEVER]` tables hold a policy package; `baseline` (no levers) always
exists. A lever setting given as a list, e.g. `share = [0.1, 0.2, 0.3]`, expands into
one option per value, named `NAME-0.1`, `NAME-0.2`, ... (a response curve). Optional
`label_en`, `label_nl`, `description` per option.
"""

SECTION_TITLES = {
    "scenario": "Scenario", "simulation": "Simulation", "decision": "Decision rule",
    "report": "Report", "plant": "Plant", "operations": "Operating inputs (per tonne of product)",
    "permitting": "Permitting and grid", "development": "Development before FID",
    "finance": "Finance and tax",
}


def _default(p: Param) -> str:
    if p.default is REQUIRED:
        return "**required**"
    if p.default is None:
        return "–"
    if isinstance(p.default, bool):
        return "true" if p.default else "false"
    if isinstance(p.default, str):
        return f'"{p.default}"'
    if isinstance(p.default, list):
        return "[]"
    return f"{p.default:g}" if isinstance(p.default, float) else str(p.default)


def _table(params: list[Param], strip: str = "") -> list[str]:
    out = ["| key | unit | default | allowed | uncertain | description |",
           "|---|---|---|---|---|---|"]
    for p in params:
        key = p.key.removeprefix(strip)
        src = p.source or DEFAULT_SOURCES.get(p.key)
        desc = p.description + (f" *Default: {src}.*" if src else "")
        cells = [f"`{key}`", p.unit or "", _default(p), p.range_text(),
                 "yes" if p.uncertain else "", desc]
        out.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return out


def _cell(text: str) -> str:
    """A Markdown table cell: a ``|`` inside it (``true | false``) must not end the cell."""
    return text.replace("|", "\\|")


STAGE_WORDS = {
    "schedule": "moves the schedule (permit or grid-connection time)",
    "capex": "pays towards the investment",
    "operating": "adds operating support (part of EBITDA)",
    "financing": "changes the financing",
    "tax": "lowers the corporate tax",
    "price": "adds a line that depends on the product price",
}


def _lever_text(lever) -> str:
    """What a lever is, where it acts and which result lines it books."""
    parts = [lever.description, f"It {STAGE_WORDS.get(lever.stage, lever.stage)}."]
    if lever.line:
        parts.append(f"Plant line `{lever.line}` ({lever.line_description}).")
    if lever.gov_description:
        parts.append(f"Public lines `budget_cash_{lever.name}` ({lever.gov_description}) "
                     f"and `aid_{lever.name}`.")
    return " ".join(p for p in parts if p)


def render() -> str:
    """The reference as Markdown."""
    lines = [INTRO]
    groups: dict[str, list[Param]] = {}
    for p in SETTING_PARAMS + INPUT_PARAMS:
        top = p.key.split(".")[0]
        groups.setdefault(top, []).append(p)
    for top, params in groups.items():
        title = SECTION_TITLES.get(top, top.capitalize())
        lines += ["", f"## {title} — `[{top}]`", ""]
        if top == "markets":
            lines += ["Each market (`product`, `feedstock`, `electricity`, `gas`, `carbon`) is a "
                      "table `[markets.NAME]`; its price follows a mean-reverting path in logs "
                      "with optional crash and spike jumps (see `simcrm/kernels/markets.py`).", ""]
        lines += _table(params)
    lines += ["", "## Levers — `[options.NAME.LEVER]`", ""]
    for lever in LEVERS.values():
        lines += ["", f"### `{lever.name}` — {lever.label_en}", ""]
        lines += [_lever_text(lever), ""]
        lines += _table(list(lever.params), strip=f"{lever.name}.")
    lines += ["", f"Distribution names: {', '.join(SPECS)}.", ""]
    lines += ["", outputs.reference_markdown()]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------
# JSON Schema for editors (`simcrm schema`)
# --------------------------------------------------------------------------------------

SCHEMA_ID = "https://simcrm.invalid/scenario.schema.json"
_JSON_TYPES = {"float": "number", "int": "integer", "str": "string", "bool": "boolean"}
_LABELS = {"label_en": {"type": "string", "description": "Label in English charts and report"},
           "label_nl": {"type": "string", "description": "Label in Dutch charts and report"},
           "description": {"type": "string", "description": "What this is, in a sentence"}}


def _value_schema(p: Param) -> dict:
    """The JSON Schema of one key's value."""
    src = p.source or DEFAULT_SOURCES.get(p.key)
    text = f"{p.description} [{p.unit}]" if p.unit else p.description
    out: dict = {"description": text + (f" Default: {_default(p)}." if p.default is not None
                                        and p.default is not REQUIRED else "")
                 + (f" Source: {src}." if src else "")}
    if p.kind == "choice":
        out["enum"] = list(p.choices)
    elif p.kind == "pairs":
        out["type"] = "array"
        out["items"] = {"type": "array", "minItems": 3, "maxItems": 3}
    elif p.kind == "shares":
        out["type"] = "array"
        out["items"] = {"type": "number", "minimum": 0}
    elif p.kind == "table":
        out["type"] = "array"
        out["items"] = {"type": "array", "minItems": 2, "maxItems": 2,
                        "items": {"type": "number"}}
    else:
        out["type"] = _JSON_TYPES.get(p.kind, "number")
        if p.kind in ("float", "int"):
            for bound, closed, opened, v in (("lo", "minimum", "exclusiveMinimum", p.lo),
                                             ("hi", "maximum", "exclusiveMaximum", p.hi)):
                if v not in (float("inf"), float("-inf")):
                    is_open = p.lo_open if bound == "lo" else p.hi_open
                    out[opened if is_open else closed] = v
    if p.uncertain:
        out = {"description": out["description"],
               "anyOf": [{k: v for k, v in out.items() if k != "description"},
                         {"$ref": "#/$defs/distribution"}]}
    return out


def _nest(params: list[Param], strip: str = "", setting_lists: bool = False) -> dict:
    """Object schemas nested along the dotted keys of ``params``; unknown keys refused."""
    root: dict = {"type": "object", "properties": {}, "additionalProperties": False}
    for p in params:
        parts = p.key.removeprefix(strip).split(".")
        node = root
        for part in parts[:-1]:
            node = node["properties"].setdefault(
                part, {"type": "object", "properties": {}, "additionalProperties": False})
        value = _value_schema(p)
        if setting_lists:  # a lever setting given as a list expands into a response curve
            value = {"description": value.get("description", ""),
                     "anyOf": [value, {"type": "array", "items": value}]}
        node["properties"][parts[-1]] = value
    return root


def json_schema() -> dict:
    """A JSON Schema (draft 2020-12) of a scenario file, generated from the registry.

    Editors that read JSON Schema for TOML (VS Code's Even Better TOML, taplo) then
    complete keys, show each key's unit, default and source, and mark unknown keys and
    numbers out of range.  ``simcrm validate`` stays the full check (distribution
    fields, rank correlations, worlds).
    """
    inputs = _nest(INPUT_PARAMS)
    props = _nest(SETTING_PARAMS)["properties"] | inputs["properties"]
    world = {"type": "object", "description": "Overrides of the inputs for one world: a "
             "number, a distribution, or {times = x} / {plus = x} on the base value.",
             "properties": dict(_LABELS)}
    for top, sub in inputs["properties"].items():
        world["properties"][top] = {"type": "object", "description": sub.get("description", "")}
    option = {"type": "object", "properties": dict(_LABELS), "additionalProperties": False}
    for lever in LEVERS.values():
        sub = _nest(list(lever.params), strip=f"{lever.name}.", setting_lists=True)
        sub["description"] = f"{lever.label_en}: {lever.description}"
        option["properties"][lever.name] = sub
    dist_fields = sorted({f for req, opt in SPECS.values() for f in req + opt})
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "simcrm scenario",
        "description": "A simcrm scenario file (TOML). Generated by `simcrm schema` from "
                       "simcrm's parameter registry.",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "extends": {"description": "Files this one builds on: a path relative to this "
                        "file, or a packaged file such as \"simcrm:worlds\".",
                        "anyOf": [{"type": "string"},
                                  {"type": "array", "items": {"type": "string"}}]},
            "partial": {"type": "boolean", "description": "A file for `extends` only."},
            **props,
            "worlds": {"type": "object", "additionalProperties": world},
            "options": {"type": "object", "additionalProperties": option},
        },
        "$defs": {"distribution": {
            "type": "object", "required": ["dist"], "additionalProperties": False,
            "properties": {"dist": {"enum": list(SPECS)},
                           **{f: {} for f in dist_fields}},
        }},
    }


if __name__ == "__main__":  # pragma: no cover
    print(render(), end="")
