"""The continuation token: an HMAC-signed record of the pages served so far.

It carries the user, the surface, the page number, a session key and short hashes
of every item already served in this pagination session, so the next page never
repeats one — without a store read, and in any process that has the key. Any
change to the token breaks the signature and the request is refused.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import os
import secrets
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import orjson

from safefeed.exceptions import InputError
from safefeed.feed.catalog.columns import ID_HASH_BYTES, id_hash

__all__ = ["MAX_REMEMBERED", "CursorSigner", "PageCursor", "load_cursor_key"]

#: Items a token remembers (the newest): twenty pages of twenty.
MAX_REMEMBERED = 400
_HASH_BYTES = ID_HASH_BYTES
_KEY_FILE = "feed_cursor.key"


@dataclass(frozen=True, slots=True)
class PageCursor:
    """Where a pagination session stands."""

    user_id: str
    surface: str
    page: int
    session: str
    served: bytes  # concatenated little-endian `id_hash`es

    def served_hashes(self) -> npt.NDArray[np.int64]:
        """The served items' hashes, comparable with the catalog's ``id_hash`` column."""
        raw = np.frombuffer(self.served, dtype=np.uint8).reshape(-1, _HASH_BYTES)
        padded = np.zeros((len(raw), 8), dtype=np.uint8)
        padded[:, :_HASH_BYTES] = raw
        return padded.view("<i8").reshape(-1).astype(np.int64)

    def next(self, content_ids: Iterable[str]) -> PageCursor:
        fresh = b"".join(id_hash(c).to_bytes(_HASH_BYTES, "little") for c in content_ids)
        served = self.served + fresh
        return PageCursor(
            self.user_id,
            self.surface,
            self.page + 1,
            self.session,
            served[-MAX_REMEMBERED * _HASH_BYTES :],
        )


def load_cursor_key(data_dir: Path) -> bytes:
    """The signing key of this installation, created on first use in the data
    directory (readable by its owner only). Never a constant in the code."""
    path = data_dir / _KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        # Written whole under a name of its own, then linked into place: when two
        # processes race, one link wins and both read that key. (Created in place,
        # the loser could read the file between its creation and the write: empty.)
        fd, draft = tempfile.mkstemp(prefix=f".{_KEY_FILE}.", dir=data_dir)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(secrets.token_bytes(32))
            with contextlib.suppress(FileExistsError):
                os.link(draft, path)
        finally:
            os.unlink(draft)
    key = path.read_bytes()
    if len(key) < 32:
        raise InputError(f"the cursor key {path} is too short")
    return key


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CursorSigner:
    """Signs and verifies `PageCursor` tokens."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def _mac(self, body: bytes) -> bytes:
        return hmac.new(self._key, body, hashlib.sha256).digest()

    def new(self, user_id: str, surface: str) -> PageCursor:
        return PageCursor(user_id, surface, 0, secrets.token_hex(8), b"")

    def encode(self, cursor: PageCursor) -> str:
        body = orjson.dumps(
            {
                "u": cursor.user_id,
                "s": cursor.surface,
                "p": cursor.page,
                "k": cursor.session,
                "h": _b64(cursor.served),
            }
        )
        return f"{_b64(body)}.{_b64(self._mac(body))}"

    def decode(self, token: str, user_id: str, surface: str) -> PageCursor:
        """The cursor in ``token``; `InputError` if it was altered or is not this
        user's cursor for this surface."""
        try:
            body_text, mac_text = token.split(".")
            body, mac = _unb64(body_text), _unb64(mac_text)
        except (ValueError, TypeError):
            raise InputError("invalid cursor") from None
        # Only the canonical encoding is accepted: base64 padding bits are not free
        # to change either.
        if _b64(body) != body_text or _b64(mac) != mac_text:
            raise InputError("invalid cursor")
        if not hmac.compare_digest(mac, self._mac(body)):
            raise InputError("invalid cursor: signature mismatch")
        try:
            data = orjson.loads(body)
            cursor = PageCursor(
                str(data["u"]), str(data["s"]), int(data["p"]), str(data["k"]), _unb64(data["h"])
            )
        except (ValueError, KeyError, TypeError):
            raise InputError("invalid cursor") from None
        if len(cursor.served) % _HASH_BYTES:
            raise InputError("invalid cursor")
        if cursor.user_id != user_id or cursor.surface != surface:
            raise InputError("invalid cursor: issued for another user or surface")
        return cursor
