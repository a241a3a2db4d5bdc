"""Checkpoints that cannot lie: each tied to one spec and one package version, checked on load.

Every checkpoint records the spec hash, the localpairs version and a SHA-256 checksum of its
content. On load (resume):

- a checkpoint of another spec or another localpairs version (or of the format before checksums)
  is ignored and recomputed;
- a damaged one (unreadable, truncated), one whose content does not match its checksum (edited),
  one holding a non-finite number (JSON checkpoints) or not of the type the caller expects is
  refused with a :class:`CheckpointError` naming the file and saying ``--no-resume``.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from localpairs import __version__
from localpairs.errors import CheckpointError
from localpairs.io import write_json_atomic, write_with

__all__ = ["CheckpointError", "Checkpoints"]

logger = logging.getLogger(__name__)

_HASH_ATTR = "checkpoint_spec_hash"
_VERSION_ATTR = "checkpoint_localpairs_version"
_SUM_ATTR = "checkpoint_sha256"


def _canonical(value: Any) -> str:
    """The JSON text whose checksum is stored: ``value`` as it reads back, keys sorted."""
    from localpairs.io import _jsonable

    return json.dumps(json.loads(json.dumps(value, default=_jsonable)), sort_keys=True)


def _sha256(text: str | bytes) -> str:
    return hashlib.sha256(text.encode() if isinstance(text, str) else text).hexdigest()


def _refuse_constant(name: str) -> float:
    raise ValueError(f"holds {name}")


def _dataset_checksum(ds: xr.Dataset) -> str:
    """SHA-256 of every variable's name, shape and values (numbers as float64/complex128, the rest as text)."""
    digest = hashlib.sha256()
    for name in sorted(map(str, ds.variables)):
        values = np.asarray(ds[name].values)
        digest.update(f"{name}{values.shape}".encode())
        if values.dtype.kind in "biuf":
            digest.update(np.ascontiguousarray(values, dtype=np.float64).tobytes())
        elif values.dtype.kind == "c":
            digest.update(np.ascontiguousarray(values, dtype=np.complex128).tobytes())
        else:
            digest.update("\x00".join(map(str, values.ravel().tolist())).encode())
    return digest.hexdigest()


class Checkpoints:
    """The checkpoints of one run in ``outdir/checkpoints``, keyed by name and tied to one spec hash.

    :meth:`json` and :meth:`dataset` return a stored value or compute, store and return it; the
    value returned is always the one read back from the file, so a fresh run and a resumed run
    see the same thing. :meth:`load` / :meth:`save` serve incremental loops (per block, per delay).

    Parameters
    ----------
    outdir : pathlib.Path
        The run's output folder.
    key : str
        The spec hash the checkpoints belong to.
    enabled : bool
        Read stored values; with False nothing is read, but everything is still written.
    """

    def __init__(self, outdir: Path, key: str, *, enabled: bool = True) -> None:
        self.folder = Path(outdir) / "checkpoints"
        self.key = key
        self.version = __version__
        self.enabled = enabled

    def load(self, name: str, *, expect: type | tuple[type, ...] | None = None) -> Any | None:
        """Return the stored JSON value for ``name``.

        Parameters
        ----------
        name : str
            The checkpoint's name.
        expect : type or tuple of type, optional
            The type(s) the value must have (e.g. ``float``); another type is refused.

        Returns
        -------
        Any or None
            The value, or None when none is stored, or stored for another spec or version.

        Raises
        ------
        CheckpointError
            When the file is damaged, holds a non-finite number or a value of another type.
        """
        return self._read_json(name, expect) if self.enabled else None

    def save(self, name: str, value: Any) -> None:
        """Store ``value`` for ``name`` atomically, with its checksum.

        Parameters
        ----------
        name : str
            The checkpoint's name.
        value : Any
            A JSON-able value (numpy arrays become lists).
        """
        record = {"spec_hash": self.key, "localpairs_version": self.version, "sha256": _sha256(_canonical(value)), "value": value}
        write_json_atomic(self.folder / f"{name}.json", record)

    def json(self, name: str, compute: Callable[[], Any]) -> Any:
        """Return the JSON value ``name`` from its checkpoint, or ``compute()`` stored and read back.

        Parameters
        ----------
        name : str
            The checkpoint's name.
        compute : callable
            Computes the value when none is stored.

        Returns
        -------
        Any
            The value as read back from the file.
        """
        value = self.load(name)
        if value is None:
            self.save(name, compute())
            value = self._read_json(name, None)
        return value

    def dataset(self, name: str, compute: Callable[[], xr.Dataset]) -> xr.Dataset:
        """Return the Dataset ``name`` from its netCDF checkpoint, or ``compute()`` stored and read back.

        Parameters
        ----------
        name : str
            The checkpoint's name.
        compute : callable
            Computes the Dataset when none is stored.

        Returns
        -------
        xarray.Dataset
            The Dataset as read back from the file.

        Raises
        ------
        CheckpointError
            When the file written cannot be read back.
        """
        path = self.folder / f"{name}.nc"
        stored = self._read_dataset(path) if self.enabled else None
        if stored is not None:
            return stored
        ds = compute().copy()
        ds.attrs.update({_HASH_ATTR: self.key, _VERSION_ATTR: self.version, _SUM_ATTR: _dataset_checksum(ds)})
        write_with(path, lambda tmp: ds.to_netcdf(tmp, engine="h5netcdf"))
        stored = self._read_dataset(path)
        if stored is None:  # just written by this run: unreadable means the disk failed under us
            raise CheckpointError(path, "could not be read back right after it was written")
        return stored

    def _current(self, path: Path, spec_hash: Any, version: Any) -> bool:
        """Whether a checkpoint with these tags belongs to this run (else it is recomputed)."""
        if spec_hash != self.key:
            return False
        if version != self.version:
            logger.info("%s was written by localpairs %s, not %s: recomputed", path, version, self.version)
            return False
        return True

    def _read_json(self, name: str, expect: type | tuple[type, ...] | None) -> Any | None:
        path = self.folder / f"{name}.json"
        if not path.is_file():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"), parse_constant=_refuse_constant)
        except ValueError as err:  # also UnicodeDecodeError, a truncated file, NaN or Infinity
            raise CheckpointError(path, f"is damaged or holds a non-finite number ({err})") from None
        except OSError as err:
            raise CheckpointError(path, f"cannot be read ({err.strerror or err})") from None
        if not isinstance(data, dict) or "value" not in data:
            raise CheckpointError(path, "is not a localpairs checkpoint (no value)")
        if not self._current(path, data.get("spec_hash"), data.get("localpairs_version")):
            return None
        value = data["value"]
        if data.get("sha256") != _sha256(_canonical(value)):
            raise CheckpointError(path, "does not match its checksum (edited or damaged)")
        if expect is not None and not isinstance(value, expect):
            raise CheckpointError(path, f"holds a {type(value).__name__}, not the expected {expect}")
        return value

    def _read_dataset(self, path: Path) -> xr.Dataset | None:
        if not path.is_file():
            return None
        try:
            with xr.open_dataset(path, engine="h5netcdf") as stored:
                ds = stored.load()
        except Exception as err:
            raise CheckpointError(path, f"is damaged ({type(err).__name__}: {err})") from None
        key, version, checksum = (ds.attrs.pop(a, None) for a in (_HASH_ATTR, _VERSION_ATTR, _SUM_ATTR))
        if not self._current(path, key, version):
            return None
        if checksum != _dataset_checksum(ds):
            raise CheckpointError(path, "does not match its checksum (edited or damaged)")
        return ds

