"""Learning the ranker's task models from the served log and the event log.

``dataset`` joins served impressions (with the features they were scored with) to
the outcomes that followed; ``train`` fits one LightGBM model per task on a
time-based split and calibrates hide and report; ``metrics`` measures NDCG@K (raw
and position-debiased), AUC, log loss and calibration; ``registry`` stores versions
and activates one, recorded in the audit log. Serving loads the active version
through `safefeed.feed.ranking.learned`.
"""

from safefeed.feed.training.dataset import TrainingSet, build_dataset
from safefeed.feed.training.registry import activate, active_version, list_versions, save_version
from safefeed.feed.training.train import (
    TrainedModels,
    TrainParams,
    offline_utility,
    train_models,
)

__all__ = [
    "TrainParams",
    "TrainedModels",
    "TrainingSet",
    "activate",
    "active_version",
    "build_dataset",
    "list_versions",
    "offline_utility",
    "save_version",
    "train_models",
]
