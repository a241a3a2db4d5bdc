"""Exceptions raised by localpairs.

Every error a user can trigger with bad input is a :class:`LocalPairsError`. Messages name the
field, the value given and what is allowed, so that the fix is obvious from the message alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np


#: Characters of a value's repr shown in an error message (nested junk must not flood the message).
SHOWN_CHARS = 120


def shown(value: Any, limit: int = SHOWN_CHARS) -> str:
    """Return ``repr(value)`` cut to ``limit`` characters.

    Parameters
    ----------
    value : Any
        The value to show in a message.
    limit : int
        Maximum number of characters; a longer repr ends in `` ...`` marking the cut.

    Returns
    -------
    str
        The (possibly cut) repr.
    """
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 4] + " ..."


class LocalPairsError(Exception):
    """Base class of every error localpairs raises on purpose."""


class InputError(LocalPairsError, ValueError):
    """A parameter has a value that is not allowed.

    Parameters
    ----------
    field
        Name of the parameter or run-spec key (dotted for nested keys, e.g. ``model.U``).
    value
        The value that was given.
    allowed
        What would have been accepted, in words.
    """

    def __init__(self, field: str, value: Any, allowed: str) -> None:
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(f"{field} = {shown(value)} is not allowed: {allowed}")


class TooLargeError(LocalPairsError, MemoryError):
    """A problem is refused before allocation because it would not fit the memory budget.

    Parameters
    ----------
    what : str
        The computation refused (named first in the message).
    dimension : int
        Hilbert-space dimension of the problem.
    estimate_gb : float
        Estimated memory in GB.
    budget_gb : float
        The memory budget in GB.
    hint : str
        What to change to make the problem fit.
    """

    def __init__(self, what: str, dimension: int, estimate_gb: float, budget_gb: float, hint: str) -> None:
        self.dimension = dimension
        self.estimate_gb = estimate_gb
        self.budget_gb = budget_gb
        super().__init__(
            f"{what}: Hilbert-space dimension {dimension:,} needs about {estimate_gb:.2f} GB, "
            f"more than the memory budget of {budget_gb:.2f} GB. {hint}"
        )


def require(condition: bool | np.bool_, field: str, value: Any, allowed: str) -> None:
    """Raise :class:`InputError` for ``field`` unless ``condition`` holds.

    Parameters
    ----------
    condition : bool
        The check that must hold.
    field : str
        Name of the parameter or spec key checked.
    value : Any
        The value given.
    allowed : str
        What would have been accepted, in words.

    Raises
    ------
    InputError
        When ``condition`` is false.
    """
    if not condition:
        raise InputError(field, value, allowed)


class CheckpointError(LocalPairsError):
    """A checkpoint is damaged or was altered; the message names it and says ``--no-resume``.

    Parameters
    ----------
    path : Any
        The checkpoint file.
    problem : str
        What is wrong with it, in words.
    """

    def __init__(self, path: Any, problem: str) -> None:
        super().__init__(f"checkpoint {path} {problem}: delete it or rerun with --no-resume to recompute everything")
