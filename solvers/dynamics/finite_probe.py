r"""O K-edge XAS of a time-dependent state seen by a finite Gaussian probe (the two-time formula).

Formula
-------
A probe pulse of amplitude envelope ``s(t − t_p)`` centred at ``t_p`` (fs) is absorbed by the
state ψ(t) of the pump evolution. In first order in the probe, per transition operator ``D_c``
(the O 1s → σ* channels of :mod:`~localpairs.solvers.spectra.xas`, incoherent sum over them),

.. math:: XAS(ω, t_p) = \frac{1}{N} \mathrm{Re} \sum_c ∫∫ dt_1 dt_2\, s(t_1 − t_p) s(t_2 − t_p)\,
          e^{iω'(t_1 − t_2)/ħ} e^{−Γ|t_1 − t_2|/ħ} ⟨ψ(t_1)| D_c^† e^{−iH_c(t_1 − t_2)/ħ} D_c |ψ(t_2)⟩,

with ``ω' = ω − offset`` (photon energy in eV minus the offset of the static XAS), Γ the core-hole
Lorentzian half width (eV), ħ = :data:`~localpairs.units.HBAR_EV_FS` and ``N = 2πħ ∫ s² dt`` so
that a stationary state under a long probe gives exactly the static
:func:`~localpairs.solvers.spectra.xas.xas`. Sign of the phase: with the final-state propagator
``U_core(t_1, t_2) = e^{−iH_c(t_1 − t_2)/ħ}`` a stationary ψ = e^{−iE_0 t/ħ}ψ_0 gives
``e^{i(ω' + E_0 − E_f)(t_1 − t_2)/ħ}``, resonant at ``ω' = E_f − E_0`` (absorption). Issue 11's
``e^{iω(t_2 − t_1)}`` with this ``U_core`` would put the edge at ``ω' = E_0 − E_f``: it belongs to
the opposite time convention; we use the absorption sign, as in Chen et al. (PRB 99, 104306).

Final-state Hamiltonian: ``H_c = H(A = 0) + U_c (n_i + n_j)`` for the oxygen of channel c, the
static Hamiltonian also while the probe overlaps the pump: the pump field acting on the short-lived
core-excited state (lifetime ħ/2Γ ≈ 1.6 fs) is left out, ψ(t) itself is the fully pumped state.
A time-independent ``H_c`` is what makes the method below exact. Caveat while the pulse is on:
ψ(t) then carries the pump's ±ħω (Floquet) sidebands, which this H_c turns into replicas of the
edge shifted by ±ħω; a field-dressed ``H_c(t)`` would change them. After the pulse the formula is
exact for the model.

Envelope: ``s(u) = exp(−2 ln2 u²/w²)``, i.e. the probe *intensity* ``s²`` is a Gaussian of FWHM
``w`` (the convention of :mod:`localpairs.analysis.probe`). Its power spectrum ``|s̃(ν)|²`` is a
Gaussian of FWHM ``4 ln2 ħ/w`` in energy (:func:`probe_bandwidth`): a stationary state gives the
static XAS convolved with it (a Voigt profile), which tends to the static XAS for w ≫ ħ/Γ.

Method: each frequency component from its own energy
----------------------------------------------------
Insert ``e^{−Γ|τ|/ħ} = ∫dν L_Γ(ν) e^{iντ/ħ}`` and the eigenstates |f⟩ of H_c; the double integral
factorizes into one Fourier transform of the probed core-excited wavepacket
``φ_c(t) = s(t − t_p) D_c ψ(t)``:

.. math:: XAS(ω) = \frac{1}{N}\sum_c ∫ du\, ⟨\tilde φ_c(u)|\, δ_Γ\big(ω' − (H_c − u)\big)\, |\tilde φ_c(u)⟩,
          \qquad \tilde φ_c(u) = ∫ dt\, e^{iut/ħ} φ_c(t),

``δ_Γ`` the normalized Lorentzian. Each frequency component ``φ̃_c(u)`` is measured by the static
XAS machinery with the reference energy ``E_ref = u``: one Lanczos chain of ``H_c`` from
``φ̃_c(u)`` gives it at all ω (continued fraction). For a long probe the components are the
eigencomponents of ψ (each measured from its own energy, the windowed long-probe limit); for a
short one φ̃ is broad in u (the probe bandwidth) and the cross terms between eigencomponents
survive.

Discretization: ψ is sampled on a uniform grid ``t_k`` (step h) covering the probe; ``φ_c(t_k)`` is
demodulated by ``e^{iE_c t_k/ħ}`` (E_c = ⟨H⟩ of ψ at the centre), zero padded to M points and
transformed by one FFT per channel, ``u_j = E_c + 2πħ j/(M h)``. Three controlled errors:

- Nyquist: φ̃ must vanish outside ``E_c ± πħ/h``; ``edge_weight`` (the weight in the outer
  tenth of that band) is reported.
- Periodization: the u-sum on the FFT grid equals the double integral with the kernel
  periodized in ``t_1 − t_2`` with period ``M h``; M is the shortest fast FFT length whose images,
  damped by ``e^{−Γ(Mh − |t_1 − t_2|)/ħ}`` and weighted by ``‖φ_k‖‖φ_l‖`` (the probe envelope),
  sum to at most ``periodization_tol`` of the equal-time sum
  (:func:`~localpairs.solvers.dynamics.probe_components.fft_length`; ``fft_length`` attr).
- Light components: the lightest u components whose weights sum to at most ``weight_tol`` of the
  total are dropped (``dropped_weight``).
- Chain length: each chain stops when its spectrum moved by at most ``convergence_tol`` × the
  channel's peak bound ``Σ_j ‖φ̃_j‖² du/πΓ`` between checks 10 steps apart, ``n_steps`` at most
  (:class:`~localpairs.solvers.dynamics.probe_components.SpectrumConvergence`).

Sum rule: ``∫ XAS dω = Σ_c Σ_k s_k² ⟨ψ_k|D_c^†D_c|ψ_k⟩ / Σ_k s_k²`` (Parseval; exact on the grid),
returned as ``m0`` beside the Lanczos-chain norms.

Cost
----
Per channel: ``n_t`` applications of D (one sparse block product), one FFT of ``dim × M``
numbers (memory ``16 dim M`` bytes), and one Lanczos chain per kept frequency component of
``m_j ≤ n_steps`` products (stopped on convergence: heavy components run to the cap, light ones
stop early). ``n_u ≈ (energy range of ψ) × M h / (2πħ)`` components; ``M h`` ≈ the part of the
window the envelope weights + ``ħ ln(2S/tol)/Γ`` (76 fs for Γ = 0.2 eV, tol = 1e-10). The chains
dominate: ``Σ_channels Σ_j m_j`` products, independent of the ω grid and linear in the time grid,
plus per chain a forward continued fraction on ω spaced Γ/4 (one update of ~4 vectors of that
size per step). No propagation with H_c.

Measured on the half-filled 2×2×2 cube (runs/babio3_pump.toml model and pulse, 8 mJ/cm², 1.96 eV;
probe FWHM 10 fs, h = 0.2 fs, n_steps 150, 901 ω; 3,920-state target sectors; two cores shared
with other jobs at load 20–25): the first implementation (whole window + 76 fs rounded to a power
of two, M = 1024; every chain 150 steps; ``fft_padding="window", convergence_tol=None``) kept
200 components (30,000 products) for the no-pump reference and 3,640 (546,000) at delay 100 fs
(8 channels: the pumped state keeps the y/z symmetries); the defaults keep 108 (10,440 products)
and 1,920 (M = 539, 155,960 products; 3.5× fewer). Side by side (``benchmarks/bench_finite_probe.py
--delays 100``, load 16–22 on 2 cores): reference + delay 100 fs 431 s → 227 s (1.9×: the
convergence checks cost ~0.5 ms per step under that load); max|new − old| = 1.3e-7 of the XAS peak,
9.7e-7 of max|ΔXAS| (the 150-step chains' own error is 6e-7 of the peak against 300 steps). A
3-delay map at that load: ≈ 3 × 185 + 42 s XAS + 264 s evolution ≈ 14 min. The chains of a channel now run
together (:mod:`.parallel_chains`) and the symmetry check maps the basis once per symmetry: the whole 3-delay
map (``bench_finite_probe.py``, evolution included, tol 1e-8) takes 107 s of CPU (evolution 69, XAS 38;
the one-chain-at-a-time loop 47), i.e. ≈ 2 min on two free cores, but 12 min of wall at load 16–24. Earlier
3-delay map with the first implementation (delays 0, 30, 100 fs, lighter load): 733,000, 683,000,
546,000 products, 248, 346, 382 s, evolution 160 s, 20 min in all. At delay 100 fs max|ΔXAS| = 4.8
(1/eV) against 5.7 from the long-probe split of ψ(t_p) (α = 0.185, σ_χ = 1.05 eV), ground peak 40.9.
Not done: a block Lanczos over the probed wavepacket's SVD directions (rank 28–57 against
200–600 components per channel) exhausts the 3,920-state sector on this cube (rank × the ~60 block
steps the resolvent needs at Γ = 0.2 eV) and then needs the eigenvectors of a ~4,000-dimensional
block-tridiagonal matrix (a dense eigh of H_c took 90 s here); Chebyshev moments of the block need
~a/Γ·ln(1/tol) ≈ 600 moments at half width a ≈ 8 eV, not fewer products than the chains; both pay
off only where the sector is much larger than rank × steps.
The Nyquist diagnostic put 3e-5 of the weight in the outer tenth of the ±10 eV band of h = 0.2 fs
(and warned): the pumped ψ reaches ≈ 10 eV above ⟨H⟩; use h = 0.1 fs there.
"""

