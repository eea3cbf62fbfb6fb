"""The outputs registry: every output simcrm writes is described once, and matches."""

from __future__ import annotations

import pytest

import simcrm
from simcrm.analysis.summary import TERMINAL_COLUMNS, decision_of, summarise, summary_table
from simcrm.spec import outputs
from simcrm.spec.names import cf_attrs
from simcrm.spec.registry import ALL_PARAMS

from .conftest import SMALL


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    p = tmp_path_factory.mktemp("outputs") / "o.toml"
    p.write_text(SMALL + "\n[options.grant.capex_grant]\nshare = 0.2\n", encoding="utf-8")
    return simcrm.simulate(simcrm.load_scenario(p), draws=200, keep_cashflows=5)


def test_metrics_match_the_model(run):
    assert set(outputs.METRICS) == {k for k, v in run.results.data_vars.items()
                                    if set(v.dims) == {"option", "world", "draw"}}
    for k in outputs.METRICS:
        assert run.results[k].attrs == cf_attrs(outputs.attrs(k))  # CF units, simcrm_units


def test_every_result_variable_and_line_is_described(run):
    for k, v in run.results.data_vars.items():
        if v.attrs.get("role") in ("input", "summary"):
            continue
        assert cf_attrs(outputs.attrs(k)) == {a: v.attrs[a] for a in
                                              ("units", "long_name", "simcrm_units")}, k
    for k, v in run.cashflows.data_vars.items():
        o = outputs.get(k)
        assert o.kind == "line", k
        assert cf_attrs(outputs.attrs(k)) == {a: v.attrs[a] for a in
                                              ("units", "long_name", "simcrm_units")}, k


def test_summary_reads_the_table(run):
    sm = summarise(run.results)
    # the statistics, then the state-aid verdict in words (text columns: English, Dutch)
    assert list(sm.data_vars) == [*outputs.STATISTICS, "state_aid_reason",
                                  "state_aid_reason_nl"]
    for k, v in sm.data_vars.items():
        assert dict(v.attrs) == outputs.attrs(k)
    cols = summary_table(sm).columns
    assert [c for c in cols if c in outputs.STATISTICS] == list(outputs.STATISTICS)
    for col, _ in TERMINAL_COLUMNS:
        assert col in outputs.OUTPUTS


def test_labels_headers_and_lever_lines():
    for o in outputs.OUTPUTS.values():
        assert o.kind in outputs.KINDS
        assert o.label_en and o.label_nl and o.long_name and o.description, o.name
    assert outputs.header("npv_mean", "en") == "Mean NPV [MEUR]"
    assert outputs.header("npv_mean", "nl") == "Gem. NCW [mln EUR]"
    assert outputs.header("p_production_by_deadline", "nl", deadline=2031) == \
        "Productie vóór eind 2031"
    assert outputs.short("p_production_by_deadline", deadline=2030) == "P(prod≤2030)"
    levers = {ln.lever for ln in outputs.lever_lines()}
    assert "capex_grant" in levers
    assert outputs.get("budget_cash_capex_grant").unit == "MEUR/yr"
    with pytest.raises(KeyError, match="did you mean 'npv_mean'"):
        outputs.get("npv_maen")
    md = outputs.reference_markdown()
    assert "`p_npv_pos`" in md and "`gov_outlays`" in md


def test_decision_defaults_come_from_the_registry(run):
    ds = run.results.copy()
    ds.attrs = {k: v for k, v in ds.attrs.items() if not k.startswith("decision_")}
    dec = decision_of(ds)
    for k, v in dec.items():
        assert v == ALL_PARAMS[f"decision.{k}"].default
        assert type(v) is type(ALL_PARAMS[f"decision.{k}"].default)
    ds.attrs["decision_production_deadline_year"] = 2033
    assert decision_of(ds)["production_deadline_year"] == 2033
