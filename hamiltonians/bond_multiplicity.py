"""Oxygens per bonded pair: the ``bond_multiplicity`` option of :func:`~localpairs.hamiltonians.cluster.make_cluster`.

What the choice means (one or two bridging oxygens on a periodic axis of length 2) is explained in
the module docstring of :mod:`~localpairs.hamiltonians.cluster`; this module checks and resolves
the option.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from localpairs.errors import require

_AXES = "xyz"

#: What ``make_cluster(bond_multiplicity=...)`` takes: one value for every periodic axis of length 2,
#: one per axis (None where there is no choice) or a mapping ``{"y": 1, ...}``.
BondMultiplicity = int | Sequence[int | None] | Mapping[str, int] | None


def bond_multiplicity_request(value: BondMultiplicity) -> int | tuple[int | None, int | None, int | None] | None:
    """Check the form of ``bond_multiplicity`` without a cluster.

    Parameters
    ----------
    value : int or sequence of int or None or mapping of str to int or None
        The requested oxygens per pair: None, one value, one per axis, or a mapping of axes.

    Returns
    -------
    int or tuple of (int or None) or None
        None, one value, or one value (or None) per axis x, y, z.

    Raises
    ------
    InputError
        Naming ``cluster.bond_multiplicity`` (or its axis) unless every value is 1 or 2, three
        values are given per axis, or a mapping's keys are axes ``x``, ``y``, ``z``.
    """
    field = "cluster.bond_multiplicity"
    allowed = "1 (one oxygen per pair) or 2 (two, the default)"
    forms = ", one value per axis [x, y, z], or a mapping of axes such as {'y': 1}"
    if value is None:
        return None
    if isinstance(value, Mapping):
        require(set(value) <= set(_AXES), field, dict(value), "a mapping from axes 'x', 'y', 'z' to 1 or 2")
        value = [value.get(ax) for ax in _AXES]
    elif not isinstance(value, (Sequence, np.ndarray)) or isinstance(value, str):
        require(_is_count(value), field, value, allowed + forms)
        return int(value)
    per_axis = list(value)
    require(len(per_axis) == 3, field, per_axis, "one value per axis (x, y, z): 1, 2 or None")
    for axis, m in enumerate(per_axis):
        require(m is None or _is_count(m), f"{field}.{_AXES[axis]}", m, allowed + ", or None where the axis has no choice")
    return tuple(None if m is None else int(m) for m in per_axis)  # type: ignore[return-value]


def _is_count(m: object) -> bool:
    return isinstance(m, (int, np.integer)) and not isinstance(m, (bool, np.bool_)) and int(m) in (1, 2)


def _resolve_multiplicity(value: BondMultiplicity, dims: tuple[int, int, int], pbc: tuple[bool, bool, bool]) -> tuple[int, int, int]:
    """Oxygens per bonded pair on each axis; refuses a value where it means nothing (module docstring)."""
    request = bond_multiplicity_request(value)
    choice = [p and n == 2 for n, p in zip(dims, pbc)]
    if isinstance(request, int):
        require(any(choice), "cluster.bond_multiplicity", request, f"no value: the {'×'.join(map(str, dims))} cluster with periodic "
                f"{list(pbc)} has no periodic axis of length 2 (only there are pairs joined by one or two oxygens)")
        return tuple(request if c else 1 for c in choice)  # type: ignore[return-value]
    out = []
    for axis, c in enumerate(choice):
        m = None if request is None else request[axis]
        if not c:
            why = "open" if not pbc[axis] else f"periodic with length {dims[axis]}"
            require(m is None, f"cluster.bond_multiplicity.{_AXES[axis]}", m,
                    f"None: the {_AXES[axis]} axis is {why}, its pairs are joined by one oxygen with no choice (only a periodic axis of length 2 has one)")
        out.append(1 if not c else (2 if m is None else m))
    return tuple(out)  # type: ignore[return-value]
