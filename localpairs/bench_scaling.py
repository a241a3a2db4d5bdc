"""Sides of the ``localpairs bench`` cases of issue 14: the product's bandwidth, the 12-site window, the 16-site scan.

``matvec``
    The evolution loop's product (:meth:`DrivenOperator.matvec` on H(t) at the pulse maximum)
    against a memory triad (:mod:`localpairs.bench_matvec`). Both sides report seconds per GB
    moved, so the table's ratio is triad bandwidth / achieved bandwidth (its inverse is the
    fraction of the triad); there is no common number to agree on (both report 0).
``window_12``
    CFM4 against QuSpin ``evolve`` on the 12-site 3×2×2 cluster (x open, y and z periodic with one
    oxygen per pair) over the first 20 fs of the study's pulse: the sides of
    :mod:`localpairs.bench_evolution` (``benchmarks/bench_12_sites.py`` runs the whole 0–300 fs).
``scan_16``
    The x = 0.375 momentum scan of the periodic 2×2×4 cluster (N = 10, every block,
    :func:`~localpairs.solvers.lowest_by_momentum`) against plain QuSpin with k-blocks: QuSpin solves
    the k = 0 block only and its time is extrapolated to every distinct block (labelled so). The
    number both agree on is the k = 0 block's lowest level.

Quick sizes: the 2×2×2 H(t) (in cache: no bandwidth figure), 3×2×1, and the cube at x = 0.375.
"""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np

from localpairs.bench import Case, register

#: Model of the 16-site scan (benchmarks/bench_16_sites.py): no breathing, so that translations are symmetries.
SCAN_PARAMS: dict[str, Any] = dict(t=0.33, U=-1.2, V=0.15)
#: Doping of the 16-site scan (N = 10 of 16 sites).
SCAN_X = 0.375
#: Size → (cluster, triad elements) of the ``matvec`` case.
MATVEC_SIZES = {"2x2x2": ("cube", 2**24), "2x2x3": ("2x2x3", 2**24)}


def _threads() -> int:
    return max(1, int(os.environ.get("OMP_NUM_THREADS", "1") or 1))


def ours_matvec(size: str) -> dict:
    """Time the evolution's sparse product per GB moved (best of the repeats).

    Parameters
    ----------
    size : str
        A key of ``MATVEC_SIZES`` (the cluster of the driven operator).

    Returns
    -------
    dict
        ``value`` (0), ``wall`` (seconds per GB moved) and ``note`` (GB/s, the matrix's size).
    """
    from localpairs import bench_matvec as bm

    cluster, _ = MATVEC_SIZES[size]
    op, coefs = bm.driven_operator(cluster)
    matrix = op.assemble(coefs)
    x = np.random.default_rng(1).standard_normal(op.dim) + 1j * np.random.default_rng(2).standard_normal(op.dim)
    out = np.empty(op.dim, dtype=np.complex128)
    seconds = bm.best_seconds(lambda: op.matvec(x, out))
    nbytes = bm.product_bytes(matrix, np.complex128)
    gbs = nbytes / seconds / 1e9
    note = (f"H(t) of {cluster}: {op.dim:,} states, {matrix.nnz:,} non-zeros, {matrix.data.itemsize + matrix.indices.itemsize} B each; "
            f"{nbytes / 1e6:.1f} MB per product in {1e3 * seconds:.2f} ms = {gbs:.1f} GB/s ({_threads()} thread(s)); time = s per GB")
    return {"value": 0.0, "wall": 1.0 / gbs, "note": note}


def triad_matvec(size: str) -> dict:
    """Time the fused triad per GB moved, with as many threads as the product may use.

    Parameters
    ----------
    size : str
        A key of ``MATVEC_SIZES`` (sets the vector length).

    Returns
    -------
    dict
        ``value`` (0), ``wall`` (seconds per GB) and ``note`` (fused and numpy bandwidths, load).
    """
    from localpairs import bench_matvec as bm

    _, elements = MATVEC_SIZES[size]
    triad = bm.triad_bandwidth(elements=elements, threads=_threads())
    note = (f"triad a = b + s c on {elements:,} float64 ({8 * elements / 1e6:.0f} MB each): fused {triad['fused']:.1f} GB/s, "
            f"numpy two-pass {triad['numpy']:.1f} GB/s; load {os.getloadavg()[0]:.1f}; ratio = triad / product bandwidth")
    return {"value": 0.0, "wall": 1.0 / triad["fused"], "note": note}


