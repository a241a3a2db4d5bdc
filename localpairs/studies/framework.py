"""The one shape of a study, and the one output tail every study shares.

A study module ``localpairs/studies/<name>.py`` exposes ``STUDY = Study(...)``:

- ``validate(spec, system)``: every check beyond the pydantic schema (sections present and
  consistent with the model, memory of every sector the study will build). ``localpairs check``
  and ``localpairs run`` both call it, so ``check`` refuses whatever ``run`` would refuse.
- ``compute(ctx)``: all heavy work and every derived number, returned as :class:`Results`
  (a root :class:`xarray.Dataset` and optional named groups, written as netCDF groups).
- ``figures(results, outdir, title)``: PNG files drawn from the results; returns their names.
- ``report(results)``: the Markdown report rendered from the results alone by a Jinja2 template
  in ``localpairs/studies/templates/`` (see :func:`render`); nothing is computed there.
- ``output(spec, system)`` (optional): an estimate of what the study writes (results.nc, figures,
  checkpoints; :class:`~localpairs.output_size.OutputEstimate`) from the resolved spec alone;
  :func:`output_estimate` adds the shared files, and ``--out``'s free space is checked against it.

:func:`execute` runs them in order and writes ``results.nc`` (atomically; the resolved spec and
versions in the root's ``provenance`` attribute), the figures and ``report.md`` (the study's text,
then one shared section listing the figures and one shared provenance section).
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import xarray as xr

from localpairs.errors import InputError
from localpairs.io import write_text_atomic, write_with
from localpairs.output_size import FIGURE_BYTES, REPORT_BYTES, OutputEstimate, file_bytes, netcdf_bytes
from localpairs.spec import RunSpec, SpecError
from localpairs.studies.common import Checkpoints, System, build_system, provenance, spec_hash

__all__ = ["Checkpoints", "Results", "RunContext", "Study", "execute", "output_estimate", "prepare", "render", "spec_of", "write_results"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Results:
    """What a study computes: a root Dataset and optional named groups (netCDF groups).

    Attributes
    ----------
    root : xarray.Dataset
        The root group (its attributes carry title and provenance).
    groups : Mapping of str to xarray.Dataset
        Named groups of the results file.
    """

    root: xr.Dataset
    groups: Mapping[str, xr.Dataset] = field(default_factory=dict)


@dataclass(frozen=True)
class RunContext:
    """What :attr:`Study.compute` gets: the spec, the built system, checkpoints and the output folder.

    Attributes
    ----------
    spec : RunSpec
        The validated run spec.
    system : System
        The system built and checked by :func:`prepare`.
    checkpoints : Checkpoints
        The run's checkpoints.
    outdir : pathlib.Path
        The output folder.
    """

    spec: RunSpec
    system: System
    checkpoints: Checkpoints
    outdir: Path


@dataclass(frozen=True)
class Study:
    """One study kind: what ``localpairs run`` does for a spec whose ``study`` key is ``name``.

    Attributes
    ----------
    name
        The value of the spec's ``study`` key.
    section
        The spec section the study reads (``"spectra"``, ``"pump"``, ``"xfel"``) or None.
    validate
        Every check beyond the schema; raises :class:`~localpairs.spec.SpecError` (or
        :class:`~localpairs.errors.InputError`, reported as one). Allocates nothing heavy.
    compute
        All heavy work and all derived numbers.
    figures
        ``(results, outdir, title) -> names`` of the PNG files written into ``outdir``.
    report
        The study's Markdown text rendered from the results alone (see :func:`render`).
    output
        ``(spec, system) -> OutputEstimate``: what ``compute`` and ``figures`` write (results.nc,
        figures, checkpoints), from the spec and the system alone; None: :data:`DEFAULT_OUTPUT`.
    """

    name: str
    section: str | None
    validate: Callable[[RunSpec, System], None]
    compute: Callable[[RunContext], Results]
    figures: Callable[[Results, Path, str], list[str]]
    report: Callable[[Results], str]
    output: Callable[[RunSpec, System], OutputEstimate] | None = None


#: What a study without an ``output`` estimate is taken to write: a results file of 10⁵ numbers and 8 figures.
DEFAULT_OUTPUT = OutputEstimate({"results.nc": netcdf_bytes(100_000), "figures": 8 * FIGURE_BYTES})


def output_estimate(study: Study, spec: RunSpec, system: System) -> OutputEstimate:
    """Estimate what a run of ``study`` writes into its output folder.

    Parameters
    ----------
    study : Study
        The study.
    spec : RunSpec
        The validated run spec.
    system : System
        Its built system.

    Returns
    -------
    OutputEstimate
        The study's estimate (or :data:`DEFAULT_OUTPUT`) plus report.md and the folder's marker and lock.
    """
    own = DEFAULT_OUTPUT if study.output is None else study.output(spec, system)
    return own.plus(OutputEstimate({"report.md": file_bytes(REPORT_BYTES) + 2 * file_bytes(100)}))


def prepare(study: Study, spec: RunSpec, *, source: str = "spec") -> System:
    """Build the system of ``spec`` and run every check of ``study``; nothing heavy is allocated.

    Parameters
    ----------
    study : Study
        The study (``spec.study`` must name it).
    spec : RunSpec
        The validated run spec.
    source : str
        Where the spec came from (the file), starting every message.

    Returns
    -------
    System
        The built and checked system.

    Raises
    ------
    SpecError
        When the spec names another study, lacks the study's section or fails a check.
    """
    if spec.study != study.name:
        raise SpecError(f"{source}: study = {spec.study!r} is not allowed here: this is the {study.name!r} study")
    if study.section is not None and getattr(spec, study.section) is None:
        raise SpecError(f"{source}: study = {study.name!r} needs a [{study.section}] section (an empty one takes every default)")
    system = build_system(spec, source=source)
    try:
        study.validate(spec, system)
    except InputError as err:
        raise SpecError(f"{source}: {err}") from None
    except SpecError as err:
        message = str(err)
        raise SpecError(message if message.startswith(f"{source}:") else f"{source}: {message}") from None
    return system


def spec_of(results: Results) -> RunSpec:
    """Return the run spec a results file was computed from.

    Parameters
    ----------
    results : Results
        The results (their root's ``provenance`` attribute holds the spec).

    Returns
    -------
    RunSpec
        The validated spec.
    """
    return RunSpec.model_validate(json.loads(results.root.attrs["provenance"])["spec"])


def write_results(path: Path, results: Results) -> None:
    """Write the root Dataset and every group into one netCDF file, atomically.

    Parameters
    ----------
    path : pathlib.Path
        The file (``results.nc``).
    results : Results
        What to write.
    """

    def writer(tmp: Path) -> None:
        results.root.to_netcdf(tmp, engine="h5netcdf")
        for name, ds in results.groups.items():
            ds.to_netcdf(tmp, mode="a", group=name, engine="h5netcdf")

    write_with(path, writer)


def execute(study: Study, spec: RunSpec, outdir: Path, *, resume: bool = True, source: str = "spec", system: System | None = None) -> Path:
    """Run ``study`` for ``spec`` into ``outdir``: results.nc, figures, report.md.

    Parameters
    ----------
    study : Study
        The study to run (``spec.study`` must name it).
    spec : RunSpec
        The validated run spec.
    outdir : pathlib.Path
        Output folder; checkpoints go to ``outdir/checkpoints``.
    resume : bool
        Reuse checkpoints written by an earlier run of the same spec (same spec hash).
    source : str
        Where the spec came from (file name), for error messages.
    system : System, optional
        The system :func:`prepare` already built and checked for this spec (None: prepared here).

    Returns
    -------
    pathlib.Path
        The report's path.
    """
    start = time.perf_counter()
    outdir = Path(outdir)
    system = prepare(study, spec, source=source) if system is None else system
    logger.info("%s: %s; %s; sector %s", study.name, system.cluster.describe(), system.model.kind, system.sector.label())
    checkpoints = Checkpoints(outdir, spec_hash(spec), enabled=resume)
    results = study.compute(RunContext(spec, system, checkpoints, outdir))
    root = results.root.copy()
    root.attrs.setdefault("title", spec.title)
    root.attrs["provenance"] = json.dumps(provenance(spec, system))
    results = Results(root, dict(results.groups))
    outdir.mkdir(parents=True, exist_ok=True)
    write_results(outdir / "results.nc", results)
    figures = study.figures(results, outdir, spec.title)
    text = study.report(results).rstrip("\n") + "\n\n" + render("shared_tail.md.j2", results, figures=figures, seconds=time.perf_counter() - start)
    report = outdir / "report.md"
    write_text_atomic(report, text)
    logger.info("wrote %s", report)
    return report


# --- report templates ---------------------------------------------------------------------------


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value == "none") or (isinstance(value, float) and math.isnan(value))


def fmt(value: Any, spec: str = "g", missing: str = "n/a", suffix: str = "") -> str:
    """Format a value for a report, or ``missing`` for None, NaN and the stored ``"none"``.

    Parameters
    ----------
    value : Any
        The value (a numpy scalar is converted).
    spec : str
        Format spec, as for :func:`format`.
    missing : str
        Text shown for a missing value.
    suffix : str
        Appended to a formatted value (e.g. a unit).

    Returns
    -------
    str
        ``format(value, spec) + suffix`` or ``missing``.
    """
    if _missing(value):
        return missing
    return format(value.item() if hasattr(value, "item") else value, spec) + suffix


def fmt_list(values: Iterable[Any], spec: str = "g", sep: str = ", ") -> str:
    """Format values with ``spec`` and join them by ``sep``.

    Parameters
    ----------
    values : iterable
        The values.
    spec : str
        Format spec for each (:func:`fmt`).
    sep : str
        Separator.

    Returns
    -------
    str
        The joined text.
    """
    return sep.join(fmt(v, spec) for v in values)


def chop(value: float, decimals: int = 12) -> float:
    """Round ``value`` to ``decimals`` with −0 made +0 (so that round-off does not print as −0.0000).

    Parameters
    ----------
    value : float
        The number.
    decimals : int
        Decimals kept.

    Returns
    -------
    float
        The rounded number.
    """
    return round(float(value), decimals) + 0.0


def from_json(text: str) -> Any:
    """Read a JSON attribute (e.g. ``provenance``) as Python values.

    Parameters
    ----------
    text : str
        The JSON text.

    Returns
    -------
    Any
        The decoded value.
    """
    return json.loads(text)


_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("localpairs.studies", "templates"),
    autoescape=False,  # Markdown, not HTML
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.filters.update(fmt=fmt, fmt_list=fmt_list, from_json=from_json, chop=chop)
_ENV.tests["missing"] = _missing
_ENV.globals["zip"] = zip


def render(template: str, results: Results, **extra: Any) -> str:
    """Render a report template.

    Filters: ``fmt(spec, missing="n/a", suffix="")``, ``fmt_list(spec, sep=", ")``, ``from_json``,
    ``chop``; test ``missing`` (None, NaN or ``"none"``); global ``zip``.

    Parameters
    ----------
    template : str
        File name in ``localpairs/studies/templates``.
    results : Results
        Passed as ``root``, ``groups`` and ``attrs`` (root attributes).
    **extra : Any
        Further template variables.

    Returns
    -------
    str
        The rendered Markdown.
    """
    return _ENV.get_template(template).render(root=results.root, groups=results.groups, attrs=results.root.attrs, **extra)
