"""Command line: a thin face over the Python API.

Every user mistake (a bad scenario, a missing file, an existing results folder)
ends in one clear message and exit code 2, never a traceback.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

import click

from simcrm._lazy import lazy_import
from simcrm._version import __version__

# Every module below pandas, xarray, scipy or numba loads on first use, so `simcrm --help`
# and `simcrm list` start in about 0.2 s and `simcrm validate` in about 0.8 s (python -X
# importtime, 2-core host; 1.1 s and more for every command when they were imported here).
# The report (matplotlib and seaborn) is the largest of them: only `run` (with charts) and
# `report` need it.
pd = lazy_import("pandas")
xr = lazy_import("xarray")
sens = lazy_import("simcrm.analysis.sensitivity")
summ = lazy_import("simcrm.analysis.summary")
benchm = lazy_import("simcrm.bench")
dataset = lazy_import("simcrm.engine.dataset")
engine = lazy_import("simcrm.engine.run")
rio = lazy_import("simcrm.io.results")
spec = lazy_import("simcrm.spec.scenario")
report_module = lazy_import("simcrm.present.report")
parallel = lazy_import("simcrm.engine.parallel")
gapm = lazy_import("simcrm.analysis.gap")

EXIT_USAGE = 2
QUICK_DRAWS = 2000
# Measured with `simcrm bench` on the 2-core development machine (README "Speed and
# scale"): cash-flow cells (option × world × draw × year) per second, and the charts
# and report of a run (seconds), for the time a run announces before it starts.
CELLS_PER_SECOND = {1: 8.0e6, 2: 12.0e6}
REPORT_SECONDS = 30
EXIT_CLUSTER_LOST = 3
"""The dask scheduler or every worker was lost (or never reached); nothing was written."""
MEMORY_SHARE = 0.9
"""A run may plan to use at most this share of the memory available to it."""


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_USAGE)


def _load(path: str, allow_partial: bool = False):
    try:
        return spec.load_scenario(path, allow_partial=allow_partial)
    except spec.ScenarioError as e:
        _report_problems(path, e.problems)


def _report_problems(path, problems) -> None:
    """One line per problem (a single problem is a single line); exit code 2."""
    if len(problems) == 1:
        click.echo(f"error: {problems[0]}", err=True)
    else:
        click.echo(f"error: {path}: {len(problems)} problems in the scenario:", err=True)
        for p in problems:
            click.echo(f"  {p}", err=True)
    sys.exit(EXIT_USAGE)


class _Group(click.Group):
    """Turns an unexpected internal error into a short message instead of a traceback
    (set SIMCRM_DEBUG=1 to see the traceback)."""

    def invoke(self, ctx):
        previous = None
        if not os.environ.get("SIMCRM_DEBUG"):
            # numbers that overflow are counted and explained (nonfinite_draws), not
            # warned about by numpy in words an analyst cannot act on
            warnings.filterwarnings("ignore", category=RuntimeWarning)
        if threading.current_thread() is threading.main_thread():
            # SIGTERM ends a run as Ctrl-C does: staging folder removed, nothing written
            _SIGNALLED.clear()
            previous = signal.signal(signal.SIGTERM, _terminate)
            previous_int = signal.signal(signal.SIGINT, _terminate)
            previous_hook, sys.unraisablehook = sys.unraisablehook, _unraisable
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            _interrupted()
        except parallel.ClusterLost as e:
            click.echo(f"error: {e}; the run stopped and nothing was written. Start the "
                       "cluster again and rerun, or run without --scheduler to compute "
                       "locally", err=True)
            sys.exit(EXIT_CLUSTER_LOST)
        except MemoryError:
            click.echo("error: out of memory: lower --draws or --keep-cashflows, or use a "
                       "smaller --chunk-size", err=True)
            sys.exit(1)
        except OSError as e:
            click.echo(f"error: {e.strerror or e}: {e.filename or ''}".rstrip(": "), err=True)
            sys.exit(EXIT_USAGE)
        except Exception as e:  # noqa: BLE001 - the last line of defence for users
            if _SIGNALLED.is_set():
                # the interrupt came while a library held the thread (numba compiling a
                # kernel swallows it and fails with its own error): it is still Ctrl-C
                _interrupted()
            if os.environ.get("SIMCRM_DEBUG"):
                raise
            click.echo(f"error: simcrm hit an internal error ({e.__class__.__name__}: {e}). "
                       "This is a bug, not a problem with your input; please report it with "
                       "the scenario file. Run with SIMCRM_DEBUG=1 for details.", err=True)
            sys.exit(1)
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
                signal.signal(signal.SIGINT, previous_int)
                sys.unraisablehook = previous_hook


_SIGNALLED = threading.Event()
"""Set when Ctrl-C or SIGTERM arrived during the command."""


def _terminate(signum, frame):
    _SIGNALLED.set()
    raise KeyboardInterrupt


def _interrupted(code: int = 130) -> None:
    """End a command that Ctrl-C or SIGTERM interrupted (its staging folder is gone by
    now): one line, exit code ``code``.  After a signal the process ends at once, as
    :func:`simcrm.io.results._exit_on_signal` does: an interrupt inside numba's LLVM
    layer can leave objects whose clean-up at interpreter exit prints tracebacks or
    crashes."""
    click.echo("error: interrupted; nothing was written", err=True)
    if not _SIGNALLED.is_set():
        sys.exit(code)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _unraisable(u) -> None:
    """Python's report of an exception it could not raise (in a ``__del__`` or a ctypes
    callback, where numba's LLVM layer may be when Ctrl-C comes), without the traceback
    for the interrupt itself: the run notices it at its next chunk."""
    if isinstance(u.exc_value, KeyboardInterrupt) and _SIGNALLED.is_set():
        return
    sys.__unraisablehook__(u)


class _Progress:
    """A progress bar that appears only for runs that take more than a few seconds."""

    def __init__(self, label: str, enabled: bool):
        self.label, self.enabled = label, enabled
        self.bar = None
        self.t0 = time.perf_counter()
        self.last = 0

    def __call__(self, done: int, total: int) -> None:
        if _SIGNALLED.is_set():  # an interrupt a library swallowed (numba's LLVM callbacks)
            raise KeyboardInterrupt
        if not self.enabled:
            return
        if self.bar is None:
            elapsed = time.perf_counter() - self.t0
            if done >= total or elapsed * total / max(done, 1) < 3.0:
                return
            self.bar = click.progressbar(length=total, label=self.label, show_eta=True,
                                         show_percent=True, file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.last)
        self.last = done

    def start(self, total: int, expected_seconds: float = 0.0) -> None:
        """Show the bar at once (before the first chunk) when the run is expected to take
        more than a few seconds."""
        if self.enabled and self.bar is None and expected_seconds > 3.0:
            self.bar = click.progressbar(length=total, label=self.label, show_eta=True,
                                         show_percent=True, file=sys.stderr)
            self.bar.__enter__()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.render_finish()


def _expected_seconds(sc, draws: int, workers: int | None) -> float:
    """Simulation time the run should take on the development machine [s]."""
    cells = (draws * len(sc.options) * len(sc.worlds)
             * int(sc.settings["simulation.horizon_years"]))
    cores = workers or (min(os.cpu_count() or 1, 2) if cells > 20e6 else 1)
    return cells / CELLS_PER_SECOND[min(cores, 2)]


def _expected_time(sc, draws: int, workers: int | None, charts: bool) -> str:
    sim = _expected_seconds(sc, draws, workers)
    text = f"expected time: about {max(sim, 1):.0f} s to simulate"
    if charts:
        text += f", then about {REPORT_SECONDS} s for charts and report (--quick skips them)"
    return text + " (measured on a 2-core laptop-class machine)"


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="simcrm")
def main() -> None:
    """simcrm: what do policy options do to the business case of a critical-raw-material
    processing plant in the Netherlands, and what do they cost the government?"""


@main.command()
@click.argument("scenario_file", type=click.Path(dir_okay=False))
def validate(scenario_file: str) -> None:
    """Check a scenario file and list every problem found."""
    sc = _load(scenario_file, allow_partial=True)
    n_unc = len(sc.uncertain_keys)
    if sc.partial:
        click.echo(f"{scenario_file}: valid partial file (for `extends`) — "
                   f"{len(sc.worlds) - 1} world(s), {len(sc.options) - 1} option(s)")
        return
    click.echo(f"{scenario_file}: valid — {len(sc.worlds)} world(s), {len(sc.options)} "
               f"option(s), {n_unc} uncertain input(s)")


@main.command()
@click.argument("scenario_file", type=click.Path(dir_okay=False))
@click.option("--draws", type=click.IntRange(min=1), help="Number of draws (overrides the file).")
@click.option("--seed", type=click.IntRange(min=0), help="Random seed (overrides the file).")
@click.option("--out", type=click.Path(file_okay=False), help="Results folder "
              "(default: results/<scenario file name>).")
@click.option("--chunk-size", type=click.IntRange(min=1), default=None,
              help="Draws per chunk; rounded up to whole blocks of 1024. Does not change results.")
@click.option("--keep-cashflows", type=click.IntRange(min=0), default=1000, show_default=True,
              help="Keep yearly cash flows of this many draws in cashflows.nc.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Local workers (threads; default: all cores for runs of more than "
              "20 M cash-flow cells, else 1).")
@click.option("--scheduler", default=None, help="dask.distributed scheduler address, "
              "e.g. tcp://host:8786, or 'threads'/'processes' for local dask workers.")
@click.option("--precision", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Add draws until the standard error of P(NPV>0) of every option × world "
              "is below this (e.g. 0.005); --draws is then ignored.")
@click.option("--max-draws", type=click.IntRange(min=1), default=None,
              help="Most draws of a --precision run (default: 10,000,000).")
@click.option("--force", is_flag=True, help="Replace an existing results folder that simcrm "
              "wrote (never a folder of yours).")
@click.option("--no-charts", is_flag=True, help="Do not draw charts or the report.")
@click.option("--lang", type=click.Choice(["nl", "en"]), default=None,
              help="Language of charts and report (default: [report] lang in the scenario).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar or table.")
@click.option("--quick", is_flag=True, help=f"A first look: {QUICK_DRAWS:,} draws (unless "
              "--draws is given), no charts or report.")
def run(scenario_file, draws, seed, out, chunk_size, keep_cashflows, workers, scheduler,
        precision, max_draws, force, no_charts, lang, quiet, quick) -> None:
    """Simulate every policy option in every world and write the results folder."""
    if quick:
        draws, no_charts = draws or QUICK_DRAWS, True
    sc = _load(scenario_file)
    out_dir = Path(out) if out else rio.default_out_dir(scenario_file, sc.name)
    try:
        sc = sc.with_settings(**{k: v for k, v in (("draws", draws), ("seed", seed))
                                 if v is not None})
    except spec.ScenarioError as e:
        _fail(str(e))
    n = sc.settings["simulation.draws"]
    try:
        parallel.check_scheduler(scheduler)
    except ValueError as e:
        _fail(str(e))
    _check_memory(sc, precision, max_draws, keep_cashflows, chunk_size, workers,
                  charts=not no_charts)
    folder = None
    try:
        folder = rio.ResultsFolder(out_dir, force)  # refuses a target it may not write, up front
        with folder:
            for p in folder.removed_stale:
                click.echo(f"note: removed {p.name}, left by an interrupted run", err=True)
            if not quiet:
                click.echo(f"simcrm {__version__}: {sc.name} — {n:,} draws × {len(sc.options)} "
                           f"options × {len(sc.worlds)} worlds, seed "
                           f"{sc.settings['simulation.seed']}", err=True)
                click.echo(_expected_time(sc, n, workers, not no_charts), err=True)
            bar = _Progress("simulating", not quiet)
            bar.start(n, _expected_seconds(sc, n, workers))
            try:
                res = engine.simulate(sc, chunk_size=chunk_size,
                                      keep_cashflows=keep_cashflows, progress=bar,
                                      workers=workers, scheduler=scheduler,
                                      precision=precision, max_draws=max_draws,
                                      stream_dir=folder.staging)
            except spec.ScenarioError as e:
                _fail(str(e))
            except RuntimeError as e:  # the streamed file (HDF5) could not be written
                if isinstance(e, parallel.ClusterLost) or "HDF" not in str(e) and \
                        "NetCDF" not in str(e):
                    raise
                raise rio.write_failure(out_dir, folder.staging, e) from None
            finally:
                bar.close()
            extra = None
            if not no_charts:
                def extra(path):
                    report_module.write_report(path, res.results, lang=lang, scenario=res.scenario)
            folder.write(res, extra)
            folder.commit()
    except rio.OutputExistsError as e:
        _fail(str(e))
    except KeyboardInterrupt:
        if folder is not None and folder.committed:  # the signal came after the rename
            click.echo(f"error: interrupted; the results were written to {out_dir}/ in full",
                       err=True)
            sys.exit(130)
        _interrupted(EXIT_USAGE)
    summary = res.summary  # computed by the run (from the file if streamed)
    n = res.results.sizes["draw"]
    if not quiet:
        click.echo(summ.format_table(summ.summary_table(summary)))
        click.echo("\n" + report_module.key_message_of(res.results, summary, lang))
        click.echo(f"\n{summary.attrs['decision_rule']}; deadline year for production: "
                   f"{res.results.attrs['decision_production_deadline_year']}")
        note = res.results.attrs.get("precision_note", "")
        if note:
            click.echo(f"note: {note}", err=True)
        bad = int(summ.nonfinite_counts(res.results).sum())
        if bad:
            click.echo(f"note: {bad:,} option × world × draw cases have a result that is not a "
                       "finite number (NaN or infinite: an input at an extreme of its range "
                       "overflowed the arithmetic); statistics that include them are NaN. They "
                       "are counted per option and world in summary.csv (nonfinite_draws); "
                       "check the inputs of those options and worlds.", err=True)
        und = int(summary["irr_undefined"].sum())
        if und:
            click.echo(f"{und:,} option × world × draw cases have no IRR (the plant is not "
                       "built, or its cash flow never turns positive enough); they are left "
                       "out of the mean IRR.")
        rate = n * len(sc.options) * len(sc.worlds) * sc.settings["simulation.horizon_years"]
        click.echo(f"{res.seconds:.1f} s ({rate / max(res.seconds, 1e-9) / 1e6:.1f} M cash-flow "
                   f"cells/s); results in {out_dir}/")


def _check_memory(sc, precision, max_draws, keep, chunk_size, workers, charts: bool) -> None:
    """Refuse, before simulating, a run that would need more memory than is available."""
    draws = (max_draws or 10_000_000) if precision else sc.settings["simulation.draws"]
    need = engine.estimate_memory(sc, draws=min(draws, 4 * 1024) if precision else draws,
                           keep_cashflows=keep, chunk_size=chunk_size, workers=workers,
                           charts=charts)
    have = engine.available_memory()
    if have is None or need["total"] <= MEMORY_SHARE * have:
        return
    gb = lambda b: f"{b / 2**30:.1f} GB"  # noqa: E731
    parts = [f"{k} {gb(v)}" for k, v in need.items() if k not in ("total", "process")
             and v >= 2**27]
    advice = []
    if need["charts"] > 0.3 * need["total"]:
        advice.append(f"--no-charts (the charts of {len(sc.options)} options × "
                      f"{len(sc.worlds)} worlds need {gb(need['charts'])}; draw them later "
                      "for fewer options)")
    advice += [f"fewer --draws (now {int(draws):,})",
               f"fewer options (now {len(sc.options)})"]
    if need["cashflows"] > 0.1 * need["total"]:
        advice.append(f"a smaller --keep-cashflows (now {keep:,})")
    _fail(f"this run needs about {gb(need['total'])} of memory ({', '.join(parts)}) but "
          f"only {gb(have)} is available; nothing was simulated. Use "
          + ", or ".join(advice))


@main.command()
@click.argument("results_dir", type=click.Path(file_okay=False))
@click.option("--lang", type=click.Choice(["nl", "en"]), default=None,
              help="Language of charts and report (default: the scenario's [report] lang).")
def report(results_dir: str, lang: str | None) -> None:
    """Redraw the charts and report.html of a results folder from its results.nc."""
    folder = Path(results_dir)
    try:
        rio.open_results(folder).close()  # whole, readable and simcrm's: else one line
    except rio.ResultsFileError as e:
        _fail(str(e))
    t0 = time.perf_counter()
    path = report_module.write_report(folder, None, lang=lang)
    click.echo(f"report written: {path} (charts in {folder / 'charts'}/en and /nl, "
               f"{time.perf_counter() - t0:.1f} s)")


@main.command()
@click.argument("source", type=click.Path(exists=True))
@click.option("--option", "option", default=None, help="Option (default: every option).")
@click.option("--world", default="base", show_default=True, help="World.")
@click.option("--n", "n", type=click.IntRange(min=2), default=1024, show_default=True,
              help="Sobol' base sample N, a power of two; N·(D+2) model runs per option.")
@click.option("--markets", type=click.Choice(["grouped", "fixed"]), default="grouped",
              show_default=True, help="Market shocks as grouped factors, or held on their "
              "expected paths.")
@click.option("--second-order", is_flag=True, help="Also second-order indices (N·(2D+2) runs).")
@click.option("--seed", type=click.IntRange(min=0), default=None, help="Seed of the design.")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Folder for the CSV table (default: only print).")
@click.option("--force", is_flag=True, help="Replace an existing table.")
def sensitivity(source, option, world, n, markets, second_order, seed, out, force) -> None:
    """What drives NPV: Sobol' indices of a scenario file, or Spearman/PRCC of a results
    folder (or results.nc)."""
    path = Path(source)
    if path.is_dir():
        path = path / "results.nc"
    if path.suffix == ".nc":
        if not path.is_file():
            _fail(f"{path} not found: give a scenario file or a folder written by `simcrm run`")
        try:
            with rio.open_results(path) as f:
                ds = f.load()
        except rio.ResultsFileError as e:
            _fail(str(e))
        opts = [option] if option else [str(o) for o in ds["option"].values]
        for o in opts:
            if o not in ds["option"].values:
                _fail(f"unknown option {o!r}; the results have "
                      f"{', '.join(map(str, ds['option'].values))}")
        if world not in ds["world"].values:
            _fail(f"unknown world {world!r}; the results have "
                  f"{', '.join(map(str, ds['world'].values))}")
        df = pd.concat([sens.rank_table(ds, o, world).assign(option=o, world=world) for o in opts],
                       ignore_index=True)
        df = df[["option", "world"] + [c for c in df.columns if c not in ("option", "world")]]
        name = "sensitivity-rank.csv"
        shown = df.drop(columns=["long_name", "units"])
        header = (f"Spearman rho and partial rank correlation (PRCC) of NPV with the sampled "
                  f"inputs, {ds.sizes['draw']:,} draws, world {world}; 95 % intervals")
    else:
        sc = _load(source)
        try:
            res = sens.sobol(sc, world, [option] if option else None, n=n, seed=seed,
                        markets=markets, calc_second_order=second_order)
        except ValueError as e:
            _fail(str(e))
        df = sens.sobol_table(res)
        df.insert(1, "world", world)
        name = "sensitivity-sobol.csv"
        shown = df.drop(columns=["long_name"])
        header = (f"Sobol' indices of NPV, world {world}: N = {res.attrs['N']}, "
                  f"{res.attrs['evaluations']:,} model runs per option, "
                  f"{int(res.attrs['conf_level'] * 100)} % bootstrap intervals (±). "
                  f"Note: {res.attrs['note']}.")
    click.echo(header)
    with pd.option_context("display.width", 140, "display.max_rows", 500,
                           "display.max_columns", 20, "display.float_format", "{:.3f}".format):
        click.echo(shown.to_string(index=False))
    if out:
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / name
        if target.exists() and not force:
            _fail(f"{target} already exists; use --force to replace it")
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
        os.close(fd)
        df.to_csv(tmp, index=False)
        os.replace(tmp, target)
        click.echo(f"table written: {target}")


GAP_SECONDS_PER_KDRAW = 0.5
"""Seconds one search of ``simcrm gap`` takes per 1 000 draws (measured on the 2-core
development machine: 36 s for the 18 searches of the default scenario's base world at
4 096 draws), for the time it announces."""


@main.command()
@click.argument("scenario_file", type=click.Path(dir_okay=False))
@click.option("--draws", type=click.IntRange(min=2), default=None,
              help="Draws per search (default: 4,096, or the scenario's if fewer).")
@click.option("--seed", type=click.IntRange(min=0), help="Random seed (overrides the file).")
@click.option("--worlds", default=None,
              help="Worlds, separated by commas (default: every world).")
@click.option("--target-p-built", type=click.FloatRange(min=0, max=1, min_open=True),
              default=0.5, show_default=True,
              help="The P(built) the second search aims at.")
@click.option("--out", type=click.Path(file_okay=False), help="Results folder to add gap.csv "
              "to (default: results/<scenario file name>, the folder of `simcrm run`).")
@click.option("--force", is_flag=True, help="Replace an existing gap.csv.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar or table.")
def gap(scenario_file, draws, seed, worlds, target_p_built, out, force, quiet) -> None:
    """The funding gap: the smallest intensity of each lever (grant share, subsidy, strike
    price, loan share ...) at which the expected NPV at the hurdle reaches zero, and at
    which P(built) reaches a target; writes gap.csv."""
    sc = _load(scenario_file)
    out_dir = Path(out) if out else rio.default_out_dir(scenario_file, sc.name)
    if seed is not None:
        sc = sc.with_settings(seed=seed)
    names = list(sc.worlds)
    if worlds is not None:
        names = [w.strip() for w in worlds.split(",") if w.strip()]
        bad = [w for w in names if w not in sc.worlds]
        if bad or not names:
            _fail(f"--worlds: unknown world {', '.join(map(repr, bad)) or '(none given)'}; "
                  f"{scenario_file} has {', '.join(sc.worlds)}")
    ts = gapm.templates(sc)
    if not ts:
        _fail(f"{scenario_file}: no option has a lever with an intensity (a grant share, a "
              "subsidy per tonne, a strike price, a loan share ...), so there is no "
              "funding gap to find")
    n = draws or min(gapm.GAP_DRAWS, int(sc.settings["simulation.draws"]))
    try:
        rio.check_add_file(out_dir, "gap.csv", force)
    except rio.OutputExistsError as e:
        _fail(str(e))
    total = len(ts) * len(names) * 2
    if not quiet:
        secs = total * n / 1000 * GAP_SECONDS_PER_KDRAW
        click.echo(f"simcrm {__version__}: funding gap of {sc.name} — {len(ts)} option "
                   f"template(s) × {len(names)} world(s) × 2 targets, {n:,} draws, seed "
                   f"{sc.settings['simulation.seed']}; expected time: about {max(secs, 1):.0f} s "
                   "(measured on a 2-core laptop-class machine)", err=True)
    bar = _Progress("searching", not quiet)
    bar.start(total, total * n / 1000 * GAP_SECONDS_PER_KDRAW)
    t0 = time.perf_counter()
    try:
        df = gapm.gap_table(sc, names, target_p_built, n, progress=bar, only=ts)
    finally:
        bar.close()
    seconds = time.perf_counter() - t0
    try:
        path = rio.add_file(out_dir, "gap.csv", lambda p: gapm.csv_header(df).to_csv(
            p, index=False, float_format="%.6g"), force)
    except rio.OutputExistsError as e:
        _fail(str(e))
    if not quiet:
        click.echo(gapm.format_table(df))
        click.echo(f"\n{seconds:.1f} s; table in {path} (units in its header; `simcrm report "
                   f"{out_dir}` adds it to the report of a run)")


@main.command()
@click.option("--scenario", "scenario_file", type=click.Path(dir_okay=False), default=None,
              help="Scenario to time (default: scenarios/benchmark.toml).")
@click.option("--draws", type=click.IntRange(min=1), default=None,
              help="Draws (default: the benchmark scenario's 200,000).")
@click.option("--chunk-size", type=click.IntRange(min=1), default=None,
              help="Draws per chunk (default: the engine's).")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Local workers (threads; default: all cores for big runs, else 1).")
@click.option("--scheduler", default=None, help="dask.distributed scheduler address, "
              "e.g. tcp://host:8786, or 'threads'/'processes'.")
@click.option("--single", type=click.IntRange(min=0), default=200, show_default=True,
              help="Single-draw evaluations timed for the one-at-a-time comparison.")
@click.option("--post-draws", type=click.IntRange(min=0), default=None,
              help="Draws of the run whose post-processing (writing the results folder) "
              "is timed as the fixed cost (default: 20,000, or --draws if fewer); 0 leaves "
              "it out.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def bench(scenario_file, draws, chunk_size, workers, scheduler, single, post_draws,
          as_json) -> None:
    """Time the benchmark scenario: cells per CPU- and wall-second, the shares of IRR and
    break-even, the fixed cost of a run, the speed-up over one draw at a time, and with
    --workers 2 or more the engine's speed on dask worker processes."""
    bar = _Progress("benchmark", not as_json)
    try:
        r = benchm.run_bench(scenario_file, draws=draws, chunk_size=chunk_size, workers=workers,
                             scheduler=scheduler, single=single, progress=bar,
                             post_draws=post_draws)
    except KeyboardInterrupt:
        bar.close()
        _fail("interrupted")
    bar.close()
    click.echo(json.dumps(r, indent=2) if as_json else benchm.format_bench(r))


