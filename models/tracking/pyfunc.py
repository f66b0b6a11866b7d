"""Any emporium recommender as an MLflow pyfunc model with a signature."""

from __future__ import annotations

from typing import Any

import mlflow.pyfunc
import numpy as np
import pandas as pd
from mlflow.models import ModelSignature
from mlflow.types import ColSpec, Schema

from models.columns import ITEM_COL, RANK_COL, SCORE_COL, USER_COL, WEIGHT_COL
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


def _integral_text(text: str) -> str | None:
    """``"12042.0"`` -> ``"12042"`` (ids read from a column pandas made float); else None."""
    try:
        number = float(text)
    except ValueError:
        return None
    return str(int(number)) if number.is_integer() else None


class RecommenderPyfunc(mlflow.pyfunc.PythonModel):
    """Input: ``user_id`` and optionally ``history`` (space-separated item ids of events since
    training, added to the user's training history; a new user has only these). Output:
    ``user_id, item_id, score, rank``, the top n per user.

    Ids arrive as text and are matched to the model's own ids by their text (``12042``,
    ``12042.0`` and the int 12042 are one customer); an id the model does not know is a new
    user, or an item it ignores."""

    def __init__(self, n: int = 10) -> None:
        self.n = n
        self.model: Recommender | None = None
        self._by_text: dict[str, dict[str, Any]] = {}

    def load_context(self, context: Any) -> None:
        self.model = Recommender.load(context.artifacts["model"])
        self._by_text = {}

    def _ids(self, values: list[Any], kind: str, index: pd.Index) -> list[Any]:
        by_text = getattr(self, "_by_text", None)
        if by_text is None:  # an instance unpickled from before this attribute
            by_text = self._by_text = {}
        if kind not in by_text:
            by_text[kind] = {str(v): v for v in index}
        table = by_text[kind]
        out = []
        for value in values:
            text = str(value)
            if text not in table:
                text = _integral_text(text) or text
            out.append(table.get(text, text))
        return out

    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> pd.DataFrame:
        model = self.model
        users = self._ids(model_input[USER_COL].tolist(), "users", model.user_ids_)
        history = None
        if HISTORY_COL in model_input.columns and model_input[HISTORY_COL].fillna("").any():
            texts = model_input[HISTORY_COL].fillna("").astype(str)
            pairs = [
                (u, item)
                for u, text in zip(users, texts, strict=True)
                for item in self._ids(text.split(), "items", model.item_ids_)
            ]
            added = pd.DataFrame(pairs, columns=[USER_COL, ITEM_COL])
            trained = model.train_history_
            if WEIGHT_COL in trained.columns:  # new events weigh 1; trained ones keep theirs
                added[WEIGHT_COL] = 1.0
            history = pd.concat([trained[trained[USER_COL].isin(users)], added])
        ids, scores = model.recommend(users, user_items=history, n=self.n)
        width = ids.shape[1]
        recs = pd.DataFrame(
            {  # each answer under the id the request gave, so callers can join on it
                USER_COL: np.repeat(model_input[USER_COL].astype(str).to_numpy(), width),
                ITEM_COL: ids.ravel().astype(str),
                SCORE_COL: scores.ravel().astype(np.float64),
                RANK_COL: np.tile(np.arange(1, width + 1, dtype=np.int64), len(ids)),
            }
        )
        return recs[np.isfinite(recs[SCORE_COL])].reset_index(drop=True)
