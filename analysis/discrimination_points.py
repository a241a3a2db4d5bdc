"""The points of the A − B discrimination scan: features, scan points, the measured signature and the tolerance of one point.

Tolerance of one point (:data:`TOLERANCE_DERIVATION`)
-----------------------------------------------------
The measured A − B is read off two peaks, each known to within the instrument's resolution; the
model's A − B is read off two peaks, each known to within its own position uncertainty
(:mod:`localpairs.analysis.xas_peaks`: sqrt(h²/12 + (FWHM/2)²), grid step h, line FWHM). Both
enter in quadrature::

    tol = sqrt(σ_A² + σ_B² + 2 σ_exp²),   σ_exp = ΔE_FWHM / 2,

with ΔE_FWHM = (ΔE/E) × E_edge the instrument's resolution (the experiment's energy step is not
stated, so its h²/12 term is left out: the tolerance is the strict reading).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

SCENARIOS = ("paired", "unpaired")
#: Nuisance parameters shared by both scenarios (a setting of these is one point of the box per scenario).
SHARED = ("U_c", "Gamma", "probe", "lattice", "sites", "pumped_state")
#: Every parameter of a point besides the scenario; ``U`` is the scenario model's on-site U (fitted
#: for the paired scenario, a nuisance value for the unpaired one).
PARAMETERS = (*SHARED, "U")
#: Names of the parameters in report text.
PARAMETER_TEXT = {"U_c": "U_c", "Gamma": "Γ", "probe": "the probe model", "lattice": "the lattice", "sites": "the cluster size",
                  "pumped_state": "the pumped-state model", "U": "the unpaired model's U"}

TOLERANCE_DERIVATION = (
    "tol = sqrt(σ_A² + σ_B² + 2 σ_exp²): σ_A, σ_B the model's peak-position uncertainties sqrt(h²/12 + (FWHM/2)²) "
    "(grid step h, line FWHM of the Lorentzian core-hole width and the Gaussian resolution combined), "
    "σ_exp = ΔE_FWHM/2 per measured peak with ΔE_FWHM = (ΔE/E) × E_edge the instrument's resolution "
    "(its energy step is not stated, so no h²/12 term: the strict reading)"
)


@dataclass(frozen=True)
class Feature:
    """One ΔXAS feature: position (eV), position uncertainty (eV), signed amplitude.

    Parameters
    ----------
    energy
        Position (eV).
    energy_error
        Position uncertainty (eV).
    amplitude
        Signed amplitude (ΔXAS units).
    """

    energy: float
    energy_error: float
    amplitude: float


@dataclass(frozen=True)
class ScanPoint:
    """One point of the box: a scenario at one nuisance setting, with its strongest ± features (None: none above threshold).

    ``hw`` is the scenario's pump photon energy (its fitted E_G, eV).

    Parameters
    ----------
    scenario
        ``"paired"`` or ``"unpaired"``.
    U_c
        Core-hole potential (eV).
    Gamma
        Lorentzian half width (eV).
    U
        The model's U (eV).
    probe
        Probe model.
    lattice
        ``"unrelaxed"`` or ``"relaxed"``.
    sites
        Cluster size.
    hw
        The pump photon energy (eV).
    A
        Strongest positive feature (None: none above threshold).
    B
        Strongest negative feature (None: none).
    reason
        Why a feature is missing.
    pumped_state
        The pumped-state model: ``"linear_response"`` (χ⁽¹⁾) or ``"evolved"`` (the full evolution's excited part).
    """

    scenario: str
    U_c: float
    Gamma: float
    U: float
    probe: str
    lattice: str
    sites: int
    hw: float
    A: Feature | None
    B: Feature | None
    reason: str = ""
    pumped_state: str = "linear_response"

    @property
    def found(self) -> bool:
        """Whether both a positive and a negative feature exist."""
        return self.A is not None and self.B is not None

    @property
    def separation(self) -> float | None:
        """Signed E_A − E_B (eV; negative: A below B, the experiment's pattern), None without both features."""
        return None if self.A is None or self.B is None else self.A.energy - self.B.energy

    @property
    def separation_error(self) -> float | None:
        """The uncertainty sqrt(σ_A² + σ_B²) of the separation (eV), None without both features."""
        return None if self.A is None or self.B is None else math.hypot(self.A.energy_error, self.B.energy_error)

    @property
    def pattern(self) -> bool:
        """Whether the experiment's pattern holds: the positive feature below the negative one."""
        sep = self.separation
        return sep is not None and sep < 0

    def value(self, name: str) -> Any:
        """The parameter ``name`` of :data:`PARAMETERS`.

        Parameters
        ----------
        name
            A parameter name of :data:`PARAMETERS`.

        Returns
        -------
        Any
            Its value at this point.
        """
        return getattr(self, name)


@dataclass(frozen=True)
class Experiment:
    """The measured signature: signed A − B (eV), the pump photon energy ħω (eV) and the resolution FWHM (eV).

    Parameters
    ----------
    separation
        Signed measured A − B (eV).
    photon_energy
        Pump photon energy ħω (eV).
    resolution_fwhm
        Resolution FWHM (eV).
    """

    separation: float
    photon_energy: float
    resolution_fwhm: float

    @property
    def sigma(self) -> float:
        """Position uncertainty of one measured peak, ΔE_FWHM / 2 (eV)."""
        return self.resolution_fwhm / 2.0


def point_tolerance(point: ScanPoint, experiment: Experiment) -> float | None:
    """The tolerance of one point (module docstring), None without both features.

    Parameters
    ----------
    point
        One point of the box.
    experiment
        The measured signature.

    Returns
    -------
    float or None
        Tolerance in eV.
    """
    err = point.separation_error
    return None if err is None else math.sqrt(err**2 + 2.0 * experiment.sigma**2)


def consistent(point: ScanPoint, experiment: Experiment) -> bool:
    """|(A − B)_model − (A − B)_measured| ≤ the point's tolerance (signed: A above B is never consistent with A below B).

    Parameters
    ----------
    point
        One point of the box.
    experiment
        The measured signature.

    Returns
    -------
    bool
        Whether the point meets the measurement within its tolerance.
    """
    tol = point_tolerance(point, experiment)
    return tol is not None and abs(point.separation - experiment.separation) <= tol  # type: ignore[operator]
