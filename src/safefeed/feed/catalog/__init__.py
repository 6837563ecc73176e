"""The in-memory columnar catalog, item embeddings, the ANN index and derived lists."""

from safefeed.feed.catalog.columns import CatalogView, FeedCatalog, ItemBatch
from safefeed.feed.catalog.derived import DerivedLists, build_lists
from safefeed.feed.catalog.index import AnnIndex
from safefeed.feed.catalog.loader import refresh_catalog

__all__ = [
    "AnnIndex",
    "CatalogView",
    "DerivedLists",
    "FeedCatalog",
    "ItemBatch",
    "build_lists",
    "refresh_catalog",
]
