"""``[xfel.scan]`` of a run spec: the box of nuisance parameters (moved out of :mod:`~localpairs.studies.xfel_spec`, which re-exports it)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from localpairs.spec_base import Strict

ProbeModel = Literal["instantaneous", "long", "finite"]
Lattice = Literal["unrelaxed", "relaxed"]
PumpedState = Literal["linear_response", "evolved"]
CoreHolePlacement = Literal["both", "site", "site_i", "site_j", "receiving"]


def _distinct(name: str, values: list[Any]) -> None:
    if len(set(values)) != len(values):
        raise ValueError(f"xfel.scan.{name} = {values} must be distinct")


class ScanSpec(Strict):
    """``[xfel.scan]``: the box of nuisance parameters over which A − B is computed for both scenarios.

    ``U_c`` core-hole potentials (eV, ≤ 0: attractive or none) placed by ``core_hole`` (as :func:`localpairs.solvers.spectra.xas.xas`); ``Gamma``
    Lorentzian half widths of the O 1s core hole (eV), each convolved with the instrument's Gaussian resolution (from the reference data);
    ``U_unpaired`` the unpaired control's U values (eV, ≥ 0; each fitted to E_G like the study's control); ``probes``, ``lattices`` and
    ``pumped_states`` the probe models, lattices and pumped states; ``doping_x`` the hole-doped cluster of the static pre-edge constraint
    on U_c (it must have fewer large octahedra than the parent; default: the x that removes one pair); ``workers`` Dask worker processes
    (0: no Dask, the tasks one after the other in the run's own process). ``enabled = false`` skips the scan.
    """

    enabled: bool = True
    """Run the nuisance scan (false: skip it; the report then has no verdict over the box)."""
    U_c: Annotated[list[Annotated[float, Field(allow_inf_nan=False, ge=-10, le=0)]], Field(min_length=1)] = [-3.0, -2.5, -2.0, -1.5, -1.0, -0.5, 0.0]
    """Core-hole potentials U_c of the box in eV (≤ 0: attractive or none)."""
    Gamma: Annotated[list[Annotated[float, Field(allow_inf_nan=False, gt=0, le=2)]], Field(min_length=1)] = [0.075, 0.1, 0.15, 0.2]
    """Lorentzian half widths Γ of the O 1s core hole in the box, eV (each convolved with the instrument's Gaussian resolution)."""
    U_unpaired: Annotated[list[Annotated[float, Field(allow_inf_nan=False, ge=0, le=10)]], Field(min_length=1)] = [0.5, 2.0]
    """U values (eV, ≥ 0) of the unpaired hypothesis in the box, each with its breathing fitted to the targets."""
    probes: Annotated[list[ProbeModel], Field(min_length=1)] = ["long"]
    """Probe models of the box: "long" (each eigencomponent from its own energy), "instantaneous" (one reference energy), "finite" where supported."""
    lattices: Annotated[list[Lattice], Field(min_length=1)] = ["unrelaxed", "relaxed"]
    """Lattices of the box: "unrelaxed" and/or "relaxed" (final states at the excited state's relaxed breathing)."""
    pumped_states: Annotated[list[PumpedState], Field(min_length=1)] = ["linear_response", "evolved"]
    """Pumped states of the box: "linear_response" (first-order χ⁽¹⁾) and/or "evolved" (full evolution at the same fluence)."""
    core_hole: CoreHolePlacement = "both"
    """Where U_c acts in the final state (as [spectra] core_hole)."""
    doping_x: Annotated[float, Field(allow_inf_nan=False, gt=0, le=1)] | None = None
    """K concentration of the hole-doped cluster of the static pre-edge constraint on U_c (default: the x that removes one pair)."""
    workers: Annotated[int, Field(ge=0, le=64)] = 2
    """Dask worker processes of the scan (0: no Dask, the points one after the other)."""
    twelve_sites: bool = False
    """Also compute A − B on the 12-site 3×2×2 cluster (x open) for every model, unrelaxed, long probe, at twelve_sites_U_c × every Γ."""
    twelve_sites_U_c: Annotated[list[Annotated[float, Field(allow_inf_nan=False, ge=-10, le=0)]], Field(min_length=1)] | None = None
    """U_c values (eV, each one of ``U_c``; default: all) run on 12 sites, with the headline U_c always; needs ``twelve_sites = true``."""

    @model_validator(mode="after")
    def _consistent(self) -> ScanSpec:
        for name in ("U_c", "Gamma", "U_unpaired", "probes", "lattices", "pumped_states", "twelve_sites_U_c"):
            _distinct(name, getattr(self, name) or [])
        if self.twelve_sites_U_c is not None and not (self.twelve_sites and set(self.twelve_sites_U_c) <= set(self.U_c)):
            raise ValueError(f"xfel.scan.twelve_sites_U_c = {self.twelve_sites_U_c} needs twelve_sites = true and values of U_c = {self.U_c}")
        return self
