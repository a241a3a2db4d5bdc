"""Independent dense XAS reference: sector bases by bit arithmetic, full diagonalization, Lehmann sums.

Nothing here uses QuSpin or the localpairs solvers; only the cluster's bond list and the model's
site energies (its input data) come from localpairs. Modes: m < L is site m spin up, L + m is
site m spin down; a Fock state is an integer whose bit ``2L − 1 − m`` is the occupation of mode
m and ``c_m`` carries ``(−1)^(occupied modes m' < m)`` (the layout of ``jw_reference``, and of
QuSpin's ``basis.states``, so a QuSpin vector maps onto these bases by its Fock integers).

The XAS of one channel (electron on ``site`` with ``spin`` from the ground state ψ0, core-hole
field ``U_c Σ_s w_s n_s``) is the Lehmann sum over the eigenstates of the final-state
Hamiltonian ``H + U_c Σ_s w_s n_s`` in the N + 1 sector: poles ``E_n − E0``, weights
``|⟨n|c†_{site,spin}|ψ0⟩|²``.

Run ``python tests/lehmann_reference.py`` (from the repository root) to print the pole tables
that ``tests/test_core_hole.py`` holds.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

#: Poles closer than this (eV) are one degenerate level in a table.
DEGENERATE_EV = 1e-8


def sector_states(n_sites: int, n_up: int, n_down: int) -> np.ndarray:
    """Fock integers of the sector, ascending."""
    L = n_sites
    ups = [sum(1 << (2 * L - 1 - i) for i in occ) for occ in combinations(range(L), n_up)]
    dns = [sum(1 << (L - 1 - i) for i in occ) for occ in combinations(range(L), n_down)]
    return np.array(sorted(u | d for u in ups for d in dns), dtype=np.int64)


def _occ(state: int, mode: int, L: int) -> int:
    return (state >> (2 * L - 1 - mode)) & 1


def create(state: int, mode: int, L: int) -> tuple[int, int] | None:
    """``c†_mode |state⟩ = sign |new⟩`` as ``(new, sign)``, None if the mode is occupied."""
    if _occ(state, mode, L):
        return None
    sign = -1 if bin(state >> (2 * L - mode)).count("1") % 2 else 1
    return state | (1 << (2 * L - 1 - mode)), sign


def annihilate(state: int, mode: int, L: int) -> tuple[int, int] | None:
    """``c_mode |state⟩ = sign |new⟩``, None if the mode is empty."""
    if not _occ(state, mode, L):
        return None
    sign = -1 if bin(state >> (2 * L - mode)).count("1") % 2 else 1
    return state & ~(1 << (2 * L - 1 - mode)), sign


def densities(states: np.ndarray, L: int) -> np.ndarray:
    """``n_i = n_i↑ + n_i↓`` per state and site."""
    up = np.array([[_occ(int(s), i, L) for i in range(L)] for s in states])
    dn = np.array([[_occ(int(s), L + i, L) for i in range(L)] for s in states])
    return (up + dn).astype(float), up, dn


def hubbard(states: np.ndarray, L: int, bonds: list[tuple[int, int]], *, t: float, U: float, V: float, eps: np.ndarray) -> np.ndarray:
    """Dense ``−t Σ_b Σ_σ (c†_i c_j + h.c.) + U Σ n↑n↓ + V Σ_b n_i n_j + Σ ε_i n_i`` on ``states``."""
    index = {int(s): k for k, s in enumerate(states)}
    n, up, dn = densities(states, L)
    H = np.diag(U * (up * dn).sum(1) + sum(V * n[:, i] * n[:, j] for i, j in bonds) + n @ np.asarray(eps, float))
    for k, s in enumerate(states):
        for i, j in bonds:
            for a, b in ((i, j), (j, i)):
                for shift in (0, L):
                    removed = annihilate(int(s), b + shift, L)
                    added = None if removed is None else create(removed[0], a + shift, L)
                    if added is not None:
                        H[index[added[0]], k] -= t * removed[1] * added[1]
    return H


def add_electron(psi: np.ndarray, states: np.ndarray, target: np.ndarray, L: int, site: int, spin: str) -> np.ndarray:
    """``c†_{site,spin} ψ`` on the target sector's states."""
    index = {int(s): k for k, s in enumerate(target)}
    out = np.zeros(target.size, dtype=psi.dtype)
    mode = site + (0 if spin == "up" else L)
    for amp, s in zip(psi, states):
        res = create(int(s), mode, L)
        if res:
            out[index[res[0]]] += res[1] * amp
    return out