from __future__ import annotations

import logging
import math
import time
import warnings
from typing import Any

import numpy as np
import xarray as xr

from localpairs.errors import require
from localpairs.hamiltonians import Model
from localpairs.solvers.dynamics.parallel_chains import DEFAULT_GROUP, spectrum_chains
from localpairs.solvers.dynamics.probe_components import FFT_PADDINGS, check_points, fft_length, frequency_components, kept
from localpairs.solvers.ed.observables import occupations
from localpairs.solvers.hilbert.sector import Sector
from localpairs.solvers.lanczos import broadened_spectrum
from localpairs.solvers.spectra.equivalent_channels import STATE_TOL, state_map, symmetries
from localpairs.solvers.spectra.excitations import op_list, target_sector
from localpairs.solvers.spectra.spectral_functions import SectorCache, SpectraWarning, check_broadening, check_omega
from localpairs.solvers.spectra.xas import DEFAULT_GAMMA, DEFAULT_XAS_STEPS, XasChannel, _act, _channels, _hole_diagonal, _operator, _representatives
from localpairs.units import HBAR_EV_FS

logger = logging.getLogger(__name__)

#: Default half width of the sampled window around the probe centre, in probe FWHM: s² < 1e-10 beyond.
DEFAULT_HALF_WIDTH_FWHM = 3.0
#: Default bound on the periodization error (relative): sets the zero padding ħ ln(1/tol)/Γ.
DEFAULT_PERIODIZATION_TOL = 1e-10
#: Default bound on the dropped weight of light frequency components (relative to the total).
DEFAULT_WEIGHT_TOL = 1e-10
#: Default convergence bound of each chain's spectrum, relative to the channel's peak bound (:mod:`.probe_components`).
DEFAULT_CONVERGENCE_TOL = 1e-8
#: Warn when the probe amplitude at the ends of the time grid exceeds this (truncated envelope).
EDGE_AMPLITUDE_TOL = 1e-4
#: Warn when the weight of φ̃ in the outer tenth of the Nyquist band exceeds this (time step too long).
EDGE_WEIGHT_TOL = 1e-8


