"""Run specifications: the TOML files in ``runs/``, validated strictly before any work.

An unknown key, a wrong type or a non-physical value gives one :class:`SpecError` naming the key,
the value and what is allowed. Validation is done by pydantic (strict mode, unknown keys
forbidden) followed by the physical checks of the builders themselves, which run in
:func:`localpairs.studies.common.build_system` before anything heavy.

The sections every study shares are defined in :mod:`localpairs.spec_sections` and re-exported
here; this module holds the whole spec (:class:`RunSpec`) and reading and validating it.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError

from localpairs.errors import LocalPairsError, shown
from localpairs.spec_base import Strict
from localpairs.spec_sections import (
    MAX_LATTICE_CONSTANT,
    MAX_MEMORY_BUDGET_GB,
    ClusterSpec,
    DopingSpec,
    FermiBoseSpec,
    GroundStateSpec,
    HubbardSpec,
    SectorSpec,
    SolverSpec,
    SweepSpec,
)
from localpairs.studies.pump_spec import PumpSpec
from localpairs.studies.spectra_spec import SpectraSpec
from localpairs.studies.xfel_spec import XfelSpec

__all__ = [
    "MAX_LATTICE_CONSTANT",
    "MAX_MEMORY_BUDGET_GB",
    "MAX_SPEC_BYTES",
    "STUDY_SECTIONS",
    "ClusterSpec",
    "DopingSpec",
    "FermiBoseSpec",
    "GroundStateSpec",
    "HubbardSpec",
    "RunSpec",
    "SectorSpec",
    "SolverSpec",
    "SpecError",
    "SweepSpec",
    "load_spec",
    "parse_spec",
    "read_spec_text",
    "spec_data",
]


class SpecError(LocalPairsError, ValueError):
    """A run specification is invalid; the message names the key, the value and what is allowed."""


#: The sections each study reads besides the common ones (title, description, study, cluster,
#: doping, model, sector, solver, sweep); any other study section in a spec is refused.
STUDY_SECTIONS: dict[str, tuple[str, ...]] = {
    "ground_state": ("ground_state",),
    "spectra": ("spectra", "ground_state"),
    "pump": ("pump",),
    "xfel": ("xfel",),
}


class RunSpec(Strict):
    """A whole study."""

    title: str
    """Title of the study (heads the report and the figures)."""
    description: str = ""
    """Free text describing the study (copied into the report)."""
    study: Literal["ground_state", "spectra", "pump", "xfel"]
    """Which study runs: "ground_state", "spectra", "pump" or "xfel"; the spec may hold only the sections that study reads."""
    cluster: ClusterSpec = ClusterSpec()
    """The cluster of octahedra ([cluster])."""
    doping: DopingSpec = DopingSpec()
    """K doping and the placement of large octahedra ([doping])."""
    model: Annotated[HubbardSpec | FermiBoseSpec, Field(discriminator="kind")]
    """The Hamiltonian ([model]); its kind selects the extended Hubbard or the Fermi–Bose mixture keys."""
    sector: SectorSpec = SectorSpec()
    """Electron number, spin and momentum sectors ([sector])."""
    solver: SolverSpec = SolverSpec()
    """Eigensolver settings and memory budget ([solver])."""
    ground_state: GroundStateSpec = GroundStateSpec()
    """What the ground-state and spectra studies compute about the ground state ([ground_state])."""
    spectra: SpectraSpec | None = None
    """Spectra of the ground state ([spectra]; study = "spectra")."""
    pump: PumpSpec | None = None
    """Pump pulse, evolution and time-resolved XAS ([pump]; study = "pump")."""
    xfel: XfelSpec | None = None
    """Comparison with the EuXFEL tr-XAS experiment ([xfel]; study = "xfel")."""
    sweep: SweepSpec | None = None
    """Parameter sweep over any keys of this spec on a local Dask cluster ([sweep]; run with localpairs sweep)."""


def _format_errors(source: str, err: ValidationError) -> str:
    """One line: ``source: <first problem>; <second problem>; ...``."""
    parts = []
    for e in err.errors():
        loc = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in e["loc"] if p not in ("extended_hubbard", "fermi_bose")).lstrip(".")
        if e["type"] == "extra_forbidden":
            parts.append(f"unknown key {loc} = {shown(e['input'])}: remove it or check its spelling")
        elif e["type"] == "missing":
            parts.append(f"key {loc} is required")
        else:
            parts.append(f"{loc} = {shown(e['input'])} is not allowed: {e['msg']}")
    return f"{source}: " + "; ".join(parts)


def _non_finite(data: Any, path: str = "") -> tuple[str, float] | None:
    """The dotted key and value of the first ``inf`` or ``nan`` in ``data`` (nested dicts and lists), or None."""
    if isinstance(data, float):
        return None if math.isfinite(data) else (path, data)
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        found = _non_finite(value, f"{path}.{key}" if isinstance(key, str) and path else f"{path}[{key}]" if isinstance(key, int) else str(key))
        if found is not None:
            return found
    return None


def _check_study_sections(data: dict[str, Any], source: str) -> None:
    """Refuse a spec without ``study`` and study sections its study does not read (one clear error)."""
    studies = ", ".join(repr(name) for name in STUDY_SECTIONS)
    if "study" not in data:
        raise SpecError(f"{source}: key study is required: one of {studies}, e.g. study = \"ground_state\"")
    study = data["study"]
    if not isinstance(study, str) or study not in STUDY_SECTIONS:
        return  # the schema names the allowed values
    for section in sorted(set().union(*STUDY_SECTIONS.values())):
        if section in data and section not in STUDY_SECTIONS[study]:
            allowed = ", ".join(f"[{s}]" for s in STUDY_SECTIONS[study])
            raise SpecError(f"{source}: section [{section}] is not used by study = {study!r}: remove it "
                            f"(besides the common sections, study {study!r} reads {allowed})")


def spec_data(spec: RunSpec, **dump_options: Any) -> dict[str, Any]:
    """Return ``spec`` as a dict that :func:`parse_spec` accepts again.

    Parameters
    ----------
    spec : RunSpec
        A validated run spec.
    **dump_options : Any
        Options passed on to pydantic's ``model_dump`` (e.g. ``exclude_defaults=True``).

    Returns
    -------
    dict of str to Any
        The spec as JSON-compatible data, without the study sections its study does not read
        (:data:`STUDY_SECTIONS`).
    """
    data = spec.model_dump(mode="json", **dump_options)
    for section in set().union(*STUDY_SECTIONS.values()) - set(STUDY_SECTIONS[spec.study]):
        data.pop(section, None)
    return data


def parse_spec(data: dict[str, Any], *, source: str = "spec") -> RunSpec:
    """Validate a spec given as a dict (as read from TOML).

    Besides the schema: ``study`` is required and only the study sections it reads may appear
    (:data:`STUDY_SECTIONS`); no value anywhere may be ``inf`` or ``nan`` (TOML allows both,
    no parameter means either). A study's own section is required by
    :func:`localpairs.studies.check_study`.

    Parameters
    ----------
    data : dict of str to Any
        The spec's tables and keys, as :func:`tomllib.loads` returns them.
    source : str
        Name of the spec in error messages (its file path when read from a file).

    Returns
    -------
    RunSpec
        The validated spec.

    Raises
    ------
    SpecError
        ``data`` is not a table, holds ``inf`` or ``nan``, lacks ``study``, has a study section
        its study does not read, or fails the schema; one message naming every problem's key,
        value and what is allowed.
    """
    if not isinstance(data, dict):
        raise SpecError(f"{source}: a run spec is a table of keys, not {type(data).__name__}")
    try:
        found = _non_finite(data)
        if found is not None:
            raise SpecError(f"{source}: {found[0]} = {found[1]!r} is not allowed: a finite number (inf and nan are refused everywhere in a run spec)")
        _check_study_sections(data, source)
        return RunSpec.model_validate(data)
    except ValidationError as err:
        raise SpecError(_format_errors(source, err)) from None
    except RecursionError:
        raise SpecError(f"{source}: not a run spec: values nested too deeply (a run spec nests a few levels)") from None


#: Largest run-spec file read (bytes); the shipped specs are a few kB.
MAX_SPEC_BYTES = 1_000_000


def read_spec_text(path: Path) -> str:
    """Read the text of the spec file ``path``.

    Parameters
    ----------
    path : pathlib.Path
        The run-spec file (TOML).

    Returns
    -------
    str
        The file's text decoded as UTF-8, a leading byte-order mark dropped.

    Raises
    ------
    SpecError
        ``path`` is a folder, does not exist, cannot be read, is larger than
        :data:`MAX_SPEC_BYTES` or is not UTF-8 text (the message names the line of the bad byte).
    """
    if path.is_dir():
        raise SpecError(f"{path}: is a folder, not a run spec file (give a .toml file, e.g. runs/babio3_ground_state.toml)")
    if not path.exists():
        raise SpecError(f"{path}: no such run spec file")
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_SPEC_BYTES + 1)
    except OSError as err:
        raise SpecError(f"{path}: cannot read the run spec: {err.strerror or err}") from None
    if len(raw) > MAX_SPEC_BYTES:
        raise SpecError(f"{path}: larger than {MAX_SPEC_BYTES:,} bytes, not a run spec (the shipped specs are a few kB)")
    try:
        return raw.decode("utf-8-sig")  # a UTF-8 byte-order mark (some Windows editors write one) is accepted
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise SpecError(f"{path}: not UTF-8 text: byte {raw[err.start]:#04x} on line {line} cannot be decoded; save the file as UTF-8") from None


def load_spec(path: str | Path) -> RunSpec:
    """Read and validate a TOML run spec.

    Parameters
    ----------
    path : str or pathlib.Path
        The run-spec file, e.g. ``runs/babio3_ground_state.toml``.

    Returns
    -------
    RunSpec
        The validated spec (:func:`parse_spec`).

    Raises
    ------
    SpecError
        Any problem with the file (unreadable, not UTF-8, not valid TOML, nested too deeply) or
        with its content; one message naming the file.
    """
    path = Path(path)
    text = read_spec_text(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise SpecError(f"{path}: not valid TOML: {err}") from None
    except ValueError as err:  # e.g. an integer of more digits than Python converts
        raise SpecError(f"{path}: not a run spec: {err}") from None
    except RecursionError:
        raise SpecError(f"{path}: not a run spec: values nested too deeply for the TOML reader (a run spec nests a few levels)") from None
    return parse_spec(data, source=str(path))
