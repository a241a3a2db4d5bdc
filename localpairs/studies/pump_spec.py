"""``[pump]`` section of a run spec (filled in with the pump study)."""

from localpairs.spec_base import Strict


class PumpSpec(Strict):
    """Settings of the pump study."""