@main.command()
@click.argument("name")
@click.option("--from", "archetype", default="lithium-hydroxide-refinery", show_default=True,
              help="The example scenario to start from (`simcrm list` shows them).")
@click.option("--force", is_flag=True, help="Replace an existing file.")
def init(name: str, archetype: str, force: bool) -> None:
    """Write NAME.toml: a commented starting scenario, copied from an example scenario,
    that builds on the packaged worlds and policy options (works outside the repository)."""
    from simcrm.spec.library import starting_scenario

    target = Path(name if name.endswith(".toml") else f"{name}.toml")
    if target.exists() and not force:
        _fail(f"{target} already exists; use --force to replace it")
    try:
        text = starting_scenario(archetype, target.stem)
    except FileNotFoundError as e:
        _fail(str(e))
    target.write_text(text, encoding="utf-8")
    click.echo(f"wrote {target} (from {archetype}). Next: simcrm validate {target}; "
               f"simcrm run {target} --quick")


@main.command(name="list")
def list_() -> None:
    """The example scenarios (archetypes), worlds, policy options and levers."""
    from simcrm.levers import LEVERS
    from simcrm.spec import library

    def block(title: str, entries, hint: str) -> None:
        click.echo(f"{title} ({hint}):")
        width = max((len(e[0]) for e in entries), default=0)
        for name, label in entries:
            click.echo(f"  {name:<{width}}  {label}")
        click.echo("")

    block("Archetypes", [(e.name, e.description.split(" (")[0])
                         for e in library.archetypes()],
          "simcrm init NAME --from ARCHETYPE")
    block("Worlds", [(e.name, e.label) for e in library.worlds()],
          'extends = ["simcrm:worlds"]')
    block("Options", [(e.name, e.label) for e in library.options()],
          'extends = ["simcrm:tno-levers"]')
    block("Levers", [(lv.name, lv.label_en) for lv in LEVERS.values()],
          "[options.NAME.LEVER] tables")