def probe_amplitude(t: Any, fwhm: float) -> np.ndarray:
    """Envelope ``s(t) = exp(−2 ln2 t²/w²)``: its square, the intensity, has FWHM ``w`` (fs).

    Parameters
    ----------
    t : array_like
        Times from the probe centre (fs).
    fwhm : float
        Intensity FWHM ``w`` (fs).

    Returns
    -------
    numpy.ndarray
        ``s(t)``, 1 at the centre.
    """
    return np.exp(-2.0 * math.log(2.0) * np.asarray(t, dtype=float) ** 2 / fwhm**2)


def probe_bandwidth(fwhm: float) -> float:
    """FWHM in eV of the probe's power spectrum ``|s̃|²`` (the spectral envelope): ``4 ln2 ħ/w``.

    Parameters
    ----------
    fwhm : float
        Intensity FWHM ``w`` of the probe (fs).

    Returns
    -------
    float
        The bandwidth (eV).
    """
    return 4.0 * math.log(2.0) * HBAR_EV_FS / fwhm


def probe_grid(t_probe: float, fwhm: float, *, dt: float, half_width: float = DEFAULT_HALF_WIDTH_FWHM) -> np.ndarray:
    """Uniform times (fs) with step ``dt`` covering ``t_probe ± half_width × fwhm`` (centre on the grid).

    Parameters
    ----------
    t_probe, fwhm : float
        Probe centre and intensity FWHM (fs).
    dt : float
        Time step (fs).
    half_width : float
        Half width of the grid in FWHM.

    Returns
    -------
    numpy.ndarray
        The times (fs).

    Raises
    ------
    InputError
        For a non-positive or non-finite ``fwhm`` or ``dt``.
    """
    require(fwhm > 0 and np.isfinite(fwhm), "fwhm", fwhm, "a finite probe intensity FWHM > 0 in fs")
    require(dt > 0 and np.isfinite(dt), "dt", dt, "a finite time step > 0 in fs")
    n = math.ceil(half_width * fwhm / dt)
    return t_probe + dt * np.arange(-n, n + 1)


