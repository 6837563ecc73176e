"""The in-memory columnar catalog: one row per item, one NumPy array per attribute.

Serving reads a `CatalogView`, an immutable capture of the arrays and the row
count at one moment: appending rows never disturbs a request in flight (arrays
that must grow are reallocated, and the view keeps the old ones). Statistics of
existing rows are updated in place; a request may see a count a few events newer
than its neighbours', which is harmless.

Gate `Candidate` objects are built once per row and cached, so the gate's
per-revision memo hits on every later request.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import numpy.typing as npt

from safefeed.clock import from_us
from safefeed.feed.catalog.embedding import TOPICS, EmbeddingSpace
from safefeed.feed.catalog.index import AnnIndex
from safefeed.policy.gate import Candidate
from safefeed.policy.records import topic_key

__all__ = [
    "FORMATS",
    "ITEM_STATS",
    "ITEM_STATS_BLOCK",
    "NO_EXPIRY",
    "TOPIC_SLOTS",
    "CatalogView",
    "FeedCatalog",
    "ItemBatch",
    "RowColumns",
    "id_hash",
    "row_sums",
]

FORMATS: tuple[str, ...] = ("post", "article", "video", "short", "live_replay", "podcast")
_FORMAT_CODE = {name: code for code, name in enumerate(FORMATS)}
#: Topics kept per item (the first ones its event named).
TOPIC_SLOTS = 4
NO_EXPIRY = np.iinfo(np.int64).max
#: Per-item statistics columns (see `safefeed.store.feed_tables.FeedItemStats`).
ITEM_STATS: tuple[str, ...] = (
    "w_impressions",
    "w_opens",
    "w_dwell_ratio",
    "w_dwells",
    "w_saves",
    "w_likes",
    "w_hides",
    "w_reports",
    "n_impressions",
    "n_opens",
    "n_dwell_s",
    "n_hides",
    "n_reports",
    "velocity",
    "low_trust_share",
    "safety_score",
)
_CREATOR_STATS = ("c_w_impressions", "c_w_follows", "c_w_negative")
#: The statistics columns are views of one row-major block under this name: a pool
#: reads most of them, and one gather of a row's 64 bytes (a cache line) costs what
#: gathering one column costs.
ITEM_STATS_BLOCK = "item_stats"
_STAT_SLOT = {name: slot for slot, name in enumerate(ITEM_STATS)}
_DEFAULT_DURATION = {"post": 20.0, "article": 180.0, "video": 300.0, "short": 30.0}

IntArray = npt.NDArray[np.int64]
_EDIT_LOG = 4096
#: Bytes of an id hash (48 bits: short enough for a cursor, collisions only hide an item).
ID_HASH_BYTES = 6


def row_sums(values: np.ndarray) -> np.ndarray:
    """The sum of each row of a two-dimensional array (a per-topic-slot column), added
    slot by slot from the left: the values ``values.sum(axis=1)`` gives (NumPy adds a
    short inner axis in that order), at a third of its cost; booleans count as int64.

    >>> row_sums(np.array([[0.1, 0.2, 0.3], [1.0, -1.0, 0.5]])).tolist() == [
    ...     0.1 + 0.2 + 0.3, 0.5]
    True
    >>> row_sums(np.array([[True, False], [True, True]])).tolist()
    [1, 2]
    """
    total = values[:, 0].astype(np.int64 if values.dtype == np.bool_ else values.dtype)
    for slot in range(1, values.shape[1]):
        total += values[:, slot]
    return total


def id_hash(content_id: str) -> int:
    """A short, stable hash of a content id, as stored in the ``id_hash`` column.

    >>> id_hash("c1") == id_hash("c1") and 0 <= id_hash("c1") < 2**48
    True
    """
    digest = hashlib.blake2b(content_id.encode(), digest_size=ID_HASH_BYTES).digest()
    return int.from_bytes(digest, "little")


FloatArray = npt.NDArray[np.float32]


@dataclass(slots=True)
class ItemBatch:
    """Catalog attributes of a batch of items, as columns (store rows or a generator)."""

    content_ids: list[str]
    creator_ids: list[str]
    topics: list[Sequence[str]]
    formats: list[str]
    durations: list[float | None]
    qualities: list[float | None]
    published_us: list[int]
    expires_us: list[int | None]
    deleted: list[bool]
    #: Every item's vector at the catalog's dimension: its topic vector, or for the
    #: items of `space_vectors` the projection of theirs (see `embedding.project`).
    embeddings: FloatArray
    hashtags: list[tuple[str, ...]] = field(default_factory=list)
    regions: list[str | None] = field(default_factory=list)
    #: The items whose vector lives in a space other than the topic vectors' (a
    #: platform's or a model's embedding), by position in the batch: the space and the
    #: vector as it is there.
    space_vectors: dict[int, tuple[EmbeddingSpace, FloatArray]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CatalogView:
    """The catalog as one request sees it: ``n`` rows of every column."""

    n: int
    revision: int
    catalog: FeedCatalog
    columns: dict[str, np.ndarray]
    creator_columns: dict[str, np.ndarray]
    topic_names: tuple[str, ...]

    def col(self, name: str) -> np.ndarray:
        return self.columns[name]

    def ccol(self, name: str) -> np.ndarray:
        return self.creator_columns[name]

    def space_vectors(self, code: int, rows: IntArray) -> FloatArray:
        """The vectors of ``rows`` (all of embedding space ``code``) as they are in that
        space; rows no longer in its index are left out."""
        if code == 0:
            vectors: FloatArray = self.columns["embedding"].take(rows, axis=0)
            return vectors
        return self.catalog.indexes[code].vectors(rows)

    def at(self, rows: IntArray) -> RowColumns:
        """The columns at ``rows``, each gathered when first read (see `RowColumns`)."""
        return RowColumns(self, rows)


class RowColumns:
    """Catalog columns at some rows (one request's candidate pool), each gathered from
    the catalog once, when a stage first reads it, and shared by every later stage.

    A gather is a random read over the whole catalog (15-45 µs per column at 1M rows,
    by how cold the cache is); the estimates, the creator prior, the model inputs and
    reranking read many of the same columns, and the statistics are gathered together,
    as one block. The arrays are read-only: they are shared.

    >>> catalog = FeedCatalog(dim=4)
    >>> columns = catalog.view.at(np.empty(0, np.int64))
    >>> len(columns), columns["quality"].tolist(), columns["quality"] is columns["quality"]
    (0, [], True)
    """

    __slots__ = ("_creators", "_items", "rows", "view")

    def __init__(self, view: CatalogView, rows: IntArray) -> None:
        self.view = view
        self.rows = rows
        self._items: dict[str, np.ndarray] = {}
        self._creators: dict[str, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, name: str) -> np.ndarray:
        """Item column ``name`` at the rows."""
        found = self._items.get(name)
        if found is None:
            slot = _STAT_SLOT.get(name)
            if slot is not None:
                found = self[ITEM_STATS_BLOCK][:, slot]
            else:
                # `take`, not fancy indexing: the same values, ten times faster on the
                # two-dimensional columns. (Never `take` from a statistics column: on
                # a view of the block it copies the whole column first.)
                found = self.view.columns[name].take(self.rows, axis=0)
                found.flags.writeable = False
            self._items[name] = found
        return found

    def creator(self, name: str) -> np.ndarray:
        """Creator column ``name`` at the creators of the rows."""
        found = self._creators.get(name)
        if found is None:
            found = self.view.creator_columns[name].take(self["creator"])
            self._creators[name] = found
            found.flags.writeable = False
        return found


class FeedCatalog:
    """The columnar catalog with an embedding index per embedding space.

    ``spaces`` lists the spaces met so far, ``indexes`` their indexes, both by the
    code the ``space`` column holds per row; code 0 is the topic vectors' space, at the
    catalog's dimension. Other spaces keep their vectors at their own size (as half
    floats: see `AnnIndex`).
    """

    def __init__(self, dim: int, capacity: int = 1024, *, index_threads: int = 0) -> None:
        self.dim = dim
        self.ids: list[str] = []
        self.index_of: dict[str, int] = {}
        self.creator_ids: list[str] = []
        self.creator_of: dict[str, int] = {}
        self.topic_names: list[str] = []
        self.topic_of: dict[str, int] = {}
        # The ids of every spelling of a topic, by `topic_key`: what a user's exclusion
        # matches, as the gate's topic rules do.
        self._topic_spellings: dict[str, list[int]] = {}
        self._hashtags: list[tuple[str, ...]] = []
        self._regions: list[str | None] = []
        # Every topic of the rows with more than fit the slots: ranking reads the slots,
        # but the gate's topic rules and the user's exclusions must see them all.
        self._more_topics: dict[int, tuple[str, ...]] = {}
        self._more_topic_keys: dict[int, frozenset[str]] = {}
        self._candidates: list[Candidate | None] = []
        # Existing rows whose attributes changed, per upsert (memos of per-row verdicts
        # read it); the oldest are dropped past `_EDIT_LOG`, counted in `_edits_dropped`.
        self._edits: list[IntArray] = []
        self._edits_dropped = 0
        self.spaces: list[EmbeddingSpace] = [EmbeddingSpace(TOPICS, dim)]
        self.indexes: list[AnnIndex] = [AnnIndex(dim, threads=index_threads)]
        self._space_code = {self.spaces[0]: 0}
        self.revision = -1
        self.lock = threading.Lock()
        self._n = 0
        self._cn = 0
        self._cols = self._allocate(capacity)
        self._ccols = self._allocate_creators(64)
        self._view = self._capture()

    # ------------------------------------------------------------ storage

    def _allocate(self, capacity: int) -> dict[str, np.ndarray]:
        cols: dict[str, np.ndarray] = {
            "creator": np.zeros(capacity, np.int32),
            "topics": np.full((capacity, TOPIC_SLOTS), -1, np.int32),
            "format": np.zeros(capacity, np.int8),
            "duration": np.zeros(capacity, np.float32),
            "quality": np.zeros(capacity, np.float32),
            "published_us": np.zeros(capacity, np.int64),
            "expires_us": np.full(capacity, NO_EXPIRY, np.int64),
            "live": np.zeros(capacity, bool),
            "velocity_us": np.zeros(capacity, np.int64),
            "id_hash": np.zeros(capacity, np.int64),
            "embedding": np.zeros((capacity, self.dim), np.float32),
            "space": np.zeros(capacity, np.int16),
        }
        stats = cols[ITEM_STATS_BLOCK] = np.zeros((capacity, len(ITEM_STATS)), np.float32)
        for name, slot in _STAT_SLOT.items():
            cols[name] = stats[:, slot]
        return cols

    def _allocate_creators(self, capacity: int) -> dict[str, np.ndarray]:
        cols: dict[str, np.ndarray] = {
            "c_first_us": np.full(capacity, NO_EXPIRY, np.int64),
            "c_items": np.zeros(capacity, np.int32),
        }
        for name in _CREATOR_STATS:
            cols[name] = np.zeros(capacity, np.float32)
        return cols

    @staticmethod
    def _grow(cols: dict[str, np.ndarray], fresh: dict[str, np.ndarray]) -> None:
        # Copy into new arrays and swap the dict's contents: views taken earlier keep
        # the old arrays, so a request in flight never sees a half-grown column.
        for name, old in cols.items():
            if old.base is None:  # views (the statistics) are copied with their block
                fresh[name][: len(old)] = old
        cols.clear()
        cols.update(fresh)

    def _ensure(self, rows: int) -> None:
        capacity = len(self._cols["creator"])
        if rows > capacity:
            fresh = self._allocate(max(rows, capacity * 2))
            self._grow(self._cols, fresh)

    def _ensure_creators(self, rows: int) -> None:
        capacity = len(self._ccols["c_items"])
        if rows > capacity:
            fresh = self._allocate_creators(max(rows, capacity * 2))
            self._grow(self._ccols, fresh)

    def _creator_row(self, creator_id: str) -> int:
        row = self.creator_of.get(creator_id)
        if row is None:
            row = self._cn
            self._ensure_creators(row + 1)
            self.creator_of[creator_id] = row
            self.creator_ids.append(creator_id)
            self._cn += 1
        return row

    def _space(self, space: EmbeddingSpace) -> int:
        code = self._space_code.get(space)
        if code is None:
            if len(self.spaces) > np.iinfo(np.int16).max:
                raise ValueError(f"more than {len(self.spaces)} embedding spaces")
            code = len(self.spaces)
            self.indexes.append(AnnIndex(space.dim, self.indexes[0].threads, dtype="f16"))
            self.spaces.append(space)
            self._space_code[space] = code
        return code

    def _topic_id(self, topic: str) -> int:
        tid = self.topic_of.get(topic)
        if tid is None:
            tid = len(self.topic_names)
            self.topic_of[topic] = tid
            self.topic_names.append(topic)
            self._topic_spellings.setdefault(topic_key(topic), []).append(tid)
        return tid

    # ------------------------------------------------------------ writes

    def upsert_items(self, batch: ItemBatch) -> IntArray:
        """Insert or update items; returns their rows. Call `publish` afterwards."""
        rows = np.empty(len(batch.content_ids), np.int64)
        new = 0
        for i, content_id in enumerate(batch.content_ids):
            row = self.index_of.get(content_id)
            if row is None:
                row = self._n + new
                self.index_of[content_id] = row
                self.ids.append(content_id)
                self._hashtags.append(())
                self._regions.append(None)
                self._candidates.append(None)
                new += 1
            rows[i] = row
        self._ensure(self._n + new)
        cols = self._cols
        creators = np.fromiter(
            (self._creator_row(c) for c in batch.creator_ids), np.int32, len(rows)
        )
        topics = np.full((len(rows), TOPIC_SLOTS), -1, np.int32)
        for i, names in enumerate(batch.topics):
            unique = tuple(dict.fromkeys(names))  # a topic sent twice takes one slot
            for slot, name in enumerate(unique[:TOPIC_SLOTS]):
                topics[i, slot] = self._topic_id(name)
            row = int(rows[i])
            if len(unique) > TOPIC_SLOTS:
                self._more_topics[row] = unique
                self._more_topic_keys[row] = frozenset(map(topic_key, unique))
            else:
                self._more_topics.pop(row, None)
                self._more_topic_keys.pop(row, None)
        cols["creator"][rows] = creators
        cols["id_hash"][rows] = [id_hash(c) for c in batch.content_ids]
        cols["topics"][rows] = topics
        cols["format"][rows] = [_FORMAT_CODE.get(f, 0) for f in batch.formats]
        cols["duration"][rows] = [
            d if d is not None else _DEFAULT_DURATION.get(f, 120.0)
            for d, f in zip(batch.durations, batch.formats, strict=True)
        ]
        cols["quality"][rows] = [0.5 if q is None else q for q in batch.qualities]
        published = np.asarray(batch.published_us, np.int64)
        cols["published_us"][rows] = published
        cols["expires_us"][rows] = [NO_EXPIRY if e is None else e for e in batch.expires_us]
        live = ~np.asarray(batch.deleted, bool)
        cols["live"][rows] = live
        cols["embedding"][rows] = batch.embeddings
        spaces = np.zeros(len(rows), np.int16)
        for i, (space, _) in batch.space_vectors.items():
            spaces[i] = self._space(space)
        self._index_vectors(rows, rows < self._n, spaces, live, batch)
        ccols = self._ccols
        np.minimum.at(ccols["c_first_us"], creators, published)
        np.add.at(ccols["c_items"], creators[rows >= self._n], 1)
        edited = rows[rows < self._n]
        if len(edited):
            self._edits.append(edited)
            if len(self._edits) > _EDIT_LOG:
                del self._edits[0]
                self._edits_dropped += 1
        self._n += new
        for i, at in enumerate(rows.tolist()):
            if batch.hashtags:
                self._hashtags[at] = batch.hashtags[i]
            if batch.regions:
                self._regions[at] = batch.regions[i]
            self._candidates[at] = None  # rebuilt on next use: attributes changed
        return rows

    def _index_vectors(
        self,
        rows: IntArray,
        existing: npt.NDArray[np.bool_],
        spaces: npt.NDArray[np.int16],
        live: npt.NDArray[np.bool_],
        batch: ItemBatch,
    ) -> None:
        """Put each live row in its space's index, and out of every other: the index of
        the space a row left, and its own when it is deleted."""
        column = self._cols["space"]
        before = column[rows]
        moved = existing & (before != spaces)
        for code in np.unique(before[moved]).tolist():
            self.indexes[code].tombstone(rows[moved & (before == code)])
        column[rows] = spaces
        for code in np.unique(spaces).tolist():
            here = spaces == code
            add = here & live
            if code == 0:
                self.indexes[0].add(rows[add], batch.embeddings[add])
            elif add.any():
                at = np.flatnonzero(add).tolist()
                vectors = np.stack([batch.space_vectors[i][1] for i in at])
                self.indexes[code].add(rows[add], vectors)
            self.indexes[code].tombstone(rows[here & ~live])

    @property
    def edit_mark(self) -> int:
        """A counter of upserts that changed existing rows (see `edited_since`)."""
        return self._edits_dropped + len(self._edits)

    def edited_since(self, mark: int) -> IntArray | None:
        """Existing rows whose attributes changed after ``mark`` (an `edit_mark`);
        None when that is no longer known."""
        start = mark - self._edits_dropped
        if start < 0:
            return None
        edits = self._edits[start:]
        return np.concatenate(edits) if edits else np.empty(0, np.int64)

    def update_stats(self, rows: IntArray, values: dict[str, np.ndarray]) -> None:
        """Overwrite statistics columns of existing rows."""
        for name, column in values.items():
            self._cols[name][rows] = column

    def update_creator_stats(
        self, creator_ids: Sequence[str], values: dict[str, np.ndarray]
    ) -> None:
        rows = np.fromiter((self._creator_row(c) for c in creator_ids), np.int64, len(creator_ids))
        for name, column in values.items():
            self._ccols[name][rows] = column

    def publish(self, revision: int) -> CatalogView:
        """Make every write so far visible to new requests."""
        self.revision = revision
        self._view = self._capture()
        return self._view

    def _capture(self) -> CatalogView:
        n, cn = self._n, self._cn
        return CatalogView(
            n=n,
            revision=self.revision,
            catalog=self,
            columns={k: v[:n] for k, v in self._cols.items()},
            creator_columns={k: v[:cn] for k, v in self._ccols.items()},
            topic_names=tuple(self.topic_names),
        )

    # ------------------------------------------------------------ reads

    @property
    def view(self) -> CatalogView:
        return self._view

    def __len__(self) -> int:
        return self._n

    def candidate(self, row: int) -> Candidate:
        """The gate's view of one row, built once and reused (the gate memo keys on it)."""
        found = self._candidates[row]
        if found is None:
            topics = self.topics_of(row)
            expires = int(self._cols["expires_us"][row])
            found = Candidate(
                content_id=self.ids[row],
                creator_id=self.creator_ids[int(self._cols["creator"][row])],
                topics=topics,
                hashtags=self._hashtags[row],
                region=self._regions[row],
                expires_at=None if expires == NO_EXPIRY else _from_us(expires),
            )
            self._candidates[row] = found
        return found

    def rows_of(self, content_ids: Sequence[str]) -> IntArray:
        """Rows of known items (unknown ids are left out)."""
        found = [self.index_of.get(c) for c in content_ids]
        return np.array([r for r in found if r is not None], dtype=np.int64)

    def creator_rows(self, creator_ids: Sequence[str]) -> IntArray:
        found = [self.creator_of.get(c) for c in creator_ids]
        return np.array([r for r in found if r is not None], dtype=np.int64)

    def rows_of_creators(self, creator_ids: Sequence[str]) -> IntArray:
        """Rows of every item (published or not yet) by any of these creators."""
        creators = self.creator_rows(creator_ids)
        if not len(creators):
            return np.empty(0, np.int64)
        column = self._cols["creator"][: self._n]
        return np.flatnonzero(np.isin(column, creators)).astype(np.int64)

    def topic_ids(self, topics: Sequence[str]) -> IntArray:
        found = [self.topic_of.get(t) for t in topics]
        return np.array([t for t in found if t is not None], dtype=np.int64)

    def topics_of(self, row: int) -> tuple[str, ...]:
        """Every topic of a row, beyond the slots ranking reads too."""
        more = self._more_topics.get(row)
        if more is not None:
            return more
        return tuple(self.topic_names[t] for t in self._cols["topics"][row] if t >= 0)

    def on_topics(self, rows: IntArray, topics: Sequence[str]) -> npt.NDArray[np.bool_]:
        """Which of ``rows`` carry any of ``topics`` (in any spelling, see `topic_key`),
        among all their topics."""
        wanted = {topic_key(t) for t in topics}
        ids = [i for key in wanted for i in self._topic_spellings.get(key, ())]
        hit: npt.NDArray[np.bool_] = np.asarray(
            np.isin(self._cols["topics"].take(rows, axis=0), ids).any(axis=1), dtype=bool
        )
        if self._more_topic_keys:
            for i, row in enumerate(rows.tolist()):
                keys = self._more_topic_keys.get(row)
                if keys is not None and not wanted.isdisjoint(keys):
                    hit[i] = True
        return hit


def _from_us(us: int) -> datetime:
    return from_us(us)
