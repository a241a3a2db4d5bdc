"""Base class of run-spec sections (kept apart so that study modules can define sections)."""

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """Base of all spec sections: unknown keys are errors, types are not coerced."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