def _check_grid(states: np.ndarray, times: np.ndarray, dim: int) -> tuple[np.ndarray, np.ndarray, float]:
    times = np.asarray(times, dtype=float)
    states = np.asarray(states)
    require(times.ndim == 1 and times.size >= 2, "times", times.shape, "a 1D grid of at least two times in fs")
    h = float(times[1] - times[0])
    require(h > 0 and np.allclose(np.diff(times), h, rtol=1e-9, atol=1e-12), "times", "non-uniform grid", "uniform increasing times (fs)")
    require(states.shape == (times.size, dim), "states", states.shape, f"({times.size}, {dim}): ψ(t_k) per row in the sector")
    require(bool(np.all(np.isfinite(states))), "states", "non-finite entries", "finite amplitudes")
    return np.asarray(states, dtype=np.complex128), times, h


def _invariant_rows(basis: Any, n_sites: int, unit: np.ndarray, g: Any) -> bool:
    """Whether the symmetry ``g`` leaves every normalized row of ``unit`` invariant (``state_invariant``, its map built once)."""
    mapped = state_map(basis, n_sites, g)
    if mapped is None:
        return False
    index, sign = mapped
    overlaps = np.einsum("kd,kd->k", unit[:, index].conj(), unit * sign)  # ⟨ψ|Pψ⟩ = Σ_s conj(ψ[index[s]]) sign[s] ψ[s]
    return bool(np.all(np.abs(overlaps) >= 1.0 - STATE_TOL))


