"""Content-based recommendations from product text (scikit-learn TF-IDF).

Items nobody has bought yet are in the catalog text, so they can be recommended and found
similar from day one: the cold-start answer the collaborative models cannot give.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import scipy.sparse as sp

from models.columns import ITEM_COL
from models.recommenders.base import Recommender


class ContentTfidf(Recommender):
    """Scores items by cosine similarity of their text to the user's history profile.

    Parameters
    ----------
    item_text : mapping or pandas.Series
        Item id -> text (name, description, category...). Every item here is recommendable,
        bought or not.
    max_features : int
        Vocabulary size cap of the TF-IDF vectoriser.
    ngram_range : tuple of int
        Word n-grams used.
    """

    name = "content"

    def __init__(
        self,
        item_text: Mapping | pd.Series,
        max_features: int = 50_000,
        ngram_range: tuple[int, int] = (1, 2),
    ) -> None:
        super().__init__()
        self.item_text = pd.Series(dict(item_text)) if isinstance(item_text, Mapping) else item_text
        self.max_features, self.ngram_range = max_features, ngram_range
        self.vectors_: sp.csr_matrix | None = None

    def _item_universe(self, interactions: pd.DataFrame) -> pd.Index:
        return pd.Index(self.item_text.index).union(pd.Index(interactions[ITEM_COL].unique()))

    def _fit(self, matrix: sp.csr_matrix, interactions: pd.DataFrame) -> None:
        # scikit-learn is imported on use: it takes seconds, and every CLI command imports this.
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.preprocessing import normalize

        text = self.item_text.reindex(self.item_ids_).fillna("").astype(str)
        vectorizer = TfidfVectorizer(
            max_features=self.max_features, ngram_range=self.ngram_range, sublinear_tf=True
        )
        self.vectors_ = normalize(vectorizer.fit_transform(text.to_numpy())).astype(np.float32)

    def _score(self, history: sp.csr_matrix, user_index: np.ndarray) -> np.ndarray:
        from sklearn.preprocessing import normalize

        profile = normalize(history @ self.vectors_)
        return (profile @ self.vectors_.T).toarray()
