"""Outside worlds: logs written by hand-made generators that are not our own."""