def _channel_set(model: Model, basis: Any, states: np.ndarray, sec: Sector, use_symmetry: bool) -> tuple[list[XasChannel], list[float], int]:
    """Representative channels and weights; symmetries of the model that leave every sampled state invariant."""
    keys, mult = _channels(model, "incoherent")
    syms = []
    if use_symmetry:
        syms = symmetries(model, basis, states[0] / np.linalg.norm(states[0]), n_up=sec.n_up, n_down=sec.n_down)
        unit = states / np.linalg.norm(states, axis=1)[:, None]
        syms = [g for g in syms if _invariant_rows(basis, model.n_sites, unit, g)]
    reps, weights = _representatives(keys, mult, [_act(g) for g in syms], closed=True)
    return reps, weights, len(syms)


def _channel_spectrum(model: Model, cache: SectorCache, sec: Sector, key: XasChannel, probed: np.ndarray, omega: np.ndarray, *,
                      U_c: float, h: float, carrier: float, offset: float, broadening: dict, periodization: dict, weight_tol: float, n_steps: int,
                      convergence_tol: float | None, chain_block: int) -> dict:
    """Spectrum (times N) and diagnostics of one channel from the probed states ``probed`` (rows s_k e^{iE_c t_k/ħ} ψ_k)."""
    exc = _operator(model, key, label_hole=False)
    tsec = target_sector(sec, exc, model)
    b_in, b_out = cache.basis(sec), cache.basis(tsec)
    phi = np.asarray(b_out.Op_shift_sector(b_in, op_list(model, exc.terms), np.ascontiguousarray(probed.T)), dtype=np.complex128)
    up, dn = occupations(b_out, model.n_sites)
    diagonal = _hole_diagonal(U_c, key.hole, (up + dn).astype(np.float64))
    m = fft_length(np.linalg.norm(phi, axis=0), h=h, **periodization)
    comps, nu = frequency_components(phi, h=h, m=m)
    du = 2.0 * math.pi * HBAR_EV_FS / (m * h)
    norms = np.einsum("ij,ij->j", comps.conj(), comps).real
    keep = kept(norms, weight_tol)
    band = np.abs(nu) >= 0.9 * np.abs(nu).max()
    e_refs = carrier + nu[keep] - offset
    tol_abs = None if convergence_tol is None else convergence_tol * float(norms.sum()) / (math.pi * broadening["eta"])  # × peak bound / du
    chains = spectrum_chains(cache.matrix(tsec), comps[:, keep], diagonal=diagonal, n_steps=n_steps, e_refs=e_refs,
                               z=check_points(omega, broadening["eta"]) + 1j * broadening["eta"], tol=tol_abs, chain_block=chain_block)
    total = np.zeros(omega.size)
    for chain, e_ref in zip(chains, e_refs):
        total += du * broadened_spectrum(chain, omega, e_ref=e_ref, **broadening)
    matvecs = sum(chain.n_steps for chain in chains)
    return {"total": total, "m0": du * norms.sum(), "m0_chains": du * norms[keep].sum(), "dropped": du * (norms.sum() - norms[keep].sum()),
            "edge": du * norms[band].sum(), "n_components": keep.size, "matvecs": matvecs, "fft_length": m}


def _summary(parts: list[dict], weights: list[float], norm: float, s: np.ndarray) -> dict:
    """Sum rules, error diagnostics and cost summed over channels (weighted); warns on a truncated or aliased probe."""
    def summed(name: str) -> float:
        return float(sum(w * p[name] for w, p in zip(weights, parts)) / norm)

    m0, edge, edge_amp = summed("m0"), summed("edge"), float(max(s[0], s[-1]))
    if edge_amp > EDGE_AMPLITUDE_TOL:
        warnings.warn(f"finite probe: the time grid ends where the probe amplitude is {edge_amp:.2g} (> {EDGE_AMPLITUDE_TOL:g}); widen it",
                      SpectraWarning, stacklevel=3)
    if edge > EDGE_WEIGHT_TOL * m0:
        warnings.warn(f"finite probe: {edge / m0:.2g} of the weight near the Nyquist edge (> {EDGE_WEIGHT_TOL:g}); shorten the time step",
                      SpectraWarning, stacklevel=3)
    return {
        "definition": "XAS(ω,t_p) = (1/N) Re Σ_c ∫∫ s s e^{i(ω−offset)(t1−t2)/ħ} e^{−Γ|t1−t2|/ħ} <ψ(t1)|D_c† e^{−iH_c(t1−t2)/ħ} D_c|ψ(t2)>, N = 2πħ∫s²",
        "m0": m0, "m0_chains": summed("m0_chains"), "dropped_weight": summed("dropped"), "edge_weight": edge, "edge_amplitude": edge_amp,
        "n_components": int(sum(p["n_components"] for p in parts)), "matvecs": int(sum(p["matvecs"] for p in parts)),
        "fft_length": int(max(p["fft_length"] for p in parts)),
    }


