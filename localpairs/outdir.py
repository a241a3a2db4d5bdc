"""The output folder of a run: checked before any work, locked while the run writes, tied to one spec.

:func:`check_output_folder` refuses an ``--out`` that is a file, lies below a file, or cannot be
created or written, and, given the study's estimate of what it will write
(:class:`localpairs.output_size.OutputEstimate`), one whose file system has less free space than
that estimate plus :data:`~localpairs.output_size.FREE_RESERVE_BYTES`, before anything is computed.
:func:`claimed_output_folder` then holds an
exclusive lock (``fcntl.flock`` on ``OUT/.localpairs.lock``) for the whole run, so a second run into
the same folder stops with a clear error instead of racing the first; it refuses a folder holding
results of a different spec (``OUT/.localpairs-spec.json``) unless ``force`` is given; and it
removes the temporary files a killed run left behind (only :data:`localpairs.io.TEMP_NAME`).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from localpairs.io import OutputError, remove_stale_temp_files, write_json_atomic
from localpairs.output_size import FREE_RESERVE_BYTES, OutputEstimate, megabytes

__all__ = ["LOCK_NAME", "MARKER_NAME", "check_output_folder", "claimed_output_folder"]

logger = logging.getLogger(__name__)

#: The lock file in an output folder.
LOCK_NAME = ".localpairs.lock"
#: The record of which spec (hash and file) the folder's results belong to.
MARKER_NAME = ".localpairs-spec.json"


def check_output_folder(out: str | os.PathLike, *, estimate: OutputEstimate | None = None) -> Path:
    """Check that ``out`` is a writable folder or could be created as one.

    Nothing is created. The first existing folder on the way up must be writable (``os.access``;
    a read-only file system or missing permission is refused).

    Parameters
    ----------
    out : str or os.PathLike
        The output folder.
    estimate : OutputEstimate, optional
        What the run will write: its file system must have ``estimate.total`` +
        :data:`FREE_RESERVE_BYTES` free.

    Returns
    -------
    pathlib.Path
        ``out`` as a path.

    Raises
    ------
    OutputError
        When ``out`` is a file, cannot be created, is not writable or lacks the free space.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {out} is an existing file, not a folder: give a folder (it is created if missing)")
    existing = out
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if not existing.is_dir():
        raise OutputError(f"--out {out} cannot be created: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputError(f"--out {out} is not writable: no permission to write in {existing} (or a read-only file system)")
    if estimate is not None:
        _check_free_space(out, existing, estimate)
    return out


def _check_free_space(out: Path, existing: Path, estimate: OutputEstimate) -> None:
    """Refuse ``out`` when its file system has less than the estimate plus the reserve free."""
    free = shutil.disk_usage(existing).free
    needed = estimate.total + FREE_RESERVE_BYTES
    if free < needed:
        hint = f"; or write less: {estimate.hint}" if estimate.hint else ""
        raise OutputError(f"--out {out}: only {megabytes(free)} free on its file system, but this run writes {estimate.describe()} "
                          f"and {megabytes(FREE_RESERVE_BYTES)} are kept in reserve ({megabytes(needed)} needed): free some space or "
                          f"choose an --out on another file system{hint}")


def _refuse_other_spec(out: Path, key: str, source: str, *, force: bool) -> None:
    """Refuse ``out`` if its marker names another spec hash (unless ``force``)."""
    marker = out / MARKER_NAME
    if not marker.is_file():
        return
    try:
        recorded = json.loads(marker.read_text(encoding="utf-8"))
        other_key, other_source = str(recorded["spec_hash"]), str(recorded.get("source", "?"))
    except (OSError, ValueError, KeyError, TypeError):
        other_key, other_source = "unreadable", "?"
    if other_key != key and not force:
        raise OutputError(f"--out {out} holds results of a different spec ({other_source}, spec hash {other_key}; "
                          f"this is {source}, spec hash {key}): choose another --out, or give --force to overwrite them")


@contextmanager
def claimed_output_folder(out: str | os.PathLike, *, key: str, source: str = "spec", force: bool = False,
                          estimate: OutputEstimate | None = None) -> Iterator[Path]:
    """Create ``out``, hold its lock, check and record the spec, remove stale temp files.

    Parameters
    ----------
    out : str or os.PathLike
        The output folder (created if missing).
    key : str
        The spec hash of the run (:func:`localpairs.studies.common.spec_hash`).
    source : str
        Where the spec came from, recorded in the marker and named in messages.
    force : bool
        Accept a folder holding results of another spec (they are overwritten as the run proceeds).
    estimate : OutputEstimate, optional
        What the run will write: the file system must have room for it (:func:`check_output_folder`).

    Yields
    ------
    pathlib.Path
        The claimed folder, locked until the context exits.

    Raises
    ------
    OutputError
        When the folder cannot be created or written, lacks the free space of ``estimate``, another run holds its lock, or it holds
        results of a different spec and ``force`` is not given.
    """
    out = check_output_folder(out, estimate=estimate)
    try:
        out.mkdir(parents=True, exist_ok=True)
        handle = open(out / LOCK_NAME, "a+")
    except OSError as err:
        raise OutputError(f"--out {out} cannot be used: {err.strerror or err}") from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise OutputError(f"--out {out} is in use by another localpairs run (it holds {out / LOCK_NAME}): "
                              "wait for it to finish or choose another --out") from None
        try:
            _refuse_other_spec(out, key, source, force=force)
            write_json_atomic(out / MARKER_NAME, {"spec_hash": key, "source": source})
            for stale in remove_stale_temp_files(out):
                logger.info("removed %s, left by an interrupted run", stale)
            yield out
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
