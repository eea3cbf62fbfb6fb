"""The scenario reference in docs/ is generated from the registry and kept current."""

from pathlib import Path

from simcrm.levers import setting_params
from simcrm.spec.reference import render
from simcrm.spec.registry import ALL_PARAMS


def test_reference_is_up_to_date():
    doc = Path(__file__).parents[1] / "docs" / "scenario-reference.md"
    assert doc.read_text(encoding="utf-8") == render(), "run `make reference` and commit"


def test_every_key_is_documented_with_unit_and_range():
    text = render()
    for key, p in ALL_PARAMS.items():
        assert f"`{key}`" in text
        assert p.description
    for p in setting_params().values():
        assert f"`{p.name}`" in text


def test_every_non_trivial_default_says_where_it_comes_from():
    from simcrm.spec.registry import DEFAULT_SOURCES, REQUIRED

    for key, p in list(ALL_PARAMS.items()) + list(setting_params().items()):
        d = p.default
        if d is REQUIRED or d is None or isinstance(d, (bool, str, list)) or d in (0, 1):
            continue
        assert p.source or key in DEFAULT_SOURCES, f"{key} = {d} has no source"


def test_every_table_row_has_six_cells():
    """A ``|`` inside a cell (``true | false``) must not split it into two."""
    import re

    rows, in_table = 0, False
    for line in render().splitlines():
        if line.startswith("| key | unit | default | allowed | uncertain | description |"):
            in_table = True
        elif not line.startswith("|"):
            in_table = False
        elif in_table and line.startswith("| `"):
            rows += 1
            cells = re.split(r"(?<!\\)\|", line.strip())[1:-1]
            assert len(cells) == 6, line
    assert rows > 50


def test_json_schema_accepts_every_library_file_and_refuses_a_typo():
    import tomllib

    import pytest

    jsonschema = pytest.importorskip("jsonschema")
    from simcrm.spec.reference import json_schema

    v = jsonschema.Draft202012Validator(json_schema())
    for f in sorted((Path(__file__).parents[1] / "scenarios").glob("*.toml")):
        errors = list(v.iter_errors(tomllib.loads(f.read_text(encoding="utf-8"))))
        assert not errors, (f.name, [e.message for e in errors[:3]])
    bad = {"plant": {"capex_mur": 5}, "finance": {"tax_rate": 2}}
    messages = " ".join(e.message for e in v.iter_errors(bad))
    assert "capex_mur" in messages and "2" in messages


def test_no_reference_outside_the_repository():
    root = Path(__file__).parents[1]
    files = [root / "README.md", *root.glob("docs/*.md"),
             *(p for p in root.glob("scenarios/**/*") if p.is_file()),
             root / "simcrm" / "spec" / "registry.py"]
    for f in files:
        text = f.read_text(encoding="utf-8")
        # spelt in pieces so that this test does not itself point outside the repository
        for bad in ("/work/", "shared/" + "domain-" + "brief", "../" + "shared", "brief" + " §"):
            lines = [ln for ln in text.splitlines() if bad in ln and "description" not in ln]
            assert not lines, (f.name, bad, lines[:2])
