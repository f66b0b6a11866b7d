"""Errors of the models package, each with a stable ``code``."""

from __future__ import annotations


class ModelError(Exception):
    """Base class for model problems."""

    code = "model_error"


class NotFittedError(ModelError):
    """A model was used before ``fit``."""

    code = "model_not_fitted"

    def __init__(self, model: str) -> None:
        super().__init__(f"{model} is not fitted: call fit(interactions) first")


class FitFailed(ModelError):
    """Training did not produce a usable model."""

    code = "model_fit_failed"


class PromotionRejected(ModelError):
    """A challenger did not beat the champion by the configured margin."""

    code = "promotion_rejected"


class EmptySplit(ModelError, ValueError):
    """A split left one of its parts without a single interaction."""

    code = "empty_split"


class RegistryUnavailable(ModelError):
    """The model registry did not answer (refused, timed out, or failed on its side)."""

    code = "registry_unavailable"