@main.command()
@click.option("--out", type=click.Path(dir_okay=False), default="simcrm-scenario.schema.json",
              show_default=True, help="File to write ('-' prints it).")
def schema(out: str) -> None:
    """Write the JSON Schema of scenario files, for editors (Even Better TOML, taplo)."""
    from simcrm.spec.reference import json_schema

    text = json.dumps(json_schema(), indent=1, ensure_ascii=False) + "\n"
    if out == "-":
        click.echo(text, nl=False)
        return
    Path(out).write_text(text, encoding="utf-8")
    click.echo(f"wrote {out}; put `#:schema ./{Path(out).name}` on the first line of a "
               "scenario file (or see the README for a taplo config)")



@main.command()
@click.argument("scenario_file", type=click.Path(dir_okay=False))
@click.option("--sites", "site_list", default="nl,de,be,fr", show_default=True,
              help="Site profiles, comma-separated: shipped names or paths of .toml files.")
@click.option("--draws", type=click.IntRange(min=1), help="Number of draws (overrides the file).")
@click.option("--seed", type=click.IntRange(min=0), help="Random seed (overrides the file).")
@click.option("--measure", type=click.Choice(["npv_mean", "base_npv"]), default="npv_mean",
              show_default=True, help="What 'best' and the gap waterfall use: the mean NPV of "
              "the draws or the NPV of the deterministic base case (plant built).")
