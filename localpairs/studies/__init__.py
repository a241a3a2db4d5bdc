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
    from localpairs.output_size import OutputEstimate
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


def run_study(spec: RunSpec, outdir: Path, *, resume: bool = True, source: str = "spec", force: bool = False) -> Path:
    """Run the study named in ``spec.study`` into ``outdir``; return the report's path.

    The spec's checks run first; then the folder is claimed (:func:`localpairs.outdir.claimed_output_folder`): refused
    without the free space the study's output estimate needs, locked for the run, refused if it
    holds results of another spec (unless ``force``), cleared of stale temporary files.
    """
    from localpairs.outdir import claimed_output_folder
    from localpairs.studies.common import spec_hash
    from localpairs.studies.framework import execute, prepare

    module = study_module(spec.study)
    system = prepare(module.STUDY, spec, source=source)  # a spec refused leaves no mark on the output folder
    estimate = study_output(spec, system)
    with claimed_output_folder(outdir, key=spec_hash(spec), source=source, force=force, estimate=estimate) as folder:
        return execute(module.STUDY, spec, folder, resume=resume, source=source, system=system)


def check_study(spec: RunSpec, *, source: str = "spec") -> System:
    """Build the system of ``spec`` and run every check its study makes before running; return the system."""
    from localpairs.studies.framework import prepare

    module = study_module(spec.study)
    return prepare(module.STUDY, spec, source=source)


def study_output(spec: RunSpec, system: System) -> OutputEstimate:
    """What a run of ``spec`` (its system already built by :func:`check_study`) writes into its output folder."""
    from localpairs.studies.framework import output_estimate

    return output_estimate(study_module(spec.study).STUDY, spec, system)
