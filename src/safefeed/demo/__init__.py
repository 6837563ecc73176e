"""A deterministic demo platform: users, creators, a catalogue and a week of activity.

`generate_demo_events` returns v1 event dicts in time order, ready for the same
ingestion path as a real platform's log; the embedded demo and the tests use it.
"""

from safefeed.demo.platform import DEMO_START, TOPICS, generate_demo_events

__all__ = ["DEMO_START", "TOPICS", "generate_demo_events"]
