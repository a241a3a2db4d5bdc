"""Base class and shared value types of run-spec sections (kept apart so that study modules can use them).

Bounds on magnitudes
--------------------
TOML accepts ``inf``, ``nan`` and numbers up to 1.8e308; none of them is a physical parameter.
Every float of a run spec must be finite (:data:`Finite`; :func:`localpairs.spec.parse_spec`
also refuses ``inf`` and ``nan`` anywhere in a spec). Model energies are bounded by
:data:`MAX_ENERGY_EV` (:data:`Energy`):

- The largest energies of the valence electrons of a bismuthate are atomic Coulomb integrals of
  order 10–20 eV; the σ* bandwidth is about 4 eV. 100 eV is five times the largest physical
  scale, so no meaningful model is refused.
- Pair binding E(N+2) + E(N) − 2E(N+1) cancels total energies of order N·max|parameter|; double
  precision with a Lanczos residual leaves an error of order 1e-12 relative, i.e. ~1e-9 eV at
  100 eV on 16 sites, still far below the meV scale of the result. At 1e18 eV the same cancellation
  gives kilo-eV garbage (issue 13's "+20480 eV binding"), which this bound refuses.

Energy windows relative to a reference (XAS windows, ω spans) are bounded by
:data:`MAX_WINDOW_EV` (:data:`WindowEnergy`): an O K-edge XAS spans a few tens of eV above its
pre-edge; 100 eV either side covers every spectrum the model can produce (its many-body
bandwidth is at most a few × 12 t). Absolute photon energies of an absorption edge (the O K
pre-edge at 529 eV) are bounded by :data:`MAX_EDGE_EV` (:data:`EdgeEnergy`): the K edges of the
heaviest elements lie near 100–120 keV, so 200 keV refuses only nonsense.

For the pump and XFEL sections (types to adopt there): pulse durations lie in
[:data:`MIN_DURATION_FS`, :data:`MAX_TIME_FS`] (:data:`Duration`; one optical cycle at 2 eV lasts
2 fs, nothing shorter than 0.1 fs is a pulse, and a zero duration divides by zero), times and
delays within ±:data:`MAX_TIME_FS` (:data:`TimeFs`; 1 ns is 10⁵ times the 10-fs steps of the
integrator: more output points than memory holds), fluences in (0, :data:`MAX_FLUENCE`]
(:data:`Fluence`; solids ablate at 100–1000 mJ/cm²), pump photon energies in
(0, :data:`MAX_ENERGY_EV`] (:data:`PhotonEnergy`; a valence-band model ends well below).
"""

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

#: Largest absolute energy (eV) of a model parameter (t, U, V, Δ, ε, J_p, μ and the Fermi–Bose energies).
MAX_ENERGY_EV = 100.0
#: Largest absolute energy (eV) of a window edge given relative to a reference energy (XAS windows).
MAX_WINDOW_EV = 100.0

#: Largest absolute photon energy (eV) of an absorption edge (K edges of the heaviest elements: ~120 keV).
MAX_EDGE_EV = 200_000.0

#: Shortest pulse duration (fs) of a pump or probe.
MIN_DURATION_FS = 0.1
#: Largest absolute time (fs) of a pump or probe.
MAX_TIME_FS = 1.0e6
#: Largest fluence (mJ/cm²): well above the ablation threshold of any solid.
MAX_FLUENCE = 10_000.0

#: A finite float (refuses ``inf`` and ``nan``).
Finite = Annotated[float, Field(allow_inf_nan=False)]
#: A model energy in eV: finite, |value| ≤ :data:`MAX_ENERGY_EV`.
Energy = Annotated[float, Field(allow_inf_nan=False, ge=-MAX_ENERGY_EV, le=MAX_ENERGY_EV)]
#: An energy in eV relative to a reference: finite, |value| ≤ :data:`MAX_WINDOW_EV`.
WindowEnergy = Annotated[float, Field(allow_inf_nan=False, ge=-MAX_WINDOW_EV, le=MAX_WINDOW_EV)]


def _increasing_pair(value: list[float]) -> list[float]:
    if len(value) != 2 or not value[0] < value[1]:
        raise ValueError("[low, high] in eV relative to the pre-edge peak, low < high")
    return value


#: A photon-energy window ``[low, high]`` in eV relative to the pre-edge peak: two
#: :data:`WindowEnergy` values, low < high (the XAS windows of the spectra and pump studies).
XasWindow = Annotated[list[WindowEnergy], AfterValidator(_increasing_pair)]

#: An absolute photon energy in eV at an absorption edge: 0 < value ≤ :data:`MAX_EDGE_EV`.
EdgeEnergy = Annotated[float, Field(allow_inf_nan=False, gt=0, le=MAX_EDGE_EV)]
#: An offset in eV of an absolute photon-energy axis: |value| ≤ :data:`MAX_EDGE_EV`.
EdgeOffset = Annotated[float, Field(allow_inf_nan=False, ge=-MAX_EDGE_EV, le=MAX_EDGE_EV)]

#: A pulse duration in fs: :data:`MIN_DURATION_FS` ≤ value ≤ :data:`MAX_TIME_FS`.
Duration = Annotated[float, Field(allow_inf_nan=False, ge=MIN_DURATION_FS, le=MAX_TIME_FS)]
#: A time or delay in fs: |value| ≤ :data:`MAX_TIME_FS`.
TimeFs = Annotated[float, Field(allow_inf_nan=False, ge=-MAX_TIME_FS, le=MAX_TIME_FS)]
#: A fluence in mJ/cm²: 0 < value ≤ :data:`MAX_FLUENCE`.
Fluence = Annotated[float, Field(allow_inf_nan=False, gt=0, le=MAX_FLUENCE)]
#: A pump photon energy in eV: 0 < value ≤ :data:`MAX_ENERGY_EV`.
PhotonEnergy = Annotated[float, Field(allow_inf_nan=False, gt=0, le=MAX_ENERGY_EV)]


class Strict(BaseModel):
    """Base of all spec sections: unknown keys are errors, types are not coerced.

    The docstring written under a field is its description (``use_attribute_docstrings``): the
    meaning of the key in the guide's tables (:mod:`localpairs.spec_schema`).
    """

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, use_attribute_docstrings=True)
