"""The human-readable report: one HTML file with embedded PNG plots, objectives side by side.

Each plot shows one metric's per-step mean over seeds for every objective, with
its 95% interval as a band; a table gives the totals with intervals and the path
audit. matplotlib (the ``sim`` extra) is imported only when a report is drawn,
with the file-only Agg backend.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from safefeed.exceptions import ConfigError

__all__ = ["PLOTTED", "render_report", "write_report"]

#: (metric key, axis title) of the per-step plots, in report order.
PLOTTED: tuple[tuple[str, str], ...] = (
    ("harmful_exposure_rate", "harmful exposure (share of impressions)"),
    ("borderline_exposure_rate", "borderline exposure (share of impressions)"),
    ("watch_time", "watch minutes per starting user"),
    ("reports_per_1k_sessions", "reports per 1k sessions"),
    ("hides_per_1k_sessions", "hides per 1k sessions"),
    ("extremeness_mean", "mean user extremeness"),
    ("extremeness_p95", "95th percentile user extremeness"),
    ("topic_diversity", "topic diversity (normalized entropy)"),
    ("creator_gini", "creator exposure Gini"),
    ("retention", "retention"),
    ("satisfied_sessions", "satisfied sessions"),
    ("homogenization", "homogenization (paired Jaccard)"),
)

_TABLE_KEYS = (
    "harmful_exposure_rate",
    "harmful_exposure_rate_max",
    "borderline_exposure_rate",
    "watch_time",
    "reports_per_1k_sessions",
    "hides_per_1k_sessions",
    "extremeness_drift",
    "extremeness_p95_drift",
    "topic_diversity",
    "creator_gini",
    "new_creator_exposure",
    "retention",
    "satisfied_sessions",
    "homogenization",
)


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:  # pragma: no cover - depends on the install
        raise ConfigError(
            "the simulation report needs matplotlib: pip install 'safefeed[sim]'"
        ) from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(figure: Any) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _plot_series(documents: Mapping[str, Mapping[str, Any]]) -> str:
    plt = _pyplot()
    cols = 3
    rows = -(-len(PLOTTED) // cols)
    figure, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 3.2 * rows), squeeze=False)
    for ax, (key, title) in zip(axes.ravel(), PLOTTED, strict=False):
        for name, doc in documents.items():
            mean = doc["series"].get(key)
            if mean is None:
                continue
            steps = range(1, len(mean) + 1)
            band = doc["intervals"]["series"][key]
            (line,) = ax.plot(steps, mean, label=name, linewidth=1.6)
            ax.fill_between(steps, band["low"], band["high"], color=line.get_color(), alpha=0.2)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("step", fontsize=8)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
    for ax in axes.ravel()[len(PLOTTED) :]:
        ax.set_visible(False)
    axes[0][0].legend(fontsize=8)
    figure.tight_layout()
    encoded = _png(figure)
    plt.close(figure)
    return encoded


def _plot_paths(documents: Mapping[str, Mapping[str, Any]]) -> str | None:
    audited = {n: d["path_audit"] for n, d in documents.items() if "path_audit" in d}
    if not audited:
        return None
    plt = _pyplot()
    figure, ax = plt.subplots(figsize=(6.0, 3.4))
    for name, audit in audited.items():
        for i, seed_audit in enumerate(audit["per_seed"]):
            cumulative = seed_audit["cumulative_share"]
            ax.plot(
                range(1, len(cumulative) + 1),
                cumulative,
                color=f"C{list(audited).index(name)}",
                alpha=0.7,
                label=name if i == 0 else None,
            )
    ax.set_title("path audit: share of walks that reached harmful, by hop", fontsize=10)
    ax.set_xlabel("hop")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    figure.tight_layout()
    encoded = _png(figure)
    plt.close(figure)
    return encoded


def _fmt(value: float) -> str:
    return f"{value:.4g}"


def _cell(interval: Mapping[str, float] | None) -> str:
    if interval is None:
        return "<td>–</td>"
    low, high = _fmt(interval["low"]), _fmt(interval["high"])
    return f"<td>{_fmt(interval['mean'])} <small>[{low}, {high}]</small></td>"


def render_report(documents: Mapping[str, Mapping[str, Any]], title: str = "Simulation") -> str:
    """The report's HTML for ``documents`` (ranker name → ``metrics.json`` document)."""
    names = list(documents)
    head = "".join(f"<th>{html.escape(n)}</th>" for n in names)
    rows = []
    for key in _TABLE_KEYS:
        cells = [_cell(documents[n]["intervals"]["totals"].get(key)) for n in names]
        rows.append(f"<tr><th>{key}</th>{''.join(cells)}</tr>")
    path_cells = [
        _cell(documents[n]["path_audit"]["share"] if "path_audit" in documents[n] else None)
        for n in names
    ]
    rows.append(f"<tr><th>path audit: share reaching harmful</th>{''.join(path_cells)}</tr>")
    seeds = {n: documents[n]["seeds"] for n in names}
    plots = [f'<img alt="per-step metrics" src="data:image/png;base64,{_plot_series(documents)}">']
    paths_png = _plot_paths(documents)
    if paths_png is not None:
        plots.append(f'<img alt="path audit" src="data:image/png;base64,{paths_png}">')
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;max-width:1400px}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 8px;text-align:left}}
small{{color:#666}}img{{max-width:100%;display:block;margin:1em 0}}</style></head>
<body><h1>{html.escape(title)}</h1>
<p>Means over seeds with 95% t-intervals. Seeds: {html.escape(str(seeds))}.
Exposure rates are shares of feed impressions by true (not labelled) extremeness.</p>
<table><tr><th>total</th>{head}</tr>{"".join(rows)}</table>
{"".join(plots)}
</body></html>
"""


def write_report(
    path: Path, documents: Mapping[str, Mapping[str, Any]], title: str = "Simulation"
) -> Path:
    """Write the HTML report; returns its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report(documents, title), encoding="utf-8")
    return path
