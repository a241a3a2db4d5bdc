"""Atomic file output and provenance (package and library versions, git commit of a checkout).

Every file a study writes goes to a temporary file in the same folder first and is then moved
into place with :func:`os.replace`, which is atomic on POSIX: after a crash either the old file
or the complete new one is there, never half of it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from localpairs.errors import LocalPairsError

#: Names of the temporary files of :func:`atomic_path`: ``.<target name>.<8 random characters>.tmp``
#: (:func:`tempfile.mkstemp`'s alphabet). Only files matching it are removed by :func:`remove_stale_temp_files`.
TEMP_NAME = re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp$")


class OutputError(LocalPairsError, OSError):
    """An output file or folder cannot be written (permissions, read-only or full file system)."""


def current_umask() -> int:
    """Return the process's file-mode creation mask.

    It is read from /proc where possible: setting it to read it is not thread-safe.

    Returns
    -------
    int
        The umask (e.g. ``0o022``).
    """
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success move it onto ``path`` atomically.

    Parameters
    ----------
    path : str or os.PathLike
        The file to write.

    Yields
    ------
    pathlib.Path
        The temporary file to write to.

    Raises
    ------
    OutputError
        On any :class:`OSError` (no permission, read-only or full file system), naming ``path``;
        the temporary file is removed.

    Notes
    -----
    The file gets the mode a plainly created file would have (``0o666 & ~umask``; the temporary
    file is created ``0o600``).
    """
    target = Path(path)
    tmp_path = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        os.close(fd)
        tmp_path = Path(tmp)
        yield tmp_path
        os.chmod(tmp_path, 0o666 & ~current_umask())
        os.replace(tmp_path, target)
    except OSError as err:
        if isinstance(err, LocalPairsError):
            raise
        raise OutputError(f"cannot write {target}: {err.strerror or err}") from err
    finally:
        if tmp_path is not None and tmp_path.exists():
            tmp_path.unlink()


def remove_stale_temp_files(folder: str | os.PathLike) -> list[Path]:
    """Remove the temporary files a killed run left in ``folder`` and below.

    Call it only while holding the folder's lock (:mod:`localpairs.outdir`): a running writer's
    temporary file has the same form.

    Parameters
    ----------
    folder : str or os.PathLike
        The output folder.

    Returns
    -------
    list of pathlib.Path
        The files removed (names matching :data:`TEMP_NAME`).
    """
    removed = []
    for candidate in Path(folder).rglob("*.tmp"):
        if TEMP_NAME.match(candidate.name) and candidate.is_file():
            candidate.unlink(missing_ok=True)
            removed.append(candidate)
    return removed


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` atomically.

    Parameters
    ----------
    path : str or os.PathLike
        The file to write.
    text : str
        Its content (UTF-8).
    """
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json_atomic(path: str | os.PathLike, data: Any) -> None:
    """Write ``data`` as JSON to ``path`` atomically.

    Parameters
    ----------
    path : str or os.PathLike
        The file to write.
    data : Any
        A JSON-serialisable value.
    """
    write_text_atomic(path, json.dumps(data, indent=2, sort_keys=True, default=_jsonable))


def write_with(path: str | os.PathLike, writer: Callable[[Path], None]) -> None:
    """Call ``writer(tmp_path)`` and move the result onto ``path`` atomically.

    Parameters
    ----------
    path : str or os.PathLike
        The file to write.
    writer : callable
        Writes the file at the temporary path it is given.
    """
    with atomic_path(path) as tmp:
        writer(tmp)


def _jsonable(obj: Any) -> Any:
    import numpy as np

    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, (np.floating, np.integer)):
        return obj.item()
    if isinstance(obj, complex):
        return [obj.real, obj.imag]
    raise TypeError(f"cannot store {type(obj).__name__} as JSON")


#: Seconds allowed for each ``git`` call of :func:`git_revision` (a slow network file system
#: must not stall a study; provenance then simply lacks the commit).
GIT_TIMEOUT_S = 5.0
_SHA1 = re.compile(r"[0-9a-f]{40}")


def git_revision(directory: str | os.PathLike | None = None) -> tuple[str, bool] | None:
    """Commit and dirty flag of the git checkout ``directory`` belongs to, or None.

    Parameters
    ----------
    directory
        Folder to ask about; default: the folder of this package. It counts as a checkout only if
        git tracks files in it (a package installed into a virtual environment that lies inside
        some other repository gives None, not that repository's commit).

    Returns
    -------
    tuple or None
        ``(commit, dirty)``: the 40-hex ``HEAD`` commit and whether tracked files differ from it
        (untracked files do not count). None when not a checkout, git is missing, or it fails or
        takes longer than :data:`GIT_TIMEOUT_S`: this never raises.
    """
    folder = Path(__file__).resolve().parent if directory is None else Path(directory)

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True, timeout=GIT_TIMEOUT_S)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout if done.returncode == 0 else None

    tracked = git("ls-files", "--", ".")
    head = git("rev-parse", "HEAD") if tracked else None
    if head is None or not _SHA1.fullmatch(head.strip()):
        return None
    changes = git("status", "--porcelain", "--untracked-files=no")
    return head.strip(), changes is None or changes.strip() != ""


def versions() -> dict[str, str]:
    """Return the versions of localpairs and of the libraries whose numbers it produces.

    Returns
    -------
    dict of str to str
        Package name → version. When localpairs runs from a git checkout,
        ``"localpairs-commit"`` is its ``HEAD`` commit (40 hex digits), followed by ``-dirty`` if
        tracked files were changed; otherwise absent.
    """
    out = {}
    for name in ("localpairs", "quspin", "quspin-extensions", "numpy", "scipy", "xarray", "matplotlib"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    revision = git_revision()
    if revision is not None:
        out["localpairs-commit"] = revision[0] + ("-dirty" if revision[1] else "")
    return out
