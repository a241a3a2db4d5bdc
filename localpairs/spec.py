"""Run specifications: the TOML files in ``runs/``, validated strictly before any work.

An unknown key, a wrong type or a non-physical value gives one :class:`SpecError` naming the key,
the value and what is allowed. Validation is done by pydantic (strict mode, unknown keys
forbidden) followed by the physical checks of the builders themselves, which run in
:func:`localpairs.studies.common.build_system` before anything heavy.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import Field, ValidationError, field_validator

from localpairs.errors import LocalPairsError


class SpecError(LocalPairsError, ValueError):
    """A run specification is invalid; the message names the key, the value and what is allowed."""


from localpairs.spec_base import Strict
from localpairs.studies.pump_spec import PumpSpec
from localpairs.studies.spectra_spec import SpectraSpec
from localpairs.studies.xfel_spec import XfelSpec


class ClusterSpec(Strict):
    """``[cluster]``: shape (preset or ``"LxxLyxLz"`` or [Lx, Ly, Lz]), boundaries, lattice constant (Å)."""

    shape: str | list[int] = "cube"
    periodic: bool | list[bool] = True
    lattice_constant: Annotated[float, Field(gt=0)] = 4.35


class DopingSpec(Strict):
    """``[doping]``: K concentration x and the placement of large octahedra."""

    x: Annotated[float, Field(ge=0, le=1)] = 0.0
    placement: Literal["rock_salt", "random", "random_rock_salt"] = "rock_salt"
    seed: int | None = None


class HubbardSpec(Strict):
    """``[model]`` with ``kind = "extended_hubbard"``; energies in eV."""

    kind: Literal["extended_hubbard"]
    t: float | list[float] = 1.0
    U: float = 0.0
    V: float = 0.0
    breathing: float = 0.0
    eps: list[float] | None = None
    J_p: float = 0.0
    mu: float = 0.0


class FermiBoseSpec(Strict):
    """``[model]`` with ``kind = "fermi_bose"``; energies in eV."""

    kind: Literal["fermi_bose"]
    t_B: float = 0.0
    t_F: float = 1.0
    E_B: float = 0.0
    g: float = 0.0
    V_BB: float = 0.0
    V_BF: float = 0.0
    U_F: float = 0.0
    eps_F: float = 0.0
    mu: float = 0.0


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


class SolverSpec(Strict):
    """``[solver]``: eigenpairs, dense/Lanczos threshold, memory budget (GB)."""

    n_states: Annotated[int, Field(ge=1, le=200)] = 4
    dense_threshold: Annotated[int, Field(ge=0)] = 3000
    memory_budget_gb: Annotated[float, Field(gt=0)] | None = None


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
    model: Annotated[Union[HubbardSpec, FermiBoseSpec], Field(discriminator="kind")]
    sector: SectorSpec = SectorSpec()
    solver: SolverSpec = SolverSpec()
    ground_state: GroundStateSpec = GroundStateSpec()
    spectra: SpectraSpec | None = None
    pump: PumpSpec | None = None
    xfel: XfelSpec | None = None
    sweep: SweepSpec | None = None


def _format_errors(source: str, err: ValidationError) -> str:
    lines = []
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"] if not (isinstance(p, str) and p in ("extended_hubbard", "fermi_bose")))
        if e["type"] == "extra_forbidden":
            lines.append(f"{source}: unknown key {loc} = {e['input']!r}: remove it or check its spelling")
        elif e["type"] == "missing":
            lines.append(f"{source}: key {loc} is required")
        else:
            lines.append(f"{source}: {loc} = {e['input']!r} is not allowed: {e['msg']}")
    return "\n".join(lines)


def _check_study_sections(data: dict[str, Any], source: str) -> None:
    """Refuse a spec without ``study`` and study sections its study does not read (one clear error)."""
    studies = ", ".join(repr(name) for name in STUDY_SECTIONS)
    if "study" not in data:
        raise SpecError(f"{source}: key study is required: one of {studies}, e.g. study = \"ground_state\"")
    study = data["study"]
    if study not in STUDY_SECTIONS:
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
    (:data:`STUDY_SECTIONS`).
    """
    if isinstance(data, dict):
        _check_study_sections(data, source)
    try:
        return RunSpec.model_validate(data)
    except ValidationError as err:
        raise SpecError(_format_errors(source, err)) from None


def load_spec(path: str | Path) -> RunSpec:
    """Read and validate a TOML run spec."""
    path = Path(path)
    if not path.is_file():
        raise SpecError(f"{path}: no such run spec file")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise SpecError(f"{path}: not valid TOML: {err}") from None
    return parse_spec(data, source=str(path))
