"""Any emporium recommender as an MLflow pyfunc model with a signature."""

from __future__ import annotations

from typing import Any

import mlflow.pyfunc
import numpy as np
import pandas as pd
from mlflow.models import ModelSignature
from mlflow.types import ColSpec, Schema

from models.columns import ITEM_COL, RANK_COL, SCORE_COL, USER_COL, WEIGHT_COL
from models.id_text import IdsByText
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

    def load_context(self, context: Any) -> None:
        self.model = Recommender.load(context.artifacts["model"])

    def _ids(self, values: list[Any], kind: str, index: pd.Index) -> list[Any]:
        """Each value's id in the model (by its text), or the text itself if unknown."""
        by_text = self.__dict__.setdefault("_ids_by_text", {})  # not pickled before use
        if kind not in by_text:
            by_text[kind] = IdsByText(index)
        table = by_text[kind]
        out = []
        for value in values:
            found = table.get(str(value))
            out.append(str(value) if found is None else found)
        return out

    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> pd.DataFrame:
        """The top n of each row. Rows naming the same user are answered one by one, each
        from its own ``history``, never from their histories merged."""
        model = self.model
        users = self._ids(model_input[USER_COL].tolist(), "users", model.user_ids_)
        keys = pd.Series([str(u) for u in users])
        waves = keys.groupby(keys).cumcount().to_numpy()  # k-th row of the same user
        parts = []
        for wave in range(int(waves.max()) + 1 if len(waves) else 0):
            rows = np.flatnonzero(waves == wave)
            part = self._answer(model_input.iloc[rows], [users[r] for r in rows])
            parts.append(part.assign(_row=rows[part.pop("_local").to_numpy()]))
        if not parts:
            return self._answer(model_input, users).drop(columns="_local")
        recs = pd.concat(parts).sort_values(["_row", RANK_COL], kind="stable")
        return recs.drop(columns="_row").reset_index(drop=True)

    def _answer(self, model_input: pd.DataFrame, users: list[Any]) -> pd.DataFrame:
        """Recommendations for rows whose users are all different (``_local``: the row)."""
        model = self.model
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
                "_local": np.repeat(np.arange(len(ids)), width),
            }
        )
        return recs[np.isfinite(recs[SCORE_COL])].reset_index(drop=True)
