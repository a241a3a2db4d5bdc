"""Run specifications: the TOML files in ``runs/``, validated strictly before any work.

An unknown key, a wrong type or a non-physical value gives one :class:`SpecError` naming the key,
the value and what is allowed. Validation is done by pydantic (strict mode, unknown keys
forbidden) followed by the physical checks of the builders themselves, which run in
:func:`localpairs.studies.common.build_system` before anything heavy.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field, ValidationError, field_validator, model_serializer

from localpairs.errors import InputError, LocalPairsError, shown
from localpairs.hamiltonians.cluster import bond_multiplicity_request
from localpairs.hamiltonians.hopping import hopping_amplitudes
from localpairs.spec_base import MAX_ENERGY_EV, Energy, Strict
from localpairs.studies.pump_spec import PumpSpec
from localpairs.studies.spectra_spec import SpectraSpec
from localpairs.studies.xfel_spec import XfelSpec


class SpecError(LocalPairsError, ValueError):
    """A run specification is invalid; the message names the key, the value and what is allowed."""


#: Largest lattice constant (Å): BaBiO3 has 4.35 Å; 100 Å is no crystal of octahedra.
MAX_LATTICE_CONSTANT = 100.0


class ClusterSpec(Strict):
    """``[cluster]``: shape (preset or ``"LxxLyxLz"`` or [Lx, Ly, Lz]), boundaries, lattice constant (Å).

    ``bond_multiplicity``: oxygens joining each pair on a periodic axis of length 2 (absent: 2, the
    crystal's count; see :mod:`localpairs.hamiltonians.cluster`). One value (``1`` or ``2``) sets
    every such axis; ``[2, 1, 1]`` sets each axis (every axis then periodic with length 2); a
    table such as ``{ y = 1, z = 2 }`` sets the named axes. A value on an axis without a choice is
    refused when the cluster is built. Left out, the spec (and its hash) is as before the key.
    """

    shape: str | list[int] = "cube"
    periodic: bool | list[bool] = True
    lattice_constant: Annotated[float, Field(gt=0, le=MAX_LATTICE_CONSTANT)] = 4.35
    bond_multiplicity: int | list[int] | dict[str, int] | None = None

    @field_validator("bond_multiplicity", mode="before")
    @classmethod
    def _one_or_two(cls, value: Any) -> Any:
        try:
            bond_multiplicity_request(value)
        except InputError as err:  # the message names the axis when one entry is wrong
            raise ValueError(err.allowed if err.field == "cluster.bond_multiplicity" else f"{err.field} = {err.value!r}: {err.allowed}") from None
        return value

    @model_serializer(mode="wrap")
    def _omit_unset_multiplicity(self, handler: Any) -> dict[str, Any]:
        data = handler(self)
        if self.bond_multiplicity is None:  # keeps every earlier spec's dump and hash
            data.pop("bond_multiplicity", None)
        return data


class DopingSpec(Strict):
    """``[doping]``: K concentration x and the placement of large octahedra."""

    x: Annotated[float, Field(ge=0, le=1)] = 0.0
    placement: Literal["rock_salt", "random", "random_rock_salt"] = "rock_salt"
    seed: Annotated[int, Field(ge=0, lt=2**63)] | None = None


class HubbardSpec(Strict):
    """``[model]`` with ``kind = "extended_hubbard"``; energies in eV."""

    kind: Literal["extended_hubbard"]
    #: One hopping (eV), one per bond, or one ``[re, im]`` pair per bond (a complex t for a flux or
    #: twist; TOML has no complex numbers), see :mod:`localpairs.hamiltonians.hopping`.
    t: float | list[float] | list[list[float]] = 1.0

    @field_validator("t", mode="before")
    @classmethod
    def _hopping_form(cls, value: Any) -> Any:
        try:
            amplitudes = hopping_amplitudes(value, field="model.t")
        except InputError as err:
            raise ValueError(err.allowed) from None
        if not np.all(np.abs(amplitudes) <= MAX_ENERGY_EV):  # also refuses nan
            raise ValueError(f"finite hoppings with |t| ≤ {MAX_ENERGY_EV:g} eV (see localpairs.spec_base)")
        return value

    U: Energy = 0.0
    V: Energy = 0.0
    breathing: Energy = 0.0
    eps: list[Energy] | None = None
    J_p: Energy = 0.0
    mu: Energy = 0.0


class FermiBoseSpec(Strict):
    """``[model]`` with ``kind = "fermi_bose"``; energies in eV."""

    kind: Literal["fermi_bose"]
    t_B: Energy = 0.0
    t_F: Energy = 1.0
    E_B: Energy = 0.0
    g: Energy = 0.0
    V_BB: Energy = 0.0
    V_BF: Energy = 0.0
    U_F: Energy = 0.0
    eps_F: Energy = 0.0
    mu: Energy = 0.0


class SectorSpec(Strict):
    """``[sector]``: electron number (default: the doping's nominal 2·n_large) or per-spin numbers.

    ``momentum = "scan"`` solves every sector of the study (N₀ and the pair-binding ladder) one
    translation block (kx, ky, kz) at a time, only one block per set related by time reversal or
    a point-group symmetry of the model (:func:`localpairs.solvers.lowest_by_momentum`): the report
    gets E(N, k) tables and the ground state's k. It needs a periodic cluster whose translations
    the model keeps (no breathing, no doping pattern); ``"none"`` (default) solves each sector whole.
    """

    electrons: Annotated[int, Field(ge=0)] | None = None
    n_up: Annotated[int, Field(ge=0)] | None = None
    n_down: Annotated[int, Field(ge=0)] | None = None
    momentum: Literal["none", "scan"] = "none"


#: Largest memory budget (GB) a spec may give: far above any single machine, far below nonsense.
MAX_MEMORY_BUDGET_GB = 100_000.0


class SolverSpec(Strict):
    """``[solver]``: eigenpairs, dense/Lanczos threshold, memory budget (GB)."""

    n_states: Annotated[int, Field(ge=1, le=200)] = 4
    dense_threshold: Annotated[int, Field(ge=0)] = 3000
    memory_budget_gb: Annotated[float, Field(gt=0, le=MAX_MEMORY_BUDGET_GB)] | None = None


class GroundStateSpec(Strict):
    """``[ground_state]``: what to compute about the ground state.

    ``ladder`` lists the offsets d of the sectors N₀ + d solved for pair binding and gaps (default
    ±1, ±2; e.g. ``[-1, 1]`` when N₀ + 2 is too large): pair binding E(N+2) + E(N) − 2E(N+1) is
    reported for every N whose three sectors are solved.
    """

    pair_binding: bool = True
    pair_correlations: bool = True
    ladder: Annotated[list[Annotated[int, Field(ge=-4, le=4)]], Field(min_length=1)] = [-2, -1, 1, 2]

    @field_validator("ladder")
    @classmethod
    def _nonzero_unique(cls, value: list[int]) -> list[int]:
        if 0 in value or len(set(value)) != len(value):
            raise ValueError("distinct non-zero offsets from N₀ (N₀ itself is always solved), e.g. [-1, 1]")
        return sorted(value)


class SweepSpec(Strict):
    """``[sweep]``: parameter grids (``[sweep.parameters]``, dotted keys → lists) and local workers."""

    parameters: dict[str, Annotated[list[float | int | bool | str], Field(min_length=1)]]
    workers: Annotated[int, Field(ge=1, le=64)] = 2


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
    description: str = ""
    study: Literal["ground_state", "spectra", "pump", "xfel"]
    cluster: ClusterSpec = ClusterSpec()
    doping: DopingSpec = DopingSpec()
    model: Annotated[HubbardSpec | FermiBoseSpec, Field(discriminator="kind")]
    sector: SectorSpec = SectorSpec()
    solver: SolverSpec = SolverSpec()
    ground_state: GroundStateSpec = GroundStateSpec()
    spectra: SpectraSpec | None = None
    pump: PumpSpec | None = None
    xfel: XfelSpec | None = None
    sweep: SweepSpec | None = None


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
    """``spec`` as a dict that :func:`parse_spec` accepts again (no sections its study does not read)."""
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
    """The text of the spec file ``path`` (UTF-8, a leading byte-order mark dropped); SpecError if unreadable."""
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
    """Read and validate a TOML run spec; any problem with the file gives one :class:`SpecError` naming it."""
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
