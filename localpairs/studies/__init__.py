"""Studies run by ``localpairs run``: each reads a validated spec and writes results, figures, report.

A study is a module here exposing ``STUDY = Study(...)`` (:mod:`localpairs.studies.framework`);
it is imported only when a spec asks for it. :func:`run_study` runs it through the one shared
output tail (:func:`~localpairs.studies.framework.execute`); :func:`check_study` runs every check
that ``run`` would, and nothing heavy.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from localpairs.errors import LocalPairsError

if TYPE_CHECKING:
    from localpairs.spec import RunSpec
    from localpairs.studies.common import System

#: study name → module in localpairs.studies
STUDIES: dict[str, str] = {
    "ground_state": "ground_state",
    "spectra": "spectra",
    "pump": "pump",
    "xfel": "xfel",
}


def study_module(name: str) -> ModuleType:
    """The module of study ``name`` (imported on demand)."""
    module_name = f"localpairs.studies.{STUDIES[name]}"
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        if err.name == module_name:
            raise LocalPairsError(f"study '{name}' is not available in this version") from None
        raise


def _transitional_checks(spec: "RunSpec", source: str) -> None:
    """What :func:`~localpairs.studies.framework.prepare` checks first, for a study not yet in the Study shape."""
    from localpairs.spec import SpecError

    section = spec.study if spec.study != "ground_state" else None
    if section is not None and getattr(spec, section, None) is None:
        raise SpecError(f"{source}: study = {spec.study!r} needs a [{section}] section (an empty one takes every default)")


def run_study(spec: "RunSpec", outdir: Path, *, resume: bool = True, source: str = "spec", force: bool = False) -> Path:
    """Run the study named in ``spec.study`` into ``outdir``; return the report's path.

    The folder is claimed first (:func:`localpairs.outdir.claimed_output_folder`): locked for the
    run, refused if it holds results of another spec (unless ``force``), cleared of stale
    temporary files.
    """
    from localpairs.outdir import claimed_output_folder
    from localpairs.studies.common import spec_hash
    from localpairs.studies.framework import execute

    module = study_module(spec.study)
    with claimed_output_folder(outdir, key=spec_hash(spec), source=source, force=force) as folder:
        if not hasattr(module, "STUDY"):  # a study not yet in the Study shape (transitional)
            _transitional_checks(spec, source)
            return module.run(spec, folder, resume=resume)
        return execute(module.STUDY, spec, folder, resume=resume, source=source)


def check_study(spec: "RunSpec", *, source: str = "spec") -> "System":
    """Build the system of ``spec`` and run every check its study makes before running; return the system."""
    from localpairs.studies.common import build_system
    from localpairs.studies.framework import prepare

    module = study_module(spec.study)
    if not hasattr(module, "STUDY"):  # transitional, see run_study
        _transitional_checks(spec, source)
        return build_system(spec, source=source)
    return prepare(module.STUDY, spec, source=source)