def _scan_setting(size: str) -> tuple[Any, int]:
    from localpairs.hamiltonians import doping_config, extended_hubbard, make_cluster

    cluster = make_cluster(size, periodic=True)
    return extended_hubbard(cluster, **SCAN_PARAMS), doping_config(cluster, x=SCAN_X).n_electrons


def ours_scan(size: str) -> dict:
    """Every momentum block of N = N(x = 0.375); the value is the k = 0 block's lowest level.

    Each block is solved as the sub-blocks of its little group and the spin flip.

    Parameters
    ----------
    size : str
        Cluster shape (``"cube"`` quick, ``"2x2x4"`` full).

    Returns
    -------
    dict
        ``value`` (eV) and ``note``.
    """
    from localpairs.solvers import lowest_by_momentum

    model, n = _scan_setting(size)
    scan = lowest_by_momentum(model, n_up=(n + 1) // 2, n_down=n // 2, n_states=1)
    k0 = next(b for b in scan.blocks if not any(b.k))
    return {"value": min(k0.energies), "note": f"N = {n}: {len(scan.blocks)} distinct blocks of {scan.dimension:,} states, E0 {scan.ground_energy:.8f} eV"}


def quspin_scan(size: str) -> dict:
    """Plain QuSpin (basis with kx, ky, kz blocks, ``hamiltonian``, ``eigsh``) on the k = 0 block.

    The wall time is that block's times the number of distinct blocks of the scan (an extrapolation).

    Parameters
    ----------
    size : str
        Cluster shape (``"cube"`` quick, ``"2x2x4"`` full).

    Returns
    -------
    dict
        ``value`` (eV), ``wall`` (s, extrapolated) and ``note``.
    """
    start = time.perf_counter()
    from quspin.basis import spinful_fermion_basis_general
    from quspin.operators import hamiltonian

    from localpairs.solvers.ed.momentum import block_maps, stars, translation_names
    from localpairs.solvers.hilbert.lattice_symmetry import generators

    model, n = _scan_setting(size)
    names, periods = translation_names(model)
    translations = generators(model.cluster)  # site permutations only: the operator strings are the model's own
    basis = spinful_fermion_basis_general(model.n_sites, Nf=((n + 1) // 2, n // 2), **{f"{k}block": (translations[k][0], 0) for k in names})
    H = hamiltonian(model.static_list(), [], basis=basis, dtype=np.float64, check_herm=False, check_symm=False, check_pcon=False)
    e0 = float(H.eigsh(k=1, which="SA", return_eigenvectors=False)[0])
    wall = time.perf_counter() - start
    n_blocks = len(stars(periods, block_maps(model, names, periods)))
    note = f"base time extrapolated: k = 0 block ({basis.Ns:,} states) {wall:.1f} s × {n_blocks} distinct blocks (complex blocks cost QuSpin more)"
    return {"value": e0, "wall": wall * n_blocks, "note": note}


register("matvec", Case("matvec bandwidth (evolution)", "ours_matvec", "triad_matvec", "memory triad (fused, numba)", "2x2x2", "2x2x3", 1.0))
register("window_12", Case("12 sites, first 20 fs", "ours_evolution", "quspin_evolution", "QuSpin hamiltonian.evolve (dop853)",
                           "3x2x1,20fs", "3x2x2,20fs", 1e-7))
register("scan_16", Case("16 sites x=0.375 k-scan", "ours_scan", "quspin_scan", "QuSpin k=0 block × blocks (extrapolated)", "cube", "2x2x4", 1e-8))
