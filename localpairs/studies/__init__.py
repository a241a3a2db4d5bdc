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
    """Import the module of a study on demand.

    Parameters
    ----------
    name : str
        Study name, a key of :data:`STUDIES` (``"ground_state"``, ``"spectra"``, ``"pump"``, ``"xfel"``).

    Returns
    -------
    types.ModuleType
        The study's module (it defines ``STUDY``).

    Raises
    ------
    LocalPairsError
        When the study's module is not part of this version.
    """
    module_name = f"localpairs.studies.{STUDIES[name]}"
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        if err.name == module_name:
            raise LocalPairsError(f"study '{name}' is not available in this version") from None
        raise


def run_study(spec: RunSpec, outdir: Path, *, resume: bool = True, source: str = "spec", force: bool = False) -> Path:
    """Run the study named in ``spec.study`` into ``outdir``.

    Parameters
    ----------
    spec : RunSpec
        The validated run spec.
    outdir : pathlib.Path
        Output folder (created if missing).
    resume : bool
        Reuse the checkpoints a previous run of the same spec left in ``outdir``.
    source : str
        Where the spec came from (its file name), recorded in the output and named in messages.
    force : bool
        Accept a folder holding results of another spec (they are overwritten).

    Returns
    -------
    pathlib.Path
        Path of the report the run wrote.

    Raises
    ------
    LocalPairsError
        When a check of the spec fails, or :class:`~localpairs.io.OutputError` when the folder is refused.

    Notes
    -----
    The spec's checks run first; then the folder is claimed
    (:func:`localpairs.outdir.claimed_output_folder`): refused without the free space the study's
    output estimate needs, locked for the run, refused if it holds results of another spec (unless
    ``force``), cleared of stale temporary files.
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
    """Build the system of ``spec`` and run every check its study makes before running.

    Parameters
    ----------
    spec : RunSpec
        The validated run spec.
    source : str
        Where the spec came from, named in messages.

    Returns
    -------
    System
        The built system (cluster, model and sector).

    Raises
    ------
    LocalPairsError
        When a check refuses the spec (e.g. :class:`~localpairs.errors.TooLargeError`).
    """
    from localpairs.studies.framework import prepare

    module = study_module(spec.study)
    return prepare(module.STUDY, spec, source=source)


def study_output(spec: RunSpec, system: System) -> OutputEstimate:
    """Estimate what a run of ``spec`` writes into its output folder.

    Parameters
    ----------
    spec : RunSpec
        The validated run spec.
    system : System
        Its system, already built by :func:`check_study`.

    Returns
    -------
    OutputEstimate
        Bytes per output file and in total.
    """
    from localpairs.studies.framework import output_estimate

    return output_estimate(study_module(spec.study).STUDY, spec, system)
