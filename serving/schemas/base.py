"""The base of every request body model."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from commerce.domain.text import has_nul


class InputModel(BaseModel):
    """Unknown fields are refused, and no string may hold a NUL character: PostgreSQL text
    and JSON columns cannot store one, so it would fail deep in a write instead of here."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if has_nul(value):
            raise ValueError("NUL characters are not allowed")
        return value
