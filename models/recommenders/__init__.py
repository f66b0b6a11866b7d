"""Recommenders behind one interface (``Recommender``): fit, recommend, similar_items."""

from models.recommenders.base import Recommender
from models.recommenders.content import ContentTfidf
from models.recommenders.ease import EASE
from models.recommenders.implicit_models import ALS, BPR, ItemKNN
from models.recommenders.popularity import TimeDecayedPopularity
from models.recommenders.rp3beta import RP3beta
from models.recommenders.sequence import SequenceNeighbours
from models.recommenders.session import SessionItemToItem
from models.recommenders.spark_als import SparkALS

__all__ = [
    "ALS",
    "BPR",
    "EASE",
    "ContentTfidf",
    "ItemKNN",
    "RP3beta",
    "Recommender",
    "SequenceNeighbours",
    "SessionItemToItem",
    "SparkALS",
    "TimeDecayedPopularity",
]
