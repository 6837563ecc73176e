""" "Why am I seeing this": reasons grounded in the item's actual sources and the
largest parts of its score — never a story made up after the fact."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = ["SOURCE_REASONS", "explain"]

SOURCE_REASONS: dict[str, str] = {
    "following": "You follow {creator}.",
    "affinity_topic": "You often engage with {topic}.",
    "affinity_creator": "You often engage with posts by {creator}.",
    "session_topic": "It matches what you have been watching in this session ({topic}).",
    "similar": "It is similar to something you viewed recently.",
    "trending": "It is popular right now with established viewers.",
    "exploration": "It is from a new creator we are introducing.",
    "editorial": "Our editors picked it.",
    "fallback": "It is a popular, high-quality pick shown to everyone.",
}
_COMPONENT_NAMES = {
    "open": "how likely you are to open it",
    "dwell": "how long people like you spend with it",
    "save": "how often it is saved",
    "follow": "how often viewers follow its creator",
    "freshness": "how recent it is",
    "watch_time": "expected watch time",
}


def explain(
    source: str,
    sources: Sequence[str],
    components: Mapping[str, float],
    features: Mapping[str, float],
    creator: str,
    topics: Sequence[str],
    action: str,
) -> tuple[str, ...]:
    """Reasons for one served item.

    >>> parts = {"open": 0.4, "freshness": 0.1}
    >>> explain("following", ["following"], parts, {}, "cr1", ["pets"], "allow")
    ('You follow cr1.', 'Ranked mostly by how likely you are to open it.')
    """
    topic = topics[0] if topics else "this topic"
    reasons = [SOURCE_REASONS.get(s, s).format(creator=creator, topic=topic) for s in sources]
    positive = sorted(
        ((v, k) for k, v in components.items() if v > 0 and k in _COMPONENT_NAMES), reverse=True
    )
    if positive:
        reasons.append(f"Ranked mostly by {_COMPONENT_NAMES[positive[0][1]]}.")
    if features.get("topic_match", 0.0) > 0.2 and "affinity_topic" not in sources:
        reasons.append(f"It matches your interest in {topic}.")
    if action == "label":
        reasons.append("It is shown behind a sensitive-content label.")
    elif action in ("limit", "downrank"):
        reasons.append("Its reach is limited by policy.")
    return tuple(reasons)
