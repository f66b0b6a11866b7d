"""Learning to rank over several recommenders' candidates."""

from models.ranker.ranker import CandidateRanker, default_inner_split

__all__ = ["CandidateRanker", "default_inner_split"]
