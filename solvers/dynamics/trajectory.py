"""Trajectories: observables along a time evolution at requested times, checkpointed and resumable.

:func:`run_trajectory` drives a :class:`~localpairs.solvers.dynamics.cfm4.CFM4Integrator` (or QuSpin's
``evolve``) and records, at every requested time, the quantities of :data:`OBSERVABLES` as
labelled arrays (an ``xarray.Dataset`` with a ``time`` coordinate in fs).

Probes
------
``probes`` maps a name to a function ``probe(t, psi) -> {key: array}`` called with the state at
each of ``probe_times`` (fs), e.g. a time-resolved X-ray absorption spectrum. Results become
variables ``probe_<name>_<key>`` with a ``probe_time`` dimension. Arrays must have the same
shape at every time.

Checkpoints
-----------
Every ``checkpoint_every`` accepted steps the integrator state (state vector, time, next step
size, counters, lattice coordinates, dissipated work) and everything recorded so far are written atomically to
one ``.npz`` file (:func:`localpairs.io.write_with`), tagged with ``key``. With ``resume=True`` a
run finds that file and continues from it; because the step sequence depends only on the
integrator state, the resumed run repeats the uninterrupted one exactly.

Damped lattice
--------------
With ``lattice.damping > 0`` the oxygens lose ``dissipated_energy`` (:class:`~localpairs.solvers.dynamics.dissipation.Dissipation`); the pulse's work is
``absorbed_energy + dissipated_energy`` (``absorbed_energy`` = ``total_energy − total_energy(t0)``, net of losses).
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from tqdm import tqdm

from localpairs import __version__
from localpairs.errors import CheckpointError, require
from localpairs.hamiltonians.oxygen_lattice import Lattice
from localpairs.io import write_with
from localpairs.solvers.dynamics.cfm4 import CFM4Integrator
from localpairs.solvers.dynamics.dissipation import Dissipation
from localpairs.solvers.dynamics.driven_operator import DrivenOperator
from localpairs.solvers.dynamics.evolution import check_state, check_times
from localpairs.solvers.dynamics.integrator_settings import EvolutionOptions, IntegratorState
from localpairs.solvers.dynamics.trajectory_observables import OBSERVABLES, PairOperators, observe

Probe = Callable[[float, np.ndarray], Mapping[str, np.ndarray]]

_LATTICE_ONLY = ("oxygen_displacement", "oxygen_momentum", "lattice_kinetic", "lattice_potential", "dissipated_energy")
_PAIRS = ("pair_correlation_real", "pair_correlation_imag")


def _wanted(lattice: Lattice | None, pairs: bool) -> list[str]:
    return [n for n in OBSERVABLES if (lattice is not None or n not in _LATTICE_ONLY) and (pairs or n not in _PAIRS)]


class _Recorder:
    """Preallocated observable and probe arrays, with (de)serialisation for checkpoints."""

    def __init__(self, names: list[str], n_times: int, n_probe: int, sizes: dict[str, int]) -> None:
        self.names = names
        self.arrays = {n: np.full((n_times, *tuple(sizes[d] for d in OBSERVABLES[n][0])), np.nan) for n in names}
        self.next_output = 0
        self.next_probe = 0
        self.probes: dict[str, list[np.ndarray]] = {}
        self.n_probe = n_probe

    def put(self, k: int, values: dict[str, Any]) -> None:
        for n in self.names:
            self.arrays[n][k] = values[n]
        self.arrays["absorbed_energy"][k] = values["total_energy"] - self.arrays["total_energy"][0]

    def put_probe(self, name: str, result: Mapping[str, np.ndarray]) -> None:
        for key, value in result.items():
            self.probes.setdefault(f"{name}_{key}", []).append(np.asarray(value))

    def start(self, state: IntegratorState, saved: Mapping[str, np.ndarray] | None,
              observe_at: Callable[[IntegratorState], dict[str, Any]]) -> IntegratorState:
        """The state to continue from: a checkpoint's (``saved``, loaded here) or ``state`` (recorded as output 0)."""
        if saved is not None:
            self.load(saved)
            return IntegratorState.from_arrays({k[len("state_"):]: v for k, v in saved.items() if k.startswith("state_")})
        self.put(0, observe_at(state))
        self.next_output = 1
        return state

    def outputs_until(self, integ: CFM4Integrator, before: IntegratorState, after: IntegratorState, times: np.ndarray,
                      observe_at: Callable[[IntegratorState], dict[str, Any]]) -> None:
        """Record the observables at every output time in ``(before.t, after.t]``."""
        while self.next_output < times.size and times[self.next_output] <= after.t + 1e-12 * integ.span:
            self.put(self.next_output, observe_at(integ.interpolate(before, after, times[self.next_output])))
            self.next_output += 1

    def probes_until(self, integ: CFM4Integrator, before: IntegratorState, after: IntegratorState, probe_times: np.ndarray,
                     probes: Mapping[str, Probe]) -> None:
        """Call every probe at each probe time in ``[before.t, after.t]`` not taken yet."""
        while self.next_probe < probe_times.size and probe_times[self.next_probe] <= after.t + 1e-12 * integ.span:
            at = integ.interpolate(before, after, probe_times[self.next_probe]) if probe_times[self.next_probe] > before.t else before
            for name, fn in probes.items():
                self.put_probe(name, fn(at.t, at.psi))
            self.next_probe += 1

    def to_npz(self) -> dict[str, np.ndarray | np.generic]:
        out: dict[str, np.ndarray | np.generic] = {f"obs_{n}": a for n, a in self.arrays.items()}
        out["next_output"], out["next_probe"] = np.int64(self.next_output), np.int64(self.next_probe)
        for key, values in self.probes.items():
            out[f"probe_{key}"] = np.stack(values)
        return out

    def load(self, data: Mapping[str, np.ndarray]) -> None:
        for n in self.names:
            self.arrays[n] = np.array(data[f"obs_{n}"])
        self.next_output, self.next_probe = int(data["next_output"]), int(data["next_probe"])
        self.probes = {k[len("probe_"):]: list(np.array(data[k])) for k in data if k.startswith("probe_")}