@click.option("--world", default="base", show_default=True, help="World of the charts.")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Folder for sites.csv, the charts (en, nl) and sites.html.")
@click.option("--lang", type=click.Choice(["nl", "en"]), default="en", show_default=True,
              help="Language of the terminal table.")
@click.option("--no-close", is_flag=True, default=False,
              help="Skip what closes the gap (the funding-gap search per Dutch lever).")
def sites(scenario_file, site_list, draws, seed, measure, world, out, lang, no_close) -> None:
    """Where would the investor build? The same plant at each site (common random
    numbers), the reference site's (nl) gap to the best other site, by cause, and the
    smallest intensity of each of the scenario's levers that closes the gap in --world."""
    from simcrm.analysis import sites as site_analysis
    from simcrm.present import sites_charts
    from simcrm.spec import sites as site_spec

    sc = _load(scenario_file)
    names = [n.strip() for n in site_list.split(",") if n.strip()]
    try:
        for n in names:  # every profile checked before any run
            site_spec.load_site(n)
        if world not in sc.worlds:
            _fail(f"--world: unknown world {world!r}; the scenario has "
                  + ", ".join(sc.worlds))
        comp = site_analysis.compare(sc, names, draws=draws, seed=seed, measure=measure,
                                     progress=lambda m: click.echo(f"  running {m}", err=True))
    except spec.ScenarioError as e:
        _report_problems(site_list, e.problems)
    except ValueError as e:
        _fail(f"--sites: {e}")
    for w in comp.world_labels:
        label = comp.world_labels[w][lang == "nl"]
        click.echo(f"\n{label} ({w})")
        click.echo(sites_charts.table_text(comp, w, lang))
        click.echo(sites_charts.waterfall_text(comp, w, lang))
    if no_close:
        closing = None
    else:
        closing = site_analysis.closing_levers(
            comp, sc, world, progress=lambda m: click.echo(f"  {m}", err=True))
        click.echo(f"\n{sites_charts.WORDS['cost'][lang == 'nl']} ({world})")
        click.echo(sites_charts.closing_text(closing, lang) if len(closing) else
                   sites_charts.WORDS["pending"][lang == "nl"])
    if out:
        files = sites_charts.write_report(out, comp, closing, world)
        click.echo(f"wrote {len(files)} files to {out}")



