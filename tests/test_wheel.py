"""The built wheel, installed in a fresh venv outside the repository, runs the first hour
of a new user: init, validate, run --quick, bench (small).

The venv reuses the installed dependencies (``--system-site-packages`` on top of the
interpreter running the tests) and installs only the wheel (``--no-deps``), so the test
needs no network and takes seconds.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [pytest.mark.wheel, pytest.mark.slow]  # 15-25 s; `make test` runs it


def _run(args, cwd, env):
    r = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, f"{args}: {r.stdout}\n{r.stderr}"
    return r


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    pytest.importorskip("build", reason="the `build` package builds the wheel")
    cmd = [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(ROOT)]
    try:
        import setuptools
        if int(setuptools.__version__.split(".")[0]) >= 68:
            cmd.insert(4, "--no-isolation")  # no download of the build back end
    except ImportError:  # pragma: no cover
        pass
    _run(cmd, ROOT, os.environ.copy())
    return next(out.glob("simcrm-*.whl"))


def test_wheel_holds_the_scenario_library(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for f in sorted((ROOT / "scenarios").glob("*.toml")):
        assert f"simcrm/data/scenarios/{f.name}" in names


def test_installed_wheel_runs_outside_the_repository(wheel, tmp_path):
    venv = tmp_path / "venv"
    base = Path(sys.prefix)
    _run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)],
         tmp_path, os.environ.copy())
    py = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    # the interpreter of the tests may itself be a venv: see its packages too, but not the
    # editable install of this repository
    site = next((base / "lib").glob("python3*/site-packages"))
    pth = next((venv / "lib").glob("python3*/site-packages")) / "_deps.pth"
    pth.write_text(f"{site}\n")
    _run([sys.executable, "-m", "pip", "--python", str(py), "install", "--quiet", "--no-deps",
          "--no-index", str(wheel)], tmp_path, env)
    work = tmp_path / "analyst"
    work.mkdir()
    found = _run([str(py), "-c", "import simcrm, sys; print(simcrm.__file__)"], work, env)
    assert str(venv) in found.stdout, found.stdout  # the wheel, not the repository
    simcrm = [str(venv / "bin" / "simcrm")]  # the console script of the wheel
    _run(simcrm + ["init", "mine", "--from", "rare-earth-separation"], work, env)
    assert '"simcrm:worlds"' in (work / "mine.toml").read_text()
    _run(simcrm + ["validate", "mine.toml"], work, env)
    _run(simcrm + ["list"], work, env)
    r = _run(simcrm + ["run", "mine.toml", "--quick", "--draws", "1024", "--quiet"], work, env)
    assert (work / "results" / "mine" / "results.nc").is_file(), r.stderr
    assert (work / "results" / "mine" / "summary.csv").is_file()
    r = _run(simcrm + ["bench", "--draws", "1024", "--single", "2", "--json"], work, env)
    assert '"cells_per_second"' in r.stdout or "cells" in r.stdout
