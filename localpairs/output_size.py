"""What a run will write: an estimate in bytes, made from the resolved spec before any heavy work.

Each study states what it writes (:attr:`localpairs.studies.framework.Study.output`) as an
:class:`OutputEstimate`: named parts (results.nc, figures, checkpoints, ...) built from the sizes
its spec fixes (output times, frequency grids, sites, the sector dimension of the memory
estimate) with the helpers below. :func:`localpairs.outdir.check_output_folder` refuses an
``--out`` whose file system has less free space than the estimate plus :data:`FREE_RESERVE_BYTES`.

The constants were measured on the shipped studies (``runs/*.toml``, this package's figure size
and DPI): they are meant to err on the large side, so that the estimate of a real run is within
a factor of about 2 of what it writes (tests/test_output_size.py measures it on small runs).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "BLOCK_BYTES",
    "FIGURE_BYTES",
    "FREE_RESERVE_BYTES",
    "JSON_NUMBER_BYTES",
    "NETCDF_BYTES",
    "REPORT_BYTES",
    "OutputEstimate",
    "file_bytes",
    "json_bytes",
    "megabytes",
    "netcdf_bytes",
]

#: File system block: the space a file takes is its size rounded up to this (ext4, tmpfs, xfs).
BLOCK_BYTES = 4096
#: One PNG figure: 36–170 kB measured on the shipped studies (median about 70 kB).
FIGURE_BYTES = 120_000
#: One netCDF file or group beyond its arrays (HDF5 headers, coordinates, attributes incl. the
#: provenance JSON): the 8-site ground-state results.nc is 21.7 kB with 1.5 kB of arrays.
NETCDF_BYTES = 24_000
#: report.md: 1.5–8.6 kB measured.
REPORT_BYTES = 12_000
#: One float64 in a JSON checkpoint: up to 17 significant digits, sign, point, exponent and ", ".
JSON_NUMBER_BYTES = 25
#: Free space kept beyond the estimate: logs, the lock and marker files, other writers on the same
#: file system, and the estimate's own error; small next to any disk a study runs on.
FREE_RESERVE_BYTES = 50_000_000


def file_bytes(size: float) -> int:
    """Return the space a file of ``size`` bytes takes on disk.

    Parameters
    ----------
    size : float
        Content size in bytes.

    Returns
    -------
    int
        Bytes rounded up to whole :data:`BLOCK_BYTES` blocks (one at least).
    """
    return max(1, math.ceil(size / BLOCK_BYTES)) * BLOCK_BYTES


def netcdf_bytes(n_float64: float, *, groups: int = 1) -> int:
    """Estimate the size of a netCDF file of float64 numbers.

    Parameters
    ----------
    n_float64 : float
        Numbers held (8 B each).
    groups : int
        Groups in the file (root included).

    Returns
    -------
    int
        Bytes on disk.
    """
    return file_bytes(8 * n_float64 + groups * NETCDF_BYTES)


def json_bytes(n_numbers: float, *, files: int = 1) -> int:
    """Estimate the size of JSON checkpoints holding floats.

    Parameters
    ----------
    n_numbers : float
        Floats held in all the files.
    files : int
        Number of checkpoint files (each adds a checksum and tags).

    Returns
    -------
    int
        Bytes on disk.
    """
    return files * file_bytes(JSON_NUMBER_BYTES * n_numbers / max(files, 1) + 200)


def megabytes(n_bytes: float) -> str:
    """Format a size as ``'4.9 MB'``.

    Parameters
    ----------
    n_bytes : float
        Size in bytes.

    Returns
    -------
    str
        Decimal megabytes, one decimal (two below 1 MB).
    """
    mb = n_bytes / 1e6
    return f"{mb:.2f} MB" if mb < 1 else f"{mb:.1f} MB"


@dataclass(frozen=True)
class OutputEstimate:
    """The bytes a run writes into its output folder, by part, at its peak on disk.

    Attributes
    ----------
    parts
        Part name (``"results.nc"``, ``"figures"``, ``"checkpoints"``, ...) → bytes. A file that
        is rewritten atomically while its previous version exists counts twice.
    hint
        How to make the study write less (named spec keys), for error messages.
    """

    parts: Mapping[str, int]
    hint: str = ""

    @property
    def total(self) -> int:
        """All parts, in bytes."""
        return int(sum(self.parts.values()))

    def plus(self, other: OutputEstimate) -> OutputEstimate:
        """Sum two estimates part by part (e.g. the points of a sweep); the hints are joined.

        Parameters
        ----------
        other : OutputEstimate
            The estimate to add.

        Returns
        -------
        OutputEstimate
            Parts summed by name.
        """
        parts = dict(self.parts)
        for name, size in other.parts.items():
            parts[name] = parts.get(name, 0) + int(size)
        hints = [h for h in dict.fromkeys((self.hint, other.hint)) if h]
        return OutputEstimate(parts, "; ".join(hints))

    def describe(self) -> str:
        """Describe the estimate, largest part first.

        Returns
        -------
        str
            E.g. ``'about 9.9 MB (results.nc 4.9 MB, figures 0.72 MB, ...)'``.
        """
        parts = ", ".join(f"{name} {megabytes(size)}" for name, size in sorted(self.parts.items(), key=lambda kv: -kv[1]))
        return f"about {megabytes(self.total)} ({parts})"
