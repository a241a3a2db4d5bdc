"""Kill a trajectory run at an accepted step, then resume it from its checkpoint (test helper)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from localpairs.solvers.dynamics.trajectory import run_trajectory


class Killed(Exception):
    """Raised by the ``on_step`` hook to stop a run as a kill -9 would (after its last checkpoint)."""


def killed_then_resumed(op: Any, psi0: Any, times: Any, *, path: Path, at_step: int, **kwargs: Any) -> Any:
    """Run until accepted step ``at_step`` (killed there, the checkpoint at ``path`` left behind), then resume to the end."""

    def kill(state: Any) -> None:
        if state.steps == at_step:
            raise Killed

    with pytest.raises(Killed):
        run_trajectory(op, psi0, times, checkpoint=path, on_step=kill, **kwargs)
    assert path.is_file()
    return run_trajectory(op, psi0, times, checkpoint=path, **kwargs)
