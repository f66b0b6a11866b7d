"""Spark MLlib ALS behind the emporium interface, for catalogs past one machine.

Training runs on Spark; the learned factors are exported to plain numpy arrays, so the
fitted object pickles without a JVM and serving folds users in with ``als_fold_in``.
"""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from models.recommenders.base import Recommender
from models.recommenders.factors import als_fold_in, cosine_item_scores


def spark_session(master: str = "local[*]", driver_memory: str = "2g", app: str = "emporium"):
    """Get or create a SparkSession; driver memory is set before the JVM starts.

    Parameters
    ----------
    master : str
        Spark master URL, e.g. ``local[*]`` or ``spark://host:7077``.
    driver_memory : str
        ``spark.driver.memory`` (only effective when this call starts the JVM).
    app : str
        Application name.
    """
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master(master)
        .appName(app)
        .config("spark.driver.memory", driver_memory)
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )


class SparkALS(Recommender):
    """Implicit-feedback ALS trained with Spark MLlib; factors exported to numpy.

    Parameters
    ----------
    factors, regularization, alpha, iterations : ALS hyperparameters (Spark's rank,
        regParam, alpha, maxIter).
    seed : int
        Random seed.
    master, driver_memory : str
        Where Spark runs (``local[*]`` by default).
    """

    name = "spark_als"

    def __init__(
        self,
        factors: int = 64,
        regularization: float = 0.05,
        alpha: float = 1.0,
        iterations: int = 15,
        seed: int = 42,
        master: str = "local[*]",
        driver_memory: str = "2g",
    ) -> None:
        super().__init__()
        self.factors, self.regularization, self.alpha = factors, regularization, alpha
        self.iterations, self.seed = iterations, seed
        self.master, self.driver_memory = master, driver_memory
        self.user_factors_: np.ndarray | None = None
        self.item_factors_: np.ndarray | None = None
        self.train_seconds_: float | None = None

    def _fit(self, matrix: sp.csr_matrix, interactions: pd.DataFrame) -> None:
        from pyspark.ml.recommendation import ALS as MLlibALS

        spark = spark_session(self.master, self.driver_memory)
        coo = matrix.tocoo()
        frame = pd.DataFrame(
            {"u": coo.row.astype("int32"), "i": coo.col.astype("int32"), "r": coo.data}
        )
        df = spark.createDataFrame(frame).cache()
        df.count()  # materialise so the timing below is training, not data transfer
        als = MLlibALS(**self._spark_params())
        start = time.perf_counter()
        fitted = als.fit(df)  # eager: MLlib runs every iteration inside fit()
        self.train_seconds_ = time.perf_counter() - start
        self.item_factors_ = _factors(fitted.itemFactors, matrix.shape[1], self.factors)
        self.user_factors_ = _factors(fitted.userFactors, matrix.shape[0], self.factors)
        df.unpersist()

    def _spark_params(self) -> dict[str, Any]:
        return dict(
            rank=self.factors,
            maxIter=self.iterations,
            regParam=self.regularization,
            alpha=self.alpha,
            implicitPrefs=True,
            userCol="u",
            itemCol="i",
            ratingCol="r",
            seed=self.seed,
            coldStartStrategy="drop",
        )

    def _score(self, history: sp.csr_matrix, user_index: np.ndarray) -> np.ndarray:
        # Spark scales the penalty by each user's count (ALS-WR); the fold-in does the same.
        users = als_fold_in(
            history, self.item_factors_, self.regularization, self.alpha, scale_reg_by_count=True
        )
        return users @ self.item_factors_.T

    def _item_scores(self, item_index: np.ndarray) -> np.ndarray:
        return cosine_item_scores(self.item_factors_, item_index)


def _factors(frame: Any, size: int, rank: int) -> np.ndarray:
    """A Spark (id, features) factor table as a dense (size, rank) float32 array."""
    rows = frame.toPandas()
    out = np.zeros((size, rank), dtype=np.float32)
    if len(rows):
        out[rows["id"].to_numpy()] = np.stack(rows["features"].to_numpy()).astype(np.float32)
    return out
