"""The trajectory checkpoint cannot lie: version, checksum and a finite state are checked on resume."""

from __future__ import annotations

import numpy as np
import pytest

from localpairs.errors import CheckpointError
from localpairs.hamiltonians import extended_hubbard, make_cluster
from localpairs.hamiltonians.driven_model import drive, gaussian_pulse
from localpairs.solvers import build_basis, hamiltonian_matrix, sector
from localpairs.solvers.dynamics.driven_operator import DrivenOperator
from localpairs.solvers.dynamics.evolution import EvolutionOptions
from localpairs.solvers.dynamics.trajectory import _npz_checksum, run_trajectory


@pytest.fixture(scope="module")
def run_args():
    model = extended_hubbard(make_cluster("dimer", periodic=False), t=0.33, U=-1.0)
    basis = build_basis(model, sector(n_up=1, n_down=1))
    psi0 = np.linalg.eigh(hamiltonian_matrix(model, basis).toarray())[1][:, 0].astype(complex)
    pulse = gaussian_pulse(photon_energy=1.0, duration=4.0, peak_field=0.1, polarization=(1.0, 0.0, 0.0))
    op = DrivenOperator(drive(model, pulse=pulse), basis)
    kwargs = dict(options=EvolutionOptions(tol=1e-7), progress=False, checkpoint_every=3, key="k", pair_correlations=False)
    return op, psi0, np.linspace(0.0, 6.0, 13), kwargs


def _rewrite(path, change):
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    change(arrays)
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)


def test_an_intact_checkpoint_is_reused(run_args, tmp_path):
    op, psi0, times, kwargs = run_args
    path = tmp_path / "traj.npz"
    first = run_trajectory(op, psi0, times, checkpoint=path, **kwargs)
    again = run_trajectory(op, psi0, times, checkpoint=path, **kwargs)
    assert np.array_equal(first["energy"].values, again["energy"].values)


@pytest.mark.parametrize(
    "change, problem",
    [
        (lambda a: a.__setitem__("state_psi", a["state_psi"] * 1.001), "checksum"),  # edited, checksum kept
        (lambda a: (a.__setitem__("state_psi", a["state_psi"] * np.nan), a.__setitem__("sha256", np.array(_npz_checksum(
            {k: v for k, v in a.items() if k != "sha256"})))), "non-finite"),  # forged with a matching checksum
    ],
)
def test_a_forged_checkpoint_is_refused_naming_it(run_args, tmp_path, change, problem):
    op, psi0, times, kwargs = run_args
    path = tmp_path / "traj.npz"
    run_trajectory(op, psi0, times, checkpoint=path, **kwargs)
    _rewrite(path, change)
    with pytest.raises(CheckpointError, match=problem) as err:
        run_trajectory(op, psi0, times, checkpoint=path, **kwargs)
    assert str(path) in str(err.value) and "--no-resume" in str(err.value)


def test_a_truncated_checkpoint_is_refused_and_another_version_recomputed(run_args, tmp_path):
    op, psi0, times, kwargs = run_args
    path = tmp_path / "traj.npz"
    first = run_trajectory(op, psi0, times, checkpoint=path, **kwargs)
    _rewrite(path, lambda a: a.__setitem__("version", np.array("0.0.0-other")))
    again = run_trajectory(op, psi0, times, checkpoint=path, **kwargs)  # another version: started afresh
    assert np.allclose(first["energy"].values, again["energy"].values, atol=1e-12)
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(CheckpointError, match="cannot be read"):
        run_trajectory(op, psi0, times, checkpoint=path, **kwargs)
