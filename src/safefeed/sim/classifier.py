"""The platform's safety labelling: a classifier with lag, recall and false positives,
and report-driven moderator review.

The classifier looks at each item once, ``label_lag`` steps after it was
published: a harmful item is labelled ``not_recommendable`` with probability
``label_coverage`` (its recall), a borderline one ``limited_distribution`` with
``borderline_recall``, and anything else is wrongly labelled harmful with
``classifier_fpr``. Items that collect ``report_review_threshold`` reports go to a
moderator, who labels them by the truth (and clears false positives). Moderators also
work the platform's own review queue (`review`): the items the engine sent to review,
up to ``reach_review_capacity`` a night, decided the same way. Moderators are people:
with ``moderator_error_rate`` a decision is wrong — a harmful or borderline item cleared
as allowed, a benign one limited — and, being a human decision, it stands.

Before any label, a pre-screen scores every upload as it is published (``prescreen``):
a noisy reading of its extremeness, raised as a low-severity flag when it reaches
``prescreen_floor``. It decides nothing; it is the evidence a safety-aware ranker can
act on in the window before the label.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from safefeed.sim.catalog import LABEL_HARMFUL, LABEL_LIMITED, LABEL_NONE, Catalog
from safefeed.sim.feedback import LabelChange, LabelSource, item_id
from safefeed.types import PolicyState

__all__ = ["POLICY_FOR_LABEL", "SafetyLabeller"]

POLICY_FOR_LABEL: dict[int, PolicyState] = {
    LABEL_NONE: "allowed",
    LABEL_LIMITED: "limited_distribution",
    LABEL_HARMFUL: "not_recommendable",
}


@dataclass(frozen=True)
class SafetyLabeller:
    """Applies classifier verdicts and moderator reviews to a catalog, returning the changes.

    ``moderators`` draws the moderators' mistakes; a stream of its own, so a world whose
    moderators make none draws exactly what it drew before they could.
    """

    catalog: Catalog
    moderators: np.random.Generator

    def run(self, rng: np.random.Generator, step: int) -> list[LabelChange]:
        """Label what is due at ``step``; mutates ``catalog.label`` and returns the changes."""
        return self._classify(rng, step) + self._review(step)

    def prescreen(self, rng: np.random.Generator, items: NDArray[np.int64]) -> None:
        """Score ``items`` at publication (sets ``catalog.prescreen``; see the module doc)."""
        cat, cfg = self.catalog, self.catalog.config
        if not cfg.prescreen or items.size == 0:
            return
        noise = rng.normal(0.0, cfg.prescreen_noise, items.size)
        cat.prescreen[items] = np.clip(cat.extremeness[items] + noise, 0.0, 1.0)

    def _classify(self, rng: np.random.Generator, step: int) -> list[LabelChange]:
        cat, cfg = self.catalog, self.catalog.config
        live = np.arange(cat.n_items, dtype=np.int64)
        due = live[~cat.classified[: cat.n_items] & (cat.published[live] + cfg.label_lag <= step)]
        if due.size == 0:
            return []
        cat.classified[due] = True
        harmful, borderline = cat.harmful(due), cat.borderline(due)
        draw = rng.random(due.size)
        label = np.full(due.size, LABEL_NONE, dtype=np.int8)
        label[borderline & (draw < cfg.borderline_recall)] = LABEL_LIMITED
        label[harmful & (draw < cfg.label_coverage)] = LABEL_HARMFUL
        label[~harmful & ~borderline & (draw < cfg.classifier_fpr)] = LABEL_HARMFUL
        # Scores look like a real classifier's: true hits high, false positives just over.
        score = np.where(
            harmful, 0.8 + 0.2 * rng.random(due.size), 0.7 + 0.2 * rng.random(due.size)
        )
        score = np.where(label == LABEL_LIMITED, 0.5 + 0.3 * rng.random(due.size), score)
        changed = label != LABEL_NONE
        cat.label[due[changed]] = label[changed]
        return self._changes(due[changed], label[changed], score[changed], "classifier", step)

    def review(self, items: NDArray[np.int64], step: int) -> list[LabelChange]:
        """Moderators decide ``items`` (the platform's queue, in its order).

        Every decision is returned, an unchanged one too: the platform records that a
        human looked, so the item leaves its queue.
        """
        cat = self.catalog
        if items.size == 0:
            return []
        cat.reviewed[items] = True
        decided = self._decide(items)
        cat.label[items] = decided
        return self._changes(items, decided, np.ones(items.size), "moderator", step)

    def _review(self, step: int) -> list[LabelChange]:
        cat, cfg = self.catalog, self.catalog.config
        if cfg.report_review_threshold == 0:
            return []
        n = cat.n_items
        due = np.flatnonzero(~cat.reviewed[:n] & (cat.reports[:n] >= cfg.report_review_threshold))
        if due.size == 0:
            return []
        cat.reviewed[due] = True
        decided = self._decide(due)
        changed = decided != cat.label[due]
        cat.label[due[changed]] = decided[changed]
        return self._changes(
            due[changed], decided[changed], np.ones(int(changed.sum())), "moderator", step
        )

    def _decide(self, items: NDArray[np.int64]) -> NDArray[np.int8]:
        """The label a moderator gives each of ``items``: the truth, but for mistakes."""
        cat = self.catalog
        label = np.full(items.size, LABEL_NONE, dtype=np.int8)
        label[cat.borderline(items)] = LABEL_LIMITED
        label[cat.harmful(items)] = LABEL_HARMFUL
        rate = cat.config.moderator_error_rate
        if rate > 0.0:
            wrong = self.moderators.random(items.size) < rate
            label[wrong] = np.where(label[wrong] == LABEL_NONE, LABEL_LIMITED, LABEL_NONE)
        return label

    @staticmethod
    def _changes(
        items: NDArray[np.int64],
        labels: NDArray[np.int8],
        scores: NDArray[np.float64],
        source: LabelSource,
        step: int,
    ) -> list[LabelChange]:
        return [
            LabelChange(item_id(int(i)), POLICY_FOR_LABEL[int(lab)], source, float(s), step)
            for i, lab, s in zip(items, labels, scores, strict=True)
        ]
