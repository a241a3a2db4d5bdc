"""Compiled assembly of a driven operator's matrix from its bases and field-dependent pieces
(:class:`~localpairs.solvers.dynamics.driven_operator.DrivenOperator`)."""

import numba


@numba.njit(cache=True)
def assemble_pieces(data, bases, weights, pos, val, ptr, coefs, diag_pos, diag):  # pragma: no cover - compiled
    """Fill ``data = Σ_s w_s base_s + Σ_k c_k P_k + diag`` in one pass (the first base assigned, not added).

    Parameters
    ----------
    data : numpy.ndarray
        Complex values of the union CSR matrix (overwritten).
    bases : numpy.ndarray
        (segments, nnz) summed constant pieces of each quench segment on the union pattern.
    weights : numpy.ndarray
        Coefficient of each base.
    pos, val : numpy.ndarray
        Positions in ``data`` and values of the field-dependent pieces, concatenated.
    ptr : numpy.ndarray
        ``pos[ptr[k]:ptr[k + 1]]`` belong to piece group ``k``.
    coefs : numpy.ndarray
        Coefficient of each piece group.
    diag_pos : numpy.ndarray
        Position of each diagonal entry in ``data``.
    diag : numpy.ndarray
        Real diagonal added (length 0 for none).
    """
    w0 = weights[0]
    base = bases[0]
    for e in range(data.size):
        data[e] = w0 * base[e]
    for s in range(1, weights.size):
        w = weights[s]
        if w != 0:
            base = bases[s]
            for e in range(data.size):
                data[e] += w * base[e]
    for k in range(coefs.size):
        c = coefs[k]
        if c == 0:
            continue
        for m in range(ptr[k], ptr[k + 1]):
            data[pos[m]] += c * val[m]
    for r in range(diag.size):
        data[diag_pos[r]] += diag[r]


@numba.njit(cache=True)
def refill_pieces(data, base_at, pos, val, ptr, coefs, diag_pos, diag_base, diag, reset_diag):  # pragma: no cover - compiled
    """Refill only the entries the pieces (and the diagonal) touch: ``data = base + Σ_k c_k P_k + diag`` there.

    The other entries of ``data`` must already hold the base (a previous full fill with weight 1),
    and every position must occur once in ``pos`` (one pass, the base's values at the positions
    stored alongside: no read of the whole base).

    Parameters
    ----------
    data : numpy.ndarray
        Complex values of the union CSR matrix (entries at ``pos`` and at ``diag_pos`` rewritten).
    base_at : numpy.ndarray
        The base's values at ``pos``.
    pos, val, ptr : numpy.ndarray
        Positions and values of the field-dependent pieces, ``pos[ptr[k]:ptr[k + 1]]`` for group ``k``.
    coefs : numpy.ndarray
        Coefficient of each piece group.
    diag_pos, diag_base : numpy.ndarray
        Position of each diagonal entry in ``data`` and the base's value there.
    diag : numpy.ndarray
        Real diagonal added (length 0 for none).
    reset_diag : bool
        Restore the diagonal entries to the base first (a diagonal was added by the previous fill).
    """
    for k in range(coefs.size):
        c = coefs[k]
        for m in range(ptr[k], ptr[k + 1]):
            data[pos[m]] = base_at[m] + c * val[m]
    if reset_diag and diag.size == 0:
        for r in range(diag_pos.size):
            data[diag_pos[r]] = diag_base[r]
    for r in range(diag.size):
        data[diag_pos[r]] = diag_base[r] + diag[r]