def lehmann_poles(H_final: np.ndarray, phi: np.ndarray, e0: float) -> tuple[np.ndarray, np.ndarray]:
    """Poles ``E_n − e0`` and weights ``|⟨n|φ⟩|²`` of the final-state Hamiltonian, by ``eigh``."""
    E, vecs = np.linalg.eigh(H_final)
    return E - e0, np.abs(vecs.T @ phi) ** 2


def merged(energies: np.ndarray, weights: np.ndarray, *, min_weight: float = 0.0) -> list[tuple[float, float]]:
    """Degenerate poles merged (weights summed), those of weight ≥ ``min_weight`` by energy."""
    out: list[list[float]] = []
    for e, w in sorted(zip(energies, weights)):
        if out and e - out[-1][0] < DEGENERATE_EV:
            out[-1][1] += w
        else:
            out.append([float(e), float(w)])
    return [(e, w) for e, w in out if w >= min_weight]


def lorentzian_sum(poles: np.ndarray, weights: np.ndarray, omega: np.ndarray, gamma: float) -> np.ndarray:
    """``Σ_n w_n (Γ/π)/((ω − E_n)² + Γ²)``."""
    return (weights[None, :] * (gamma / np.pi) / ((omega[:, None] - poles[None, :]) ** 2 + gamma**2)).sum(1)


class DenseXas:
    """Ground state and single-channel Lehmann poles of an extended Hubbard model, all dense.

    ``psi`` (in :func:`sector_states` order) may be given, e.g. mapped from another solver by its
    Fock integers; it is checked to be an eigenvector of the dense H (residual ≤ 1e-9 eV).
    """

    def __init__(self, L: int, bonds: list[tuple[int, int]], *, t: float, U: float, V: float, eps, n_up: int, n_down: int, psi=None):
        self.L, self.bonds, self.params = L, bonds, dict(t=t, U=U, V=V, eps=np.asarray(eps, float))
        self.states = sector_states(L, n_up, n_down)
        self.n_up, self.n_down = n_up, n_down
        H = hubbard(self.states, L, bonds, **self.params)
        if psi is None:
            E, vecs = np.linalg.eigh(H)
            self.e0, self.psi = float(E[0]), vecs[:, 0]
        else:
            self.psi = np.asarray(psi) / np.linalg.norm(psi)
            self.e0 = float(self.psi @ H @ self.psi)
            assert np.linalg.norm(H @ self.psi - self.e0 * self.psi) <= 1e-9
        self._final: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def _final_sector(self, spin: str):
        if spin not in self._final:
            target = sector_states(self.L, self.n_up + (spin == "up"), self.n_down + (spin == "down"))
            self._final[spin] = (target, hubbard(target, self.L, self.bonds, **self.params), densities(target, self.L)[0])
        return self._final[spin]

    def channel(self, site: int, spin: str, U_c: float, hole: dict[int, float]) -> tuple[np.ndarray, np.ndarray]:
        """Poles (eV from E0) and weights of ``c†_{site,spin}`` with the field ``U_c Σ_s hole[s] n_s``."""
        return self.operator({site: 1.0}, spin, U_c, hole)

    def operator(self, amplitudes: dict[int, float], spin: str, U_c: float, hole: dict[int, float]) -> tuple[np.ndarray, np.ndarray]:
        """The same for ``Σ_s amplitudes[s] c†_{s,spin}`` (e.g. the coherent ``(c†_i − c†_j)/√2``)."""
        target, H, n = self._final_sector(spin)
        field = sum(w * n[:, s] for s, w in hole.items())
        phi = sum(a * add_electron(self.psi, self.states, target, self.L, s, spin) for s, a in amplitudes.items())
        return lehmann_poles(H + np.diag(U_c * field), phi, self.e0)


def _print_tables() -> None:  # pragma: no cover - the generator of the tables in test_core_hole.py
    from test_core_hole import CUBE, RING, reference_of

    for name, case in (("RING", RING), ("CUBE", CUBE)):
        ref = reference_of(case, psi_from_solver=False)
        e, w = ref.channel(0, "up", case["U_c"], {0: 1.0})
        print(f"{name}_POLES = [  # (E_n − E0 in eV, |⟨n|c†_0↑|ψ0⟩|²), weight ≥ {case['table_min_weight']:g}")
        for pe, pw in merged(e, w, min_weight=case["table_min_weight"]):
            print(f"    ({pe:.12f}, {pw:.12f}),")
        print("]")


if __name__ == "__main__":  # pragma: no cover
    _print_tables()