def _save(path: Path, key: str, state: IntegratorState, rec: _Recorder, finished: bool, ledger: Dissipation | None) -> None:
    arrays = {f"state_{k}": v for k, v in state.arrays().items()}
    arrays.update(rec.to_npz())
    if ledger is not None:
        arrays["dissipated_total"] = np.float64(ledger.total)
    arrays["key"], arrays["finished"], arrays["version"] = np.array(key), np.bool_(finished), np.array(__version__)
    arrays["sha256"] = np.array(_npz_checksum(arrays))

    def writer(tmp: Path) -> None:
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)  # type: ignore[arg-type]  # numpy's stub reads **kwds as its allow_pickle flag
            fh.flush()
            os.fsync(fh.fileno())

    write_with(path, writer)


def _npz_checksum(arrays: Mapping[str, Any]) -> str:
    """SHA-256 over every array's name, dtype, shape and bytes (sorted by name)."""
    digest = hashlib.sha256()
    for name in sorted(arrays):
        value = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}|{value.dtype.str}|{value.shape}|".encode())
        digest.update(value.tobytes())
    return digest.hexdigest()


def _load(path: Path, key: str) -> dict[str, np.ndarray] | None:
    """The checkpoint's arrays; None if absent or written for another run or package version.

    Raises :class:`~localpairs.errors.CheckpointError` for a damaged or edited file (checksum) and
    for a non-finite state (the observables' unrecorded times are NaN by design and not checked).
    """
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            stored = {k: data[k] for k in data.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:
        raise CheckpointError(path, f"cannot be read ({type(err).__name__})") from None
    if str(stored.get("key", "")) != key or str(stored.get("version", "")) != __version__:
        return None
    if str(stored.pop("sha256", "")) != _npz_checksum(stored):
        raise CheckpointError(path, "does not match its checksum (damaged or edited)")
    state = [v for k, v in stored.items() if k.startswith("state_") or k == "dissipated_total"]
    if not all(np.all(np.isfinite(v)) for v in state if v.dtype.kind in "fc"):
        raise CheckpointError(path, "holds a non-finite state")
    return stored


def run_trajectory(
    op: DrivenOperator,
    psi0: np.ndarray,
    times: Sequence[float] | np.ndarray,
    *,
    options: EvolutionOptions | None = None,
    lattice: Lattice | None = None,
    u0: np.ndarray | None = None,
    p0: np.ndarray | None = None,
    pair_correlations: bool = True,
    probes: Mapping[str, Probe] | None = None,
    probe_times: Sequence[float] | np.ndarray = (),
    checkpoint: str | os.PathLike | None = None,
    checkpoint_every: int = 200,
    key: str = "",
    resume: bool = True,
    progress: bool = True,
    on_step: Callable[[IntegratorState], None] | None = None,
) -> xr.Dataset:
    """Evolve ``psi0`` (at ``times[0]``) and record observables at ``times`` (fs).

    Parameters
    ----------
    op : DrivenOperator
        The driven operator.
    psi0 : numpy.ndarray
        Normalised initial state.
    times : sequence of float or numpy.ndarray
        Strictly increasing output times in fs; the evolution runs from the first to the last.
    options : EvolutionOptions or None, optional
        Integrator settings (tolerance and so on).
    lattice, u0, p0 : Lattice, numpy.ndarray, numpy.ndarray, optional
        Optional classical oxygens with initial displacements (Å) and momenta (eV·fs/Å).
    pair_correlations, resume, progress : bool, optional
        Record ⟨Δ†_i Δ_j⟩ (L² matrix elements per time); continue from a matching checkpoint if
        there is one; show a tqdm progress bar (simulated fs, with ETA) on stderr.
    probes, probe_times : mapping of str to callable, sequence of float, optional
        Functions of the state called at ``probe_times`` in fs (see the module docstring).
    checkpoint : str or os.PathLike or None, optional
        ``.npz`` path for checkpoints (None: no checkpoints).
    checkpoint_every : int, optional
        Accepted steps between checkpoints.
    key : str, optional
        Tag of the run (e.g. the spec hash); a checkpoint with another key is ignored.
    on_step : callable or None, optional
        Called with the state after every accepted step (and after its checkpoint).

    Returns
    -------
    xarray.Dataset
        The observables of :data:`OBSERVABLES` on ``time`` (fs), the probes on ``probe_time``.
    """
    times = check_times(times)
    psi0 = check_state(psi0, op.dim)
    options = (options or EvolutionOptions()).validate()
    probe_times, probes = np.asarray(probe_times, dtype=float), dict(probes or {})
    p0 = _check_inputs(times, probe_times, probes, checkpoint_every, lattice, u0, p0)
    sizes = {"site": op.driven.model.n_sites, "site_j": op.driven.model.n_sites, "bond": lattice.n_bonds if lattice else 0}
    rec = _Recorder(_wanted(lattice, pair_correlations), times.size, probe_times.size, sizes)
    integ = CFM4Integrator(op, t_start=times[0], t_end=times[-1], options=options, lattice=lattice)
    state = IntegratorState(times[0], psi0, options.h_init, None if lattice is None else np.array(u0, float), None if lattice is None else p0)
    path = Path(checkpoint) if checkpoint is not None else None
    saved = _load(path, key) if (path is not None and resume) else None
    state, observe_at, ledger = _begin(op, rec, state, saved, lattice=lattice, pair_correlations=pair_correlations)
    rec.probes_until(integ, state, state, probe_times, probes)
    with _progress_bar(times, state, disable=not progress) as bar:
        for before, after in integ.steps(state):
            rec.outputs_until(integ, before, after, times, observe_at)
            rec.probes_until(integ, before, after, probe_times, probes)
            state = after if ledger is None else ledger.advance(after)
            bar.update(after.t - before.t)
            if after.steps % 20 == 0:
                bar.set_postfix_str(f"h={after.h:.3g} fs, {after.steps} steps", refresh=False)
            if path is not None and after.steps % checkpoint_every == 0:
                _save(path, key, after, rec, finished=False, ledger=ledger)
            if on_step is not None:
                on_step(after)
    if path is not None:
        _save(path, key, state, rec, finished=True, ledger=ledger)
    return _dataset(rec, times, probe_times, sizes, state, options)


def _begin(op: DrivenOperator, rec: _Recorder, state: IntegratorState, saved: Mapping[str, np.ndarray] | None, *,
           lattice: Lattice | None, pair_correlations: bool) -> tuple[IntegratorState, Callable[[IntegratorState], dict[str, Any]], Dissipation | None]:
    """The state to continue from (``saved`` checkpoint or ``state``, recorded), the observer and the dissipation ledger."""
    pairs = PairOperators(op) if pair_correlations else False
    ledger = Dissipation(lattice, op.site_charge, state) if lattice is not None else None

    def observe_at(at: IntegratorState) -> dict[str, Any]:
        out = observe(op, at, lattice=lattice, pair_correlations=pairs)
        if ledger is not None:
            out["dissipated_energy"] = ledger.at(at)
        return out

    state = rec.start(state, saved, observe_at)
    if ledger is not None and saved is not None:
        ledger.reset(state, float(saved["dissipated_total"]))
    return state, observe_at, ledger


def _check_inputs(times: np.ndarray, probe_times: np.ndarray, probes: Mapping[str, Probe], checkpoint_every: int,
                  lattice: Lattice | None, u0: np.ndarray | None, p0: np.ndarray | None) -> np.ndarray | None:
    """Refuse bad probe times, checkpoint interval or lattice start; return ``p0`` (zeros by default with a lattice)."""
    require(probe_times.size == 0 or (bool(probes) and bool(np.all(np.diff(probe_times) > 0)) and times[0] <= probe_times[0] and probe_times[-1] <= times[-1]),
            "probe_times", probe_times.tolist(), f"increasing times within [{times[0]:g}, {times[-1]:g}] fs, with probes given")
    require(isinstance(checkpoint_every, int) and checkpoint_every >= 1, "checkpoint_every", checkpoint_every, "an integer ≥ 1")
    if lattice is None:
        return p0
    require(u0 is not None and np.shape(u0) == (lattice.n_bonds,), "u0", None if u0 is None else np.shape(u0), f"{lattice.n_bonds} displacements (Å)")
    return np.zeros(lattice.n_bonds) if p0 is None else np.asarray(p0, dtype=float)


def _progress_bar(times: np.ndarray, state: IntegratorState, *, disable: bool) -> tqdm:
    """A tqdm bar over simulated fs (with ETA), starting at ``state.t``."""
    return tqdm(total=float(times[-1] - times[0]), initial=float(state.t - times[0]), unit="fs", desc="time evolution",
                disable=disable, mininterval=1.0, bar_format="{l_bar}{bar}| {n:.1f}/{total:.1f} fs [{elapsed}<{remaining}{postfix}]")


def _dataset(rec: _Recorder, times: np.ndarray, probe_times: np.ndarray, sizes: dict[str, int], state: IntegratorState,
             options: EvolutionOptions) -> xr.Dataset:
    data = {}
    for n in rec.names:
        dims, unit, text = OBSERVABLES[n]
        data[n] = xr.Variable(("time", *dims), rec.arrays[n], {"units": unit, "long_name": text})
    for key, values in rec.probes.items():
        arr = np.stack(values)
        data[f"probe_{key}"] = xr.Variable(("probe_time", *tuple(f"probe_{key}_dim{i}" for i in range(arr.ndim - 1))), arr)
    coords = {"time": ("time", times, {"units": "fs"}), "site": np.arange(sizes["site"]), "site_j": np.arange(sizes["site_j"])}
    if sizes["bond"]:
        coords["bond"] = np.arange(sizes["bond"])
    if probe_times.size:
        coords["probe_time"] = ("probe_time", probe_times, {"units": "fs"})
    attrs = {"tolerance": options.tol, "steps": state.steps, "rejected_steps": state.rejected, "matvecs": state.matvecs,
             "integrator": f"{options.scheme.upper()} (Alvermann-Fehske) + Lanczos, "
             + ("step doubling" if options.error_control == "doubling" else "embedded CF4 estimate")}
    return xr.Dataset(data, coords=coords, attrs=attrs)