def _check_options(*, fwhm: Any, U_c: Any, offset: Any, t_probe: Any, weight_tol: Any, periodization_tol: Any, fft_padding: Any,
                   convergence_tol: Any, chain_block: Any) -> None:
    """InputError naming the first invalid option of :func:`finite_probe_xas`."""
    require(isinstance(fwhm, (int, float, np.floating)) and np.isfinite(fwhm) and fwhm > 0, "fwhm", fwhm, "a finite probe intensity FWHM > 0 in fs")
    for name, value in (("U_c", U_c), ("offset", offset), ("t_probe", t_probe)):
        require(isinstance(value, (int, float, np.floating)) and not isinstance(value, bool) and np.isfinite(value), name, value, "a finite number")
    require(isinstance(weight_tol, (int, float)) and 0 <= weight_tol < 1, "weight_tol", weight_tol, "a number in [0, 1)")
    require(isinstance(periodization_tol, (int, float)) and 0 < periodization_tol < 1, "periodization_tol", periodization_tol, "a number in (0, 1)")
    require(fft_padding in FFT_PADDINGS, "fft_padding", fft_padding, f"one of {FFT_PADDINGS}")
    require(isinstance(chain_block, (int, np.integer)) and chain_block >= 1, "chain_block", chain_block, "an integer ≥ 1 (1: one chain at a time)")
    require(convergence_tol is None or (isinstance(convergence_tol, (int, float)) and 0 < convergence_tol < 1), "convergence_tol", convergence_tol,
            "None (every chain runs n_steps) or a number in (0, 1)")


