"""Compare two results folders variable by variable (refactoring regressions).

    python benchmarks/compare_results.py OLD_DIR NEW_DIR [--tol 1e-10]

Reads ``results.nc`` in both folders (the root and every netCDF group) and prints, per
variable present in both, the largest absolute difference relative to the variable's largest
magnitude; variables present in only one file are listed. Exit status 1 if any shared numeric
variable differs by more than ``--tol`` (relative to max(|old|, 1)).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import h5py
import numpy as np
import xarray as xr


def _groups(path: Path) -> list[str | None]:
    names: list[str | None] = [None]
    with h5py.File(path, "r") as f:
        f.visit(lambda n: names.append(n) if isinstance(f[n], h5py.Group) else None)
    return names


def compare(old: Path, new: Path, tol: float) -> int:
    """Print the comparison of two results files; return the number of variables beyond ``tol``."""
    bad = 0
    new_groups = set(_groups(new))
    for group in _groups(old):
        if group not in new_groups:
            print(f"group {group}: only in old")
            continue
        a = xr.open_dataset(old, group=group, engine="h5netcdf").load()
        b = xr.open_dataset(new, group=group, engine="h5netcdf").load()
        names_a = set(a.variables)
        names_b = set(b.variables)
        for name in sorted(names_a - names_b):
            print(f"{group or '/'}:{name}: only in old")
            bad += 1
        for name in sorted(names_b - names_a):
            print(f"{group or '/'}:{name}: only in new (added)")
        for name in sorted(names_a & names_b):
            va, vb = np.asarray(a[name].values), np.asarray(b[name].values)
            if va.dtype.kind == "b":
                va, vb = va.astype(int), vb.astype(int)
            if va.dtype.kind not in "fciu":
                same = va.shape == vb.shape and bool(np.all(va == vb))
                if not same:
                    print(f"{group or '/'}:{name}: non-numeric values differ")
                    bad += 1
                continue
            if va.shape != vb.shape:
                print(f"{group or '/'}:{name}: shape {va.shape} → {vb.shape}")
                bad += 1
                continue
            both_nan = np.isnan(va) & np.isnan(vb) if va.dtype.kind in "fc" else np.zeros(va.shape, bool)
            diff = np.where(both_nan, 0.0, np.abs(va - vb)) if va.size else np.zeros(0)
            scale = max(float(np.nanmax(np.abs(va))) if va.size and not np.all(np.isnan(va)) else 0.0, 1.0)
            rel = float(np.nanmax(diff)) / scale if diff.size else 0.0
            if np.isnan(rel) or rel > tol:
                print(f"{group or '/'}:{name}: max |Δ| / max(|old|, 1) = {rel:.3g}  > {tol:g}")
                bad += 1
    return bad


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--tol", type=float, default=1e-10)
    args = parser.parse_args()
    bad = compare(args.old / "results.nc", args.new / "results.nc", args.tol)
    print(f"{args.new}: {'equal' if bad == 0 else f'{bad} variables differ'} (tolerance {args.tol:g})")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
