"""Fluence calibrated to a measured excited fraction α (shared by the pump and XFEL studies).

A bare cluster absorbs far more per octahedron than a film (no reflection, no screening, one
discrete resonance), so the experiment's nominal fluence drives it into the Rabi regime. In the
linear (one-photon) regime α ∝ fluence, so a reference pulse at fluence ``F_ref`` exciting
``α_ref`` fixes the fluence that excites ``α_target``:

.. math:: F = F_{\\rm ref}\\, α_{\\rm target}/α_{\\rm ref}.

``α_ref`` is either a first-order (linear-response) weight, exactly ∝ fluence, or the weight of a
full evolution, which is ∝ fluence only while it is small (hence ``max_alpha``).
"""

from __future__ import annotations

import math

from localpairs.errors import InputError

#: Below this reference α the pulse is taken as "no coupling" (nothing to calibrate from).
MIN_REFERENCE_ALPHA = 1e-10


def calibrated_fluence(fluence: float, alpha: float, alpha_target: float, *, field: str, max_alpha: float | None = None,
                       min_alpha: float = MIN_REFERENCE_ALPHA) -> float:
    """Return the fluence exciting ``alpha_target``, from a reference pulse at ``fluence`` exciting ``alpha``.

    Parameters
    ----------
    fluence : float
        Reference fluence (e.g. mJ/cm²), > 0.
    alpha : float
        Excited weight of the reference pulse.
    alpha_target : float
        Wanted excited weight, in (0, 1).
    field : str
        Spec key of the reference fluence, named in errors.
    max_alpha : float, optional
        Largest reference α accepted as linear (None: no bound, for a first-order α).
    min_alpha : float
        Smallest reference α accepted as a coupling.

    Returns
    -------
    float
        The fluence, in the unit of ``fluence`` (α ∝ fluence in the linear regime).

    Raises
    ------
    InputError
        Naming ``field``: a reference that excites nothing (no coupling) or too much (not linear),
        or a non-positive fluence or target.
    """
    if not (math.isfinite(fluence) and fluence > 0):
        raise InputError(field, fluence, "a finite fluence > 0")
    if not (0 < alpha_target < 1):
        raise InputError("alpha_target", alpha_target, "an excited fraction in (0, 1)")
    if not (math.isfinite(alpha) and alpha >= min_alpha):
        raise InputError(field, fluence, f"a pulse that excites the cluster: α = {alpha:.3g} (< {min_alpha:g}); check the photon energy "
                         "and the boundary along the polarization")
    if max_alpha is not None and alpha > max_alpha:
        raise InputError(field, fluence, f"a reference fluence in the linear regime: it excites α = {alpha:.3g} > {max_alpha:g}; lower it")
    return float(fluence * alpha_target / alpha)
