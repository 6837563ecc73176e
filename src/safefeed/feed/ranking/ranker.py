"""Features and the multi-objective utility.

Per candidate: predicted open, satisfied dwell, save, follow, hide and report
(smoothed estimates, personalized by topic, creator and session match when the
profile may be used), freshness by format, and a safety penalty from the report
and hide estimates, the item's safety score (classifier flags before a decision)
and the gate's action. The utility is a weighted sum from the named ranking
configuration, except that a safety score above its floor also scales the
engagement objectives down (`ENGAGEMENT_OBJECTIVES`): a subtracted penalty alone can
be bought back by an engaging enough item, which is how an engagement-optimised
feed spreads the harmful item nobody has labelled yet. Hard constraints (a report
or hide estimate over its ceiling, a safety score at its hold, the early-report
hold) remove a candidate whatever the weights say.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from safefeed.feed.catalog.columns import CatalogView, RowColumns, row_sums
from safefeed.feed.catalog.estimates import Floats, estimates, freshness
from safefeed.feed.config import FeedConfig, RankerConfig, SafetyScoreSettings, SurfaceConfig
from safefeed.feed.ranking.features import TaskPredictor, model_inputs
from safefeed.feed.ranking.prior_risk import prior_risk
from safefeed.feed.sources.generate import CandidatePool
from safefeed.feed.state.user import UserState
from safefeed.policy.rules import Action

__all__ = [
    "ACTION_PENALTY",
    "ENGAGEMENT_OBJECTIVES",
    "Scored",
    "graded_safety_score",
    "objective_values",
    "safety_score_grade",
    "score",
    "weighted_components",
]

#: Safety penalty of the gate's softer actions (DROP never reaches ranking).
ACTION_PENALTY = np.array([0.0, 0.3, 0.5, 0.4, 1.0])
#: The objectives that reward engagement: what a safety score discounts.
ENGAGEMENT_OBJECTIVES = ("open", "dwell", "save", "follow", "freshness", "watch_time")
_FEATURE_NAMES = ("topic_match", "creator_match", "session_match", "followed")


@dataclass(slots=True)
class Scored:
    """Utility and its parts per pool row; ``allowed`` is False where a hard
    constraint removed the row. ``columns`` are the catalog columns at the pool's rows
    that scoring gathered (reranking reads them too)."""

    utility: Floats
    components: dict[str, Floats]
    features: dict[str, Floats]
    allowed: npt.NDArray[np.bool_]
    freshness: Floats
    columns: RowColumns


def _logit(p: Floats) -> Floats:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.asarray(np.log(p / (1 - p)), dtype=np.float64)


def _sigmoid(x: Floats) -> Floats:
    return np.asarray(1.0 / (1.0 + np.exp(-x)), dtype=np.float64)


def _affinity(
    weights: dict[str, float],
    names: Sequence[str],
    topic_of: Mapping[str, int],
    ids: npt.NDArray[np.int32],
) -> Floats:
    """tanh-squashed affinity of each id (ids index ``names``, whose positions
    ``topic_of`` gives; -1 is padding)."""
    # Filled from the user's few weights, not per catalog topic: tanh(0) is 0.
    table = np.zeros(len(names) + 1)
    for name, weight in weights.items():
        at = topic_of.get(name)
        if at is not None and at < len(names):
            table[at] = np.tanh(weight / 3.0)
    return np.asarray(table[ids], dtype=np.float64)


def _per_creator(
    view: CatalogView, weights: Mapping[str, float], creators: npt.NDArray[np.int32]
) -> npt.NDArray[np.float64]:
    """``weights`` (by creator id) looked up for each catalog creator row, 0 elsewhere."""
    rows = view.catalog.creator_of
    known = {rows[k]: w for k, w in weights.items() if k in rows}
    if not known:
        return np.zeros(len(creators))
    # A table over the view's creators (the pool's creator rows index them, as they
    # index the creator columns); a creator added since the view was taken extends it.
    table = np.zeros(max(len(view.creator_columns["c_items"]), max(known) + 1))
    table[list(known)] = list(known.values())
    return np.asarray(table[creators], dtype=np.float64)


def graded_safety_score(value: Floats, settings: SafetyScoreSettings) -> Floats:
    """Where each safety score lies between the floor (0) and the hold (1)."""
    span = settings.hold - settings.floor
    return np.asarray(np.clip((value - settings.floor) / span, 0.0, 1.0), dtype=np.float64)


def safety_score_grade(
    c: RowColumns, config: FeedConfig, surface: SurfaceConfig
) -> tuple[Floats, npt.NDArray[np.bool_]]:
    """Where each row's safety score lies between the floor (0) and the hold (1), and
    which rows it holds (see `safefeed.feed.config.SafetyScoreSettings`)."""
    settings = config.safety_score
    value = c["safety_score"].astype(np.float64)
    ceiling = settings.hold
    if surface.max_safety_score is not None:
        ceiling = min(ceiling, surface.max_safety_score)
    return graded_safety_score(value, settings), value >= ceiling


def objective_values(
    tasks: Mapping[str, Floats],
    *,
    watch_s: Floats,
    item_open: Floats,
    freshness: Floats,
    action_penalty: Floats,
    graded: Floats,
    ranker: RankerConfig,
    settings: SafetyScoreSettings,
) -> dict[str, Floats]:
    """Each objective's value per row, before the ranker's weights.

    ``tasks`` are the open ... report estimates in use (smoothed or learned),
    ``watch_s`` and ``item_open`` the item's smoothed watch seconds per impression and
    open estimate, ``graded`` the safety score's grade (`graded_safety_score`). Serving
    (`score`) and the offline metrics of training both weigh these, so a model is
    judged by the utility it will rank with.
    """
    p_open, p_hide, p_report = tasks["open"], tasks["hide"], tasks["report"]
    risk = 10.0 * p_report + p_hide + action_penalty + graded * settings.penalty
    values = {
        "open": p_open,
        "dwell": tasks["dwell"],
        "save": 10.0 * tasks["save"],
        "follow": 10.0 * tasks["follow"],
        "hide": 10.0 * p_hide,
        "report": 10.0 * p_report,
        "freshness": freshness,
        "safety": -risk if ranker.safety_penalty else np.zeros(len(p_open)),
        # The item's watch time follows this user's chance of opening it.
        "watch_time": watch_s * (p_open / np.maximum(item_open, 1e-9)) / 60.0,
    }
    if ranker.safety_penalty:
        keep = 1.0 - settings.engagement_discount * graded
        for name in ENGAGEMENT_OBJECTIVES:
            values[name] = values[name] * keep
    return values


def weighted_components(values: Mapping[str, Floats], ranker: RankerConfig) -> dict[str, Floats]:
    """Each weighted objective of ``ranker`` (zero weights left out); they sum to the
    utility."""
    return {
        str(name): weight * values[name] for name, weight in ranker.weights.items() if weight != 0.0
    }


def score(
    pool: CandidatePool,
    view: CatalogView,
    user: UserState,
    ranker: RankerConfig,
    config: FeedConfig,
    surface: SurfaceConfig,
    now_us: int,
    personalized: bool,
    predictor: TaskPredictor | None = None,
) -> Scored:
    """Score every row of ``pool`` (see the module docstring); with a ``predictor``
    (learned task models) its estimates replace the smoothed ones."""
    c = view.at(pool.rows)
    n = len(c)
    est = estimates(c, trust_weighting=ranker.trust_weighting)
    topics = view.topic_names
    news = topics.index("news") if "news" in topics else None
    fresh = freshness(c, now_us, config.freshness_half_life_hours, news)
    zeros = np.zeros(n)
    features = dict.fromkeys(_FEATURE_NAMES, zeros)
    if personalized and n:
        item_topics = c["topics"]
        topic_aff = _affinity(user.topic_affinity, topics, view.catalog.topic_of, item_topics)
        counted = np.maximum(row_sums(item_topics >= 0), 1)
        creators = c["creator"]
        creator_aff = np.tanh(_per_creator(view, user.creator_affinity, creators) / 3.0)
        session = view.catalog.topic_ids(user.session.topics)
        # A table over topic ids, where `np.isin` sorted both sides; the padding (-1)
        # reads its last entry, which no topic sets.
        in_session = np.zeros(max(len(topics), int(session.max(initial=-1)) + 1) + 1, bool)
        in_session[session] = True
        session_match = row_sums(in_session[item_topics]) / counted
        features = {
            "topic_match": row_sums(topic_aff) / counted,
            "creator_match": creator_aff,
            "session_match": session_match.astype(np.float64),
            "followed": _per_creator(view, dict.fromkeys(user.follows, 1.0), creators),
        }
    fatigue = min(0.5, 0.05 * user.session.skips) if personalized else 0.0
    logit = (
        _logit(est["p_open"])
        + 1.5 * features["topic_match"]
        + 1.0 * features["creator_match"]
        + 0.8 * features["session_match"]
        + 0.5 * features["followed"]
        - fatigue
    )
    p_open = _sigmoid(logit)
    held = np.zeros(n, dtype=bool)
    if ranker.prior_risk:
        prior = prior_risk(c, config.prior_risk, trust_weighting=ranker.trust_weighting)
        est["p_hide"], est["p_report"], held = prior.p_hide, prior.p_report, prior.held
    disliked = np.minimum(features["topic_match"], 0.0) + np.minimum(features["creator_match"], 0.0)
    p_hide = np.clip(est["p_hide"] * (1.0 - 3.0 * disliked), 0.0, 1.0)
    p_report = est["p_report"]
    graded = np.zeros(n)
    if ranker.safety_score:
        graded, score_held = safety_score_grade(c, config, surface)
        held |= score_held
    # Follows the creator gained per trust-weighted impression, smoothed and capped:
    # follows are not attributed to items, so this stays a weak, creator-level signal.
    follow_rate = np.minimum(
        (c.creator("c_w_follows") + 0.5) / (c.creator("c_w_impressions") + 100.0), 0.05
    )
    p_follow = follow_rate * (1.0 - features["followed"])
    actions = pool.action.astype(np.int64)
    smoothed = {
        "open": p_open,
        "dwell": p_open * est["sat_dwell"],
        "save": est["p_save"],
        "follow": p_follow,
        "hide": p_hide,
        "report": p_report,
    }
    inputs = model_inputs(
        c,
        est,
        features,
        smoothed,
        fresh,
        actions,
        now_us,
        fatigue=fatigue,
        personalized=personalized,
    )
    tasks = predictor.adjust(inputs, smoothed) if predictor is not None else smoothed
    values = objective_values(
        tasks,
        watch_s=est["watch_time"],
        item_open=est["p_open"],
        freshness=fresh,
        action_penalty=ACTION_PENALTY[actions],
        graded=graded,
        ranker=ranker,
        settings=config.safety_score,
    )
    p_hide, p_report = tasks["hide"], tasks["report"]
    components = weighted_components(values, ranker)
    utility = np.sum(list(components.values()), axis=0) if components else zeros.copy()
    ceiling = config.hard_constraints.max_p_report
    if surface.max_p_report is not None:
        ceiling = min(ceiling, surface.max_p_report)
    allowed = (p_report <= ceiling) & (p_hide <= config.hard_constraints.max_p_hide)
    allowed &= actions < int(Action.DROP)
    allowed &= ~held
    features = {**inputs, **{f"p_{task}": value for task, value in tasks.items()}}
    return Scored(
        utility=np.asarray(utility, dtype=np.float64),
        components=components,
        features=features,
        allowed=np.asarray(allowed, dtype=bool),
        freshness=fresh,
        columns=c,
    )
