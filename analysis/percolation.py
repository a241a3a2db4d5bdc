"""Newman–Ziff site percolation on periodic L³ simple-cubic lattices, and octahedra placements.

Criterion: **wrapping**. Sites are added one at a time in random order; a union–find forest
(union by size, path compression) stores for every site its displacement to its parent in
unwrapped coordinates. A bond that joins two sites already in one cluster closes a loop; if the
loop's net displacement is non-zero the cluster wraps around the torus in the directions where it
is non-zero (Newman & Ziff, PRE 64, 016706 (2001)). For each sample and direction we record the
number of added sites at which wrapping first appears; the wrapping probability R_L(q) at site
probability q is the binomial average of these microcanonical results (exact, no p grid), and
R_L is averaged over the three directions (wrapping along one given axis, R^(1)).

Threshold: the crossing q*(L₁, L₂) of R_L for consecutive sizes (corrections ∝ L^{−1/ν−ω}, small).
The estimate is the crossing of the two largest sizes; its error combines the statistical error
(propagated from the per-sample variances of R at the crossing) with a finite-size error, the
difference to the crossing of the next smaller pair. :func:`~localpairs.analysis.percolation_scaling.extrapolated_threshold` (≥ 3 sizes)
instead extrapolates q_½(L), where R_L = ½, as q_c + a L^{−1/ν} with the 3D exponent ν and reports
the statistical error and the extrapolation-form error separately.

Placements of octahedra for Ba₁₋ₓKₓBiO₃ (large BiL⁰O₆ fraction (1−x)/2, small BiL²O₆ the rest),
connectivity between nearest-neighbour (corner-sharing) octahedra:

* ``"random"``: each site is large with probability (1−x)/2 → ordinary site percolation.
* ``"rocksalt"``: large octahedra only on sublattice A ((i+j+k) even) — each A site large with
  probability 1−x; sublattice B and the remaining A sites are small. Large sites then have no
  large nearest neighbour and never percolate; small ones percolate through B when the small A
  sites (probability x) do.

Cluster detection and the placements are :mod:`localpairs.analysis.percolation_clusters`, the
thresholds :mod:`localpairs.analysis.percolation_scaling`; this module re-exports both.
"""

from __future__ import annotations

from localpairs.analysis.percolation_clusters import (
    PLACEMENTS,
    SPECIES,
    WrappingSamples,
    _first_wrap,  # the tests check the microcanonical wrapping steps directly
    doping_of,
    occupation_probability,
    sample_wrapping,
    wrapping_curve,
)
from localpairs.analysis.percolation_scaling import NU_3D, ExtrapolatedThreshold, Threshold, extrapolated_threshold, percolation_threshold

__all__ = [
    "NU_3D",
    "PLACEMENTS",
    "SPECIES",
    "ExtrapolatedThreshold",
    "Threshold",
    "WrappingSamples",
    "_first_wrap",
    "doping_of",
    "extrapolated_threshold",
    "occupation_probability",
    "percolation_threshold",
    "sample_wrapping",
    "wrapping_curve",
]