def finite_probe_xas(
    model: Model,
    sec: Sector,
    states: np.ndarray,
    times: Any,
    omega: Any,
    *,
    t_probe: float,
    fwhm: float,
    U_c: float,
    Gamma: float = DEFAULT_GAMMA,
    gaussian_fwhm: float = 0.0,
    offset: float = 0.0,
    use_symmetry: bool = True,
    n_steps: int = DEFAULT_XAS_STEPS,
    weight_tol: float = DEFAULT_WEIGHT_TOL,
    periodization_tol: float = DEFAULT_PERIODIZATION_TOL,
    cache: SectorCache | None = None,
    fft_padding: str = "envelope",
    convergence_tol: float | None = DEFAULT_CONVERGENCE_TOL,
    chain_block: int = DEFAULT_GROUP,
) -> xr.Dataset:
    """O K-edge XAS of ψ(t) probed by a Gaussian pulse of intensity FWHM ``fwhm`` at ``t_probe`` (module docstring).

    Parameters
    ----------
    model, sec
        The model (its static Hamiltonian at A = 0 is the final-state H) and the sector of ψ.
    states
        ``ψ(t_k)`` as rows, ``(len(times), dim)``, with their dynamical phase (normalized or not:
        used as given, the norm enters the sum rule).
    times
        Uniform grid (fs) covering the probe, e.g. :func:`probe_grid`.
    omega, t_probe, fwhm
        Photon energies (eV); probe centre and intensity FWHM (fs).
    U_c, Gamma, gaussian_fwhm, offset, use_symmetry, n_steps
        As for :func:`~localpairs.solvers.spectra.xas.xas` (incoherent channels); symmetries are
        kept only if they leave every sampled state invariant.
    cache
        :class:`SectorCache` of ``model`` shared between calls.
    weight_tol, periodization_tol, fft_padding, convergence_tol, chain_block
        Bounds on the dropped components and the periodization, the FFT length rule (``"envelope"``;
        the first implementation's ``"window"``), the chains' stopping bound (None: every chain ``n_steps``)
        and the chains advanced together per product (:mod:`.parallel_chains`; 1: one after the other).

    Returns
    -------
    xarray.Dataset
        ``total(omega)`` in 1/eV; attrs: ``m0`` (exact ∫XAS dω), ``m0_chains`` (norms of the chains computed), ``dropped_weight``,
        ``edge_weight``, ``edge_amplitude``, ``carrier_energy_eV``, ``probe_bandwidth_eV``, cost (``n_components``, ``matvecs``, ``fft_length``, seconds).

    Raises
    ------
    InputError
        Naming the first invalid option, time grid or state array.
    """
    t0 = time.perf_counter()
    Gamma = check_broadening(Gamma, "Gamma")
    broadening = {"eta": Gamma, "gaussian_fwhm": check_broadening(gaussian_fwhm, "gaussian_fwhm", allow_zero=True)}
    omega = check_omega(omega)
    _check_options(fwhm=fwhm, U_c=U_c, offset=offset, t_probe=t_probe, weight_tol=weight_tol, periodization_tol=periodization_tol,
                   fft_padding=fft_padding, convergence_tol=convergence_tol, chain_block=chain_block)
    basis = (cache := cache or SectorCache(model)).basis(sec)
    states, times, h = _check_grid(states, times, basis.Ns)
    s = probe_amplitude(times - t_probe, fwhm)
    centre = states[int(np.argmin(np.abs(times - t_probe)))]
    carrier = float(np.vdot(centre, cache.matrix(sec) @ centre).real / np.vdot(centre, centre).real)
    probed = states * (s * np.exp(1j * carrier * (times - t_probe) / HBAR_EV_FS))[:, None]
    reps, weights, n_sym = _channel_set(model, basis, states, sec, use_symmetry)
    norm = 2.0 * math.pi * HBAR_EV_FS * h * float(np.sum(s**2))
    periodization = {"Gamma": Gamma, "tol": periodization_tol, "padding": fft_padding}
    parts = [_channel_spectrum(model, cache, sec, key, probed, omega, U_c=float(U_c), h=h, carrier=carrier, offset=float(offset), broadening=broadening,
                               periodization=periodization, weight_tol=weight_tol, n_steps=n_steps, convergence_tol=convergence_tol, chain_block=chain_block)
             for key in reps]
    total = sum(w * p["total"] for w, p in zip(weights, parts)) / norm
    attrs = _summary(parts, weights, norm, s) | {
        "t_probe_fs": float(t_probe), "probe_fwhm_fs": float(fwhm), "probe_bandwidth_eV": probe_bandwidth(fwhm), "time_step_fs": h, "n_times": times.size,
        "U_c_eV": float(U_c), "Gamma_eV": Gamma, "gaussian_fwhm_eV": broadening["gaussian_fwhm"], "offset_eV": float(offset), "carrier_energy_eV": carrier,
        "n_channels_computed": len(reps), "n_symmetries": n_sym, "n_steps_requested": n_steps, "seconds": time.perf_counter() - t0}
    return _dataset(omega, total, attrs)


def _dataset(omega: np.ndarray, total: np.ndarray, attrs: dict) -> xr.Dataset:
    """The finite-probe XAS as a Dataset (and its cost in the log)."""
    logger.info("finite probe at %.4g fs: %d channels, %d frequency components, %d products, %.3g s",
                attrs["t_probe_fs"], attrs["n_channels_computed"], attrs["n_components"], attrs["matvecs"], attrs["seconds"])
    return xr.Dataset({"total": (("omega",), np.asarray(total, dtype=float), {"units": "1/eV", "long_name": "finite-probe XAS"})},
                      coords={"omega": ("omega", omega, {"units": "eV"})}, attrs=attrs)
