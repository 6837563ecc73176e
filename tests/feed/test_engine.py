"""The engine's background mode: derived lists rebuilt off the request path."""

from __future__ import annotations

from fastapi.testclient import TestClient

from safefeed.clock import ManualClock, to_us
from safefeed.runtime import Runtime
from tests.feed.platform import Platform, ids


def test_background_mode_serves_the_old_lists_while_the_next_are_built(
    client: TestClient, api_keys: dict[str, str], runtime: Runtime, clock: ManualClock
) -> None:
    p = Platform(client, api_keys["service"])
    p.user("u1")
    p.items(30)
    engine = runtime.feed
    engine.start_background(("home",)).join()
    assert ids(p.feed(user_id="u1", page_size=10))
    old = engine._lists
    assert old is not None
    clock.advance(120)  # trending is due for a rebuild
    view = engine.catalog.view
    # The request gets the lists it had; the rebuild happens in a thread.
    assert engine.lists(view, to_us(clock.now())) is old
    with engine._rebuild:  # held by the rebuild until it is done
        rebuilt = engine._lists
    assert rebuilt is not None
    assert rebuilt is not old
    assert rebuilt.built_us == to_us(clock.now())
    assert engine.lists(view, to_us(clock.now())) is rebuilt
    assert ids(p.feed(user_id="u1", page_size=10))
