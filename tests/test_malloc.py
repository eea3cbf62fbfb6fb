"""glibc's malloc thresholds: set by the command line, never against the user's own."""

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import simcrm.cli as cli
from simcrm._malloc import MALLOC_ENVIRON, tune_malloc
from simcrm.engine.parallel import WORKER_ENVIRON

BENCHMARK = Path(__file__).parents[1] / "scenarios" / "benchmark.toml"
glibc = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")


@glibc
def test_both_thresholds_are_set_on_glibc(monkeypatch):
    for name in MALLOC_ENVIRON:
        monkeypatch.delenv(name, raising=False)
    assert sorted(tune_malloc()) == sorted(MALLOC_ENVIRON)


@glibc
def test_a_threshold_the_user_set_is_left_alone(monkeypatch):
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "65536")
    assert tune_malloc() == ["MALLOC_MMAP_THRESHOLD_"]


def test_every_command_sets_them_and_the_workers_get_the_same(monkeypatch):
    calls = []
    monkeypatch.setattr(cli, "tune_malloc", lambda: calls.append(1) or [])
    out = CliRunner().invoke(cli.main, ["validate", str(BENCHMARK)])
    assert out.exit_code == 0, out.output
    assert calls == [1]
    assert {k: WORKER_ENVIRON[k] for k in MALLOC_ENVIRON} == MALLOC_ENVIRON
