"""The continuation token: signed, bound to its user and surface, remembers pages."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from safefeed.exceptions import InputError
from safefeed.feed.catalog.columns import id_hash
from safefeed.feed.serving.cursor import MAX_REMEMBERED, CursorSigner, load_cursor_key


def test_key_is_created_once_per_data_dir_and_private(tmp_path: Path) -> None:
    key = load_cursor_key(tmp_path)
    assert key == load_cursor_key(tmp_path)
    assert len(key) == 32
    assert (tmp_path / "feed_cursor.key").stat().st_mode & 0o077 == 0
    assert load_cursor_key(tmp_path / "other") != key


def test_processes_racing_to_create_the_key_all_read_the_same_whole_key(
    tmp_path: Path,
) -> None:
    # Server processes forked over one data directory make the key on their first
    # page, at the same moment; none may read it before it is written.
    dirs = [tmp_path / str(n) for n in range(30)]
    with ThreadPoolExecutor(8) as pool:
        for data_dir in dirs:
            keys = list(pool.map(load_cursor_key, [data_dir] * 8))
            assert len(set(keys)) == 1
            assert len(keys[0]) == 32
    assert all(sorted(p.name for p in d.iterdir()) == ["feed_cursor.key"] for d in dirs)


def test_round_trip_and_served_hashes(tmp_path: Path) -> None:
    signer = CursorSigner(load_cursor_key(tmp_path))
    cursor = signer.new("u1", "home").next(["c1", "c2"])
    decoded = signer.decode(signer.encode(cursor), "u1", "home")
    assert decoded == cursor
    assert decoded.page == 1
    assert set(decoded.served_hashes().tolist()) == {id_hash("c1"), id_hash("c2")}


def test_remembers_a_bounded_number_of_items(tmp_path: Path) -> None:
    signer = CursorSigner(load_cursor_key(tmp_path))
    cursor = signer.new("u1", "home")
    for page in range(30):
        cursor = cursor.next(f"c{page}-{i}" for i in range(20))
    assert len(cursor.served_hashes()) == MAX_REMEMBERED
    assert id_hash("c29-19") in cursor.served_hashes().tolist()


@pytest.mark.parametrize("flip", [*range(0, 60, 7), -1, -2])
def test_any_changed_character_is_refused(tmp_path: Path, flip: int) -> None:
    signer = CursorSigner(load_cursor_key(tmp_path))
    token = signer.encode(signer.new("u1", "home").next(["c1"]))
    index = flip % len(token)  # -1: the last character, mostly base64 padding bits
    if token[index] == ".":
        index += 1
    changed = token[:index] + ("A" if token[index] != "A" else "B") + token[index + 1 :]
    with pytest.raises(InputError):
        signer.decode(changed, "u1", "home")


def test_another_key_or_user_or_surface_is_refused(tmp_path: Path) -> None:
    signer = CursorSigner(load_cursor_key(tmp_path))
    token = signer.encode(signer.new("u1", "home"))
    with pytest.raises(InputError):
        CursorSigner(load_cursor_key(tmp_path / "x")).decode(token, "u1", "home")
    with pytest.raises(InputError):
        signer.decode(token, "u2", "home")
    with pytest.raises(InputError):
        signer.decode(token, "u1", "following")
