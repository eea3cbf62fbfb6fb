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
