"""``[spectra]`` section of a run spec (filled in with the spectra study)."""

from localpairs.spec_base import Strict


class SpectraSpec(Strict):
    """Settings of the spectra study."""
