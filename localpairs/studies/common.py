"""Pieces every study shares: building the system from a spec, checkpoints, provenance."""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import xarray as xr

from localpairs.errors import InputError
from localpairs.hamiltonians import (
    Cluster,
    DopingConfig,
    Model,
    doping_config,
    extended_hubbard,
    fermi_bose_mixture,
    make_cluster,
)
from localpairs.io import versions, write_json_atomic, write_with
from localpairs.solvers import Sector, check_memory, estimate_memory, sector
from localpairs.solvers.ed.momentum import block_estimates
from localpairs.spec import RunSpec, SpecError


@dataclass(frozen=True, eq=False)
class System:
    """Everything built from a spec before any heavy work."""

    cluster: Cluster
    doping: DopingConfig
    model: Model
    sector: Sector


def build_model(spec: RunSpec, cluster: Cluster, doping: DopingConfig, **overrides: Any) -> Model:
    """The model of ``spec`` (with optional parameter overrides, e.g. for a relaxed lattice)."""
    params = spec.model.model_dump(exclude={"kind"})
    params.update(overrides)
    if spec.model.kind == "extended_hubbard":
        return extended_hubbard(cluster, doping=doping, **params)
    return fermi_bose_mixture(cluster, doping, **params)


def build_system(spec: RunSpec, *, source: str = "spec") -> System:
    """Build cluster, doping, model and sector; check the physics and the memory estimate.

    Raises :class:`~localpairs.spec.SpecError` naming the key for any non-physical value,
    before anything heavy is allocated.
    """
    try:
        cluster = make_cluster(
            spec.cluster.shape if isinstance(spec.cluster.shape, str) else tuple(spec.cluster.shape),
            periodic=spec.cluster.periodic if isinstance(spec.cluster.periodic, bool) else tuple(spec.cluster.periodic),
            lattice_constant=spec.cluster.lattice_constant,
        )
        doping = doping_config(cluster, x=spec.doping.x, placement=spec.doping.placement, seed=spec.doping.seed)
        model = build_model(spec, cluster, doping)
        s = spec.sector
        if s.n_up is not None or s.n_down is not None:
            if s.electrons is not None:
                raise InputError("sector", s.model_dump(), "either electrons or (n_up, n_down), not both")
            sec = sector(n_up=s.n_up, n_down=s.n_down)
        else:
            n = doping.n_electrons if s.electrons is None else s.electrons
            if n > 2 * cluster.n_sites:
                raise InputError("sector.electrons", n, f"at most 2 × {cluster.n_sites} sites = {2 * cluster.n_sites}")
            sec = sector(electrons=n)
        if s.momentum == "scan":  # solved one k-block at a time: the largest block must fit
            estimates = block_estimates(model, n_up=sec.n_up, n_down=sec.n_down, n_states=spec.solver.n_states, dense_threshold=spec.solver.dense_threshold)
            estimate = max(estimates.values(), key=lambda e: e.total_gb)
        else:
            estimate = estimate_memory(model, sec, n_states=spec.solver.n_states, dense_threshold=spec.solver.dense_threshold)
        check_memory(model, sec, estimate, spec.solver.memory_budget_gb)
    except InputError as err:
        raise SpecError(f"{source}: {err}") from None
    return System(cluster, doping, model, sec)


def spec_hash(spec: RunSpec) -> str:
    """Short hash of the resolved spec: checkpoints are reused only for the same spec."""
    blob = json.dumps(spec.model_dump(mode="json"), sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def provenance(spec: RunSpec, system: System) -> dict[str, Any]:
    """Resolved parameters and versions, for every results file."""
    return {
        "spec": spec.model_dump(mode="json"),
        "resolved": {
            "cluster": system.cluster.as_dict(),
            "doping": system.doping.as_dict(),
            "model": {"kind": system.model.kind, **dict(system.model.parameters)},
            "sector": system.sector.as_dict(),
        },
        "versions": versions(),
    }


class Checkpoints:
    """The checkpoints of one run in ``outdir/checkpoints``, keyed by name and tied to one spec hash.

    :meth:`json` and :meth:`dataset` return a stored value or compute, store and return it; the
    value returned is always the one read back from the file, so a fresh run and a resumed run
    see the same thing. :meth:`load` / :meth:`save` serve incremental loops (per block, per delay).
    With ``enabled=False`` nothing is read, but everything is still written.
    """

    def __init__(self, outdir: Path, key: str, *, enabled: bool = True) -> None:
        self.folder = Path(outdir) / "checkpoints"
        self.key = key
        self.enabled = enabled

    def load(self, name: str) -> Any | None:
        """The stored JSON value for ``name``, or None (also when stored for another spec)."""
        return self._read_json(name) if self.enabled else None

    def save(self, name: str, value: Any) -> None:
        """Store ``value`` (JSON-able; numpy arrays become lists) for ``name`` atomically."""
        write_json_atomic(self.folder / f"{name}.json", {"spec_hash": self.key, "value": value})

    def json(self, name: str, compute: Callable[[], Any]) -> Any:
        """The JSON value ``name`` from its checkpoint, or ``compute()`` stored and read back."""
        value = self.load(name)
        if value is None:
            self.save(name, compute())
            value = self._read_json(name)
        return value

    def dataset(self, name: str, compute: Callable[[], xr.Dataset]) -> xr.Dataset:
        """The Dataset ``name`` from its netCDF checkpoint, or ``compute()`` stored and read back."""
        path = self.folder / f"{name}.nc"
        stored = self._read_dataset(path) if self.enabled else None
        if stored is not None:
            return stored
        ds = compute().copy()
        ds.attrs[_HASH_ATTR] = self.key
        write_with(path, lambda tmp: ds.to_netcdf(tmp, engine="h5netcdf"))
        return self._read_dataset(path)

    def _read_json(self, name: str) -> Any | None:
        path = self.folder / f"{name}.json"
        if not path.is_file():
            return None
        data = json.loads(path.read_text())
        return data["value"] if data.get("spec_hash") == self.key else None

    def _read_dataset(self, path: Path) -> xr.Dataset | None:
        if not path.is_file():
            return None
        with xr.open_dataset(path, engine="h5netcdf") as stored:
            ds = stored.load()
        if ds.attrs.pop(_HASH_ATTR, None) != self.key:
            return None
        return ds


_HASH_ATTR = "checkpoint_spec_hash"


def progress(message: str) -> None:
    """One progress line on stderr."""
    print(f"[localpairs] {message}", file=sys.stderr, flush=True)