@main.command()
@click.argument("portfolio_file", type=click.Path(dir_okay=False))
@click.option("--draws", type=click.IntRange(min=1), help="Number of draws (overrides the file).")
@click.option("--seed", type=click.IntRange(min=0), help="Random seed (overrides the file).")
@click.option("--world", default=None, help="World of the allocation (default: the file's).")
@click.option("--alpha", type=click.FloatRange(0, 1), default=None,
              help="Chance constraint: largest share of draws above an envelope (1 = off).")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Results folder: portfolio.nc, the tables as CSV, charts (en, nl) and "
              "portfolio.html.")
@click.option("--force", is_flag=True, help="Replace an existing simcrm results folder.")
def portfolio(portfolio_file, draws, seed, world, alpha, out, force) -> None:
    """The national view: candidate plants on common random numbers, what the country
    gets by year, and the best option per plant under the budget envelopes (an exact
    mixed-integer programme: optimal for the model and the menus given)."""
    from simcrm.analysis import portfolio as pfa
    from simcrm.present import portfolio_charts as pcharts
    from simcrm.spec import portfolio as pfs

    try:
        pf = pfs.load_portfolio(portfolio_file)
    except spec.ScenarioError as e:
        _report_problems(portfolio_file, e.problems)
    if world is not None and world not in pf.worlds:
        _fail(f"--world: unknown world {world!r}; the portfolio has " + ", ".join(pf.worlds))
    folder = rio.ResultsFolder(out, force) if out else None
    res = pfa.simulate_portfolio(pf, draws=draws, seed=seed,
                                 progress=lambda p: click.echo(f"  running {p}", err=True))
    rep = pfa.report(res, world, alpha)
    a = rep["allocation_obj"]
    click.echo(f"\n{pf.name}: {len(pf.plants)} plants, {res.ds.sizes['draw']:,} draws, "
               f"{res.seconds:.0f} s")
    click.echo("\nAllocation (optimal for the model and the menus given; "
               f"{pf.allocation['objective']}, world {world or pf.allocation['world']}):")
    for r in rep["allocation"]:
        click.echo(f"  {r['plant']:<22} {r['option']:<20} gain {r['gain']:.4f}")
    click.echo(f"  objective {a.objective:.4f}; share of draws above an envelope "
               f"{a.exceed_share:.1%}; solver: {a.status}")
    w = world or pf.allocation["world"]
    meta = pcharts.meta_of(res.ds, pf, w)
    if rep["market"]:
        click.echo("\n" + "\n".join(pcharts.market_lines(rep, pf)))
    click.echo("\nWhat the charts say:")
    for msg in pcharts.findings(rep, pf).values():
        click.echo(f"  {msg}")
    click.echo("\nFrontier (pooled MEUR/yr → objective):")
    for r in rep["frontier"]:
        click.echo(f"  {r['pooled_meur_per_yr']:>7,.0f}  {r['objective']:.4f}")
    if folder is not None:
        with folder:
            res.ds.to_netcdf(folder.staging / "portfolio.nc")
            for k in ("capacity_baseline", "capacity_allocated", "budget_allocated",
                      "allocation", "frontier", *(["market"] if rep["market"] else [])):
                pd.DataFrame(rep[k]).to_csv(folder.staging / f"{k}.csv", index=False)
            pcharts.write_report(folder.staging, rep, pf, meta)
            folder.commit()
        click.echo(f"wrote {out}")


if __name__ == "__main__":  # pragma: no cover
    main()
