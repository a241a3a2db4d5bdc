"""Studies run by ``localpairs run``: each reads a validated spec and writes results, figures, report.

A study is a module here with ``run(spec, outdir, *, resume) -> Path`` (the report's path); it is
imported only when a spec asks for it.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING

from localpairs.errors import LocalPairsError

if TYPE_CHECKING:
    from localpairs.spec import RunSpec

#: study name → module in localpairs.studies
STUDIES: dict[str, str] = {
    "ground_state": "ground_state",
    "spectra": "spectra",
    "pump": "pump",
    "xfel": "xfel",
}


def run_study(spec: "RunSpec", outdir: Path, *, resume: bool = True) -> Path:
    """Run the study named in ``spec.study`` into ``outdir``; return the report's path."""
    try:
        module = importlib.import_module(f"localpairs.studies.{STUDIES[spec.study]}")
    except ModuleNotFoundError as err:
        if err.name == f"localpairs.studies.{STUDIES[spec.study]}":
            raise LocalPairsError(f"study '{spec.study}' is not available in this version") from None
        raise
    return module.run(spec, Path(outdir), resume=resume)
