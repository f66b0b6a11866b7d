"""Column names shared by loaders, splitters, recommenders and metrics."""

USER_COL = "user_id"
ITEM_COL = "item_id"
WEIGHT_COL = "weight"
TIME_COL = "timestamp"
SCORE_COL = "score"
RANK_COL = "rank"
