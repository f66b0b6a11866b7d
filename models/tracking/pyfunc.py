"""Any emporium recommender as an MLflow pyfunc model with a signature."""

from __future__ import annotations

from typing import Any

import mlflow.pyfunc
import numpy as np
import pandas as pd
from mlflow.models import ModelSignature
from mlflow.types import ColSpec, Schema

from models.columns import ITEM_COL, RANK_COL, SCORE_COL, USER_COL
from models.recommenders.base import Recommender

HISTORY_COL = "history"

SIGNATURE = ModelSignature(
    inputs=Schema([ColSpec("string", USER_COL), ColSpec("string", HISTORY_COL, required=False)]),
    outputs=Schema(
        [
            ColSpec("string", USER_COL),
            ColSpec("string", ITEM_COL),
            ColSpec("double", SCORE_COL),
            ColSpec("long", RANK_COL),
        ]
    ),
    params=None,
)


def _coerce(values: list[Any], index: pd.Index) -> list[Any]:
    """Match string ids from the request to the model's id type (ints stay ints)."""
    if pd.api.types.is_integer_dtype(index.dtype):
        return [int(v) for v in values]
    return [str(v) for v in values]


class RecommenderPyfunc(mlflow.pyfunc.PythonModel):
    """Input: ``user_id`` and optionally ``history`` (space-separated item ids of events since
    training, added to the user's training history; a new user has only these). Output:
    ``user_id, item_id, score, rank``, the top n per user."""

    def __init__(self, n: int = 10) -> None:
        self.n = n
        self.model: Recommender | None = None

    def load_context(self, context: Any) -> None:
        self.model = Recommender.load(context.artifacts["model"])

    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> pd.DataFrame:
        model = self.model
        users = _coerce(model_input[USER_COL].tolist(), model.user_ids_)
        history = None
        if HISTORY_COL in model_input.columns and model_input[HISTORY_COL].fillna("").any():
            pairs = [
                (u, item)
                for u, text in zip(users, model_input[HISTORY_COL].fillna(""), strict=True)
                for item in _coerce(str(text).split(), model.item_ids_)
            ]
            history = pd.DataFrame(pairs, columns=[USER_COL, ITEM_COL])
            history = pd.concat([history, model.train_history_[[USER_COL, ITEM_COL]]])
            history = history[history[USER_COL].isin(users)]
        recs = model.recommend_frame(users, user_items=history, n=self.n)
        recs[USER_COL] = recs[USER_COL].astype(str)
        recs[ITEM_COL] = recs[ITEM_COL].astype(str)
        recs[SCORE_COL] = recs[SCORE_COL].astype(np.float64)
        recs[RANK_COL] = recs[RANK_COL].astype(np.int64)
        return recs
