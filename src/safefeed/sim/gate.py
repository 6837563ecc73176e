"""The release gate: a candidate ranking configuration against the current one, on safety KPIs.

The gate runs the simulator (with the path audit) for both over the same seeds and
checks the KPIs of its YAML configuration, each on the mean over seeds:

- ``max_harmful_exposure_rate``: candidate's harmful exposure over the run;
- ``max_step_harmful_exposure_rate``: candidate's worst step;
- ``max_harmful_exposure_increase``: candidate's harmful exposure at most this much
  (in rate points) above current's — no change may make people see more harm;
- ``max_borderline_exposure_increase``: the same for borderline content;
- ``min_reports_reduction``: candidate reports per 1k sessions at least this share
  below current (0.3 = 30% fewer; negative allows an increase);
- ``max_watch_time_loss``: candidate watch time at most this share below current;
- ``max_path_share``: candidate's share of walks reaching harmful;
- ``max_path_share_ratio``: that share at most this multiple of current's.

A KPI set to ``null`` is not checked; one left out keeps its default
(``max_harmful_exposure_rate`` 0.01, ``max_watch_time_loss`` 0.05, no other). A gate
that checks nothing is a configuration error, and both objectives' names and overrides
are checked before either runs. `GateReport.as_audit_record` is what the audit log records.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from safefeed.documents import read_yaml_document, validate_document
from safefeed.exceptions import ConfigError
from safefeed.sim.config import SimConfig
from safefeed.sim.document import metrics_document
from safefeed.sim.rankers import check_objective
from safefeed.sim.runner import PathSettings, SimResult, run_seeds

__all__ = ["GateConfig", "GateKpis", "GateReport", "KpiCheck", "evaluate_gate", "run_gate"]


class GateKpis(BaseModel):
    """Thresholds; ``None`` skips a KPI."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    max_harmful_exposure_rate: float | None = Field(0.01, ge=0.0, le=1.0)
    max_step_harmful_exposure_rate: float | None = Field(None, ge=0.0, le=1.0)
    max_harmful_exposure_increase: float | None = Field(None, ge=0.0, le=1.0)
    max_borderline_exposure_increase: float | None = Field(None, ge=0.0, le=1.0)
    min_reports_reduction: float | None = Field(None, le=1.0)
    max_watch_time_loss: float | None = Field(0.05, ge=0.0, le=1.0)
    max_path_share: float | None = Field(None, ge=0.0, le=1.0)
    max_path_share_ratio: float | None = Field(None, ge=0.0)


