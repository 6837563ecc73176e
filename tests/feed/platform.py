"""A small platform for the feed's HTTP tests: users, creators, items, policy
states and engagement, sent through ``POST /v1/events`` like any platform would."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from itertools import count
from typing import Any

from fastapi.testclient import TestClient

from tests.support.policy import NOW
from tests.support.runtime import auth

__all__ = ["Platform", "ids"]

_ids = count()


def _ts(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


class Platform:
    """Builds and sends events; each helper posts at once (so later pages see it)."""

    def __init__(self, client: TestClient, token: str) -> None:
        self.client = client
        self.token = token

    def send(self, events: Iterable[dict[str, Any]]) -> None:
        body = [
            {"event_id": f"t{next(_ids)}", "ts": _ts(NOW - timedelta(hours=1)), **e} for e in events
        ]
        response = self.client.post("/v1/events", json=body, headers=auth(self.token))
        assert response.status_code == 200, response.text
        assert response.json()["rejected"] == [], response.json()

    def user(self, user_id: str, age_band: str = "25_plus", **extra: Any) -> None:
        created = _ts(NOW - timedelta(days=60))
        self.send(
            [
                {
                    "type": "account.created",
                    "ts": created,
                    "user_id": user_id,
                    "age_band": age_band,
                    **extra,
                }
            ]
        )

    def items(
        self,
        n: int,
        *,
        prefix: str = "c",
        creators: int = 10,
        topics: tuple[str, ...] = ("cooking", "pets", "music", "science", "travel"),
        state: str = "allowed",
        quality: float = 0.8,
        hours_old: float = 2.0,
        **extra: Any,
    ) -> list[str]:
        ids = [f"{prefix}{i}" for i in range(n)]
        published = _ts(NOW - timedelta(hours=hours_old))
        events: list[dict[str, Any]] = []
        for i, content_id in enumerate(ids):
            events.append(
                {
                    "type": "content.published",
                    "ts": published,
                    "content_id": content_id,
                    "creator_id": f"{prefix}cr{i % creators}",
                    "format": "post",
                    "topics": [topics[i % len(topics)]],
                    "quality_score": quality,
                    **extra,
                }
            )
            if state:
                events.append(self.state(content_id, state))
        self.send(events)
        return ids

    @staticmethod
    def state(content_id: str, state: str, subject_type: str = "content") -> dict[str, Any]:
        return {
            "type": "policy.changed",
            "subject_type": subject_type,
            "subject_id": content_id,
            "policy_state": state,
            "policy_version": "test",
        }

    def feed(self, surface: str = "home", **params: Any) -> dict[str, Any]:
        response = self.client.get(f"/v1/feed/{surface}", params=params, headers=auth(self.token))
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


def ids(page: dict[str, Any]) -> list[str]:
    return [item["content_id"] for item in page["items"]]
