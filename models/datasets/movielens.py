"""MovieLens 100K from a local data directory (official source: GroupLens)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from models.columns import ITEM_COL, TIME_COL, USER_COL
from models.datasets.errors import reading
from models.datasets.registry import get_dataset

RATING_COL = "rating"
GENRES = [
    "unknown",
    "Action",
    "Adventure",
    "Animation",
    "Children",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
]


def load_movielens_100k(data_dir: str | Path) -> pd.DataFrame:
    """Ratings of MovieLens 100K in file order (the order the MSR split's random draw uses).

    Parameters
    ----------
    data_dir : str or Path
        The folder that holds ``movielens-100k/u.data``.

    Returns
    -------
    pandas.DataFrame
        ``user_id``, ``item_id``, ``rating`` (1-5), ``timestamp`` (unix seconds).

    Raises
    ------
    models.datasets.DatasetMissing
        Naming the missing file and https://files.grouplens.org/datasets/movielens/ml-100k.zip.
    """
    path = get_dataset("movielens-100k").path(Path(data_dir), "u.data")
    with reading(path, "movielens-100k"):
        return pd.read_csv(
            path, sep="\t", names=[USER_COL, ITEM_COL, RATING_COL, TIME_COL], dtype="int64"
        )


def load_movielens_100k_items(data_dir: str | Path) -> pd.DataFrame:
    """Movies of MovieLens 100K: ``item_id``, ``title``, ``release_date``, ``genres`` (text)
    and one 0/1 column per genre."""
    path = get_dataset("movielens-100k").path(Path(data_dir), "u.item")
    cols = [ITEM_COL, "title", "release_date", "video_release_date", "url", *GENRES]
    with reading(path, "movielens-100k"):
        items = pd.read_csv(path, sep="|", names=cols, encoding="latin-1")
        genre_flags = items[list(GENRES)].astype(bool)
    items["genres"] = genre_flags.apply(lambda r: " ".join(g for g, on in r.items() if on), axis=1)
    items["release_date"] = pd.to_datetime(
        items["release_date"], format="%d-%b-%Y", errors="coerce"
    )
    return items.drop(columns=["video_release_date", "url"])


def load_movielens_100k_users(data_dir: str | Path) -> pd.DataFrame:
    """Users of MovieLens 100K: ``user_id``, ``age``, ``gender`` (M/F), ``occupation`` and
    ``zip_code`` as in ``u.user``.

    Raises
    ------
    models.datasets.DatasetMissing
        Naming the missing file and where to get it.
    """
    path = get_dataset("movielens-100k").path(Path(data_dir), "u.user")
    cols = [USER_COL, "age", "gender", "occupation", "zip_code"]
    with reading(path, "movielens-100k"):
        users = pd.read_csv(path, sep="|", names=cols, encoding="latin-1", dtype={"zip_code": str})
        users["age"] = users["age"].astype("int64")
    return users