class GateConfig(BaseModel):
    """A gate run: who is compared, on what world, over which seeds, against which KPIs."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    candidate: str
    candidate_overrides: dict[str, Any] = Field(default_factory=dict)
    current: str = "safety"
    current_overrides: dict[str, Any] = Field(default_factory=dict)
    #: NumPy seeds its generators only from non-negative integers.
    seeds: list[Annotated[int, Field(ge=0)]] = Field(
        default_factory=lambda: [0, 1, 2, 3, 4], min_length=1
    )
    sim: dict[str, Any] = Field(default_factory=dict)
    path_hops: int = Field(10, ge=1)
    path_walks: int = Field(1000, ge=1)
    kpis: GateKpis = Field(default_factory=GateKpis)

    @model_validator(mode="after")
    def _check_something(self) -> GateConfig:
        # A gate with every KPI switched off would pass whatever the candidate does.
        if all(value is None for value in self.kpis.model_dump().values()):
            raise ValueError("no KPI to check: every threshold under kpis is null")
        return self

    @classmethod
    def from_yaml(cls, path: Path) -> GateConfig:
        """Load and validate a gate configuration file."""
        document = read_yaml_document(path, "gate config")
        return validate_document(cls, document, f"gate config {path}")

    def sim_config(self) -> SimConfig:
        """The world both configurations run in."""
        return validate_document(SimConfig, self.sim, "gate config 'sim'")


@dataclass(frozen=True)
class KpiCheck:
    """One KPI: the candidate's value, the current's, the rule and whether it held."""

    name: str
    candidate: float
    current: float | None
    rule: str
    passed: bool


@dataclass(frozen=True)
class GateReport:
    """All checks; the gate passes only when every one does."""

    candidate: str
    current: str
    seeds: tuple[int, ...]
    checks: tuple[KpiCheck, ...]
    candidate_overrides: Mapping[str, Any] = field(default_factory=dict)
    current_overrides: Mapping[str, Any] = field(default_factory=dict)
    #: The world both ran in (`SimConfig.model_dump`): the log says what was measured.
    world: Mapping[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """True when no KPI failed."""
        return all(c.passed for c in self.checks)

    def as_audit_record(self) -> dict[str, Any]:
        """The record the audit log keeps for this gate decision."""
        return {
            "action": "sim.gate",
            "candidate": self.candidate,
            "current": self.current,
            "candidate_overrides": dict(self.candidate_overrides),
            "current_overrides": dict(self.current_overrides),
            "seeds": list(self.seeds),
            "world": dict(self.world),
            "passed": self.passed,
            "checks": [c.__dict__ for c in self.checks],
        }


def evaluate_gate(
    kpis: GateKpis, candidate: Mapping[str, Any], current: Mapping[str, Any]
) -> list[KpiCheck]:
    """Check ``kpis`` on two ``metrics.json`` documents (means over seeds).

    >>> doc = lambda harm, reports, watch: {"totals": {"harmful_exposure_rate": harm,
    ...     "harmful_exposure_rate_max": harm, "reports_per_1k_sessions": reports,
    ...     "watch_time": watch}}
    >>> checks = evaluate_gate(GateKpis(min_reports_reduction=0.3),
    ...                        doc(0.004, 6.0, 97.0), doc(0.02, 10.0, 100.0))
    >>> [(c.name, c.passed) for c in checks]
    [('harmful_exposure_rate', True), ('reports_per_1k_sessions', True), ('watch_time', True)]
    """
    cand, cur = candidate["totals"], current["totals"]
    checks: list[KpiCheck] = []
    if kpis.max_harmful_exposure_rate is not None:
        value = cand["harmful_exposure_rate"]
        checks.append(
            KpiCheck(
                "harmful_exposure_rate",
                value,
                cur["harmful_exposure_rate"],
                f"<= {kpis.max_harmful_exposure_rate:g}",
                value <= kpis.max_harmful_exposure_rate,
            )
        )
    if kpis.max_step_harmful_exposure_rate is not None:
        value = cand["harmful_exposure_rate_max"]
        checks.append(
            KpiCheck(
                "harmful_exposure_rate_max",
                value,
                cur["harmful_exposure_rate_max"],
                f"<= {kpis.max_step_harmful_exposure_rate:g} at every step",
                value <= kpis.max_step_harmful_exposure_rate,
            )
        )
    for kind, allowed in (
        ("harmful", kpis.max_harmful_exposure_increase),
        ("borderline", kpis.max_borderline_exposure_increase),
    ):
        if allowed is not None:
            value, base = cand[f"{kind}_exposure_rate"], cur[f"{kind}_exposure_rate"]
            checks.append(
                KpiCheck(
                    f"{kind}_exposure_increase",
                    value,
                    base,
                    f"<= current + {allowed:g}",
                    value <= base + allowed,
                )
            )
    if kpis.min_reports_reduction is not None:
        value, base = cand["reports_per_1k_sessions"], cur["reports_per_1k_sessions"]
        limit = (1.0 - kpis.min_reports_reduction) * base
        checks.append(
            KpiCheck(
                "reports_per_1k_sessions",
                value,
                base,
                f"<= {1.0 - kpis.min_reports_reduction:g} x current",
                value <= limit,
            )
        )
    if kpis.max_watch_time_loss is not None:
        value, base = cand["watch_time"], cur["watch_time"]
        checks.append(
            KpiCheck(
                "watch_time",
                value,
                base,
                f">= {1.0 - kpis.max_watch_time_loss:g} x current",
                value >= (1.0 - kpis.max_watch_time_loss) * base,
            )
        )
    if kpis.max_path_share is not None or kpis.max_path_share_ratio is not None:
        checks += _path_checks(kpis, _path_share(candidate), _path_share(current))
    return checks


def _path_checks(kpis: GateKpis, cand_share: float, cur_share: float) -> list[KpiCheck]:
    checks: list[KpiCheck] = []
    if kpis.max_path_share is not None:
        checks.append(
            KpiCheck(
                "path_share",
                cand_share,
                cur_share,
                f"<= {kpis.max_path_share:g}",
                cand_share <= kpis.max_path_share,
            )
        )
    if kpis.max_path_share_ratio is not None:
        checks.append(
            KpiCheck(
                "path_share_ratio",
                cand_share,
                cur_share,
                f"<= {kpis.max_path_share_ratio:g} x current",
                cand_share <= kpis.max_path_share_ratio * cur_share,
            )
        )
    return checks


def _path_share(document: Mapping[str, Any]) -> float:
    audit = document.get("path_audit")
    if audit is None:
        skipped = document.get("path_audit_skipped")
        if skipped:
            # Fails the gate: a KPI that could not be measured is not a pass.
            raise ConfigError(f"a path-audit KPI could not be measured: {skipped[0]['reason']}")
        raise ConfigError("a path-audit KPI needs runs with the path audit")
    return float(audit["share"]["mean"])


#: Runs one configuration over seeds (`run_seeds` by default; tests may pass their own).
SeedRunner = Callable[
    [str, dict[str, Any], SimConfig, Sequence[int], PathSettings], list[SimResult]
]


def _default_runner(workers: int) -> SeedRunner:
    def run(
        ranker: str,
        overrides: dict[str, Any],
        config: SimConfig,
        seeds: Sequence[int],
        paths: PathSettings,
    ) -> list[SimResult]:
        return run_seeds(ranker, config, seeds, workers=workers, overrides=overrides, paths=paths)

    return run


def run_gate(
    config: GateConfig, workers: int = 2, runner: SeedRunner | None = None
) -> tuple[GateReport, dict[str, dict[str, Any]]]:
    """Simulate candidate and current, check the KPIs; returns the report and both documents."""
    run = runner or _default_runner(workers)
    sim = config.sim_config()
    # Both, before either runs: a typo in the second must not cost the first's run.
    check_objective(config.candidate, config.candidate_overrides)
    check_objective(config.current, config.current_overrides)
    paths = PathSettings(hops=config.path_hops, walks=config.path_walks)
    documents = {
        "candidate": metrics_document(
            run(config.candidate, config.candidate_overrides, sim, config.seeds, paths)
        ),
        "current": metrics_document(
            run(config.current, config.current_overrides, sim, config.seeds, paths)
        ),
    }
    checks = evaluate_gate(config.kpis, documents["candidate"], documents["current"])
    report = GateReport(
        config.candidate,
        config.current,
        tuple(config.seeds),
        tuple(checks),
        config.candidate_overrides,
        config.current_overrides,
        sim.model_dump(mode="json"),
    )
    return report, documents
