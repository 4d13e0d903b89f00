"""The tables of the report pages: what a page shows is, cell for cell, what its `?format=csv` exports.

Each builder lays out figures already read (`figures`, `feedback.metrics.query`); `link` gives a row's URL
(the rows behind it, a case, a map), so the views, which know the period, the filters and the scope, build
the links.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlencode

from django.urls import reverse

from ..metrics.compute import COUNT_FIELDS, periods_in
from ..metrics.definitions import DIMENSIONS, METRICS, Metric
from .figures import small_sample_note


def number(value) -> str:
    """A table cell: whole numbers as such, others with one decimal, nothing for no value."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


@dataclass
class Table:
    """A table shown on a page and exported as CSV with exactly the same cells."""

    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    links: list[str | None] = field(default_factory=list)  # a drill-down URL per row
    # Per row: the sample behind its figure when that is under SMALL_SAMPLE (flagged on the page, not in the CSV).
    small: list[str | None] = field(default_factory=list)
    link_label: str = "rows"  # what a row's link opens: the rows behind it, a case, a customer, a map

    @property
    def items(self):
        return list(zip(self.rows, self.links, self.small, strict=True))

    @property
    def has_side_column(self) -> bool:
        """Whether any row has a link or a small-sample flag (the page's last column)."""
        return any(self.links) or any(self.small)

    def add(self, cells, link=None, *, small: str | None = None):
        self.rows.append([number(c) if not isinstance(c, str) else c for c in cells])
        self.links.append(link)
        self.small.append(small)


# --------------------------------------------------------------------------- trends and breakdowns


def trend_table(series: dict[str, list[dict]], *, start: date, end: date, granularity: str) -> Table:
    """One row per period of the range: each metric's value and sample (`series`: {metric: its overall series})."""
    columns = [granularity.title()]
    for name in series:
        columns += [f"{METRICS[name].label} ({METRICS[name].unit})", f"{METRICS[name].label} n"]
    table = Table(columns=columns)
    for index, (first, _last) in enumerate(periods_in(start, end, granularity)):
        cells = [first.isoformat()]
        for rows in series.values():
            cells += [rows[index]["value"], rows[index]["n"]]
        table.add(cells)
    return table


def breakdown_table(
    metric: Metric, rows: list[dict], *, dimension: str, labels: dict[str, str], link: Callable[[str], str]
) -> Table:
    """One row per dimension value (`rows`: query.metric_breakdown): label, value, sample and the metric's counts
    in its own words (promoters…, satisfied…, numerator…)."""
    # The columns of the metric's counts, also when no row has any (an empty period).
    empty = metric.counts_to_row(dict.fromkeys(COUNT_FIELDS, 0))
    extra = [
        k
        for k in (rows[0] if rows else empty)
        if k not in ("value", "n", "period_start", "dimension", "dimension_value")
    ]
    table = Table(columns=[str(DIMENSIONS[dimension]), f"{metric.label} ({metric.unit})", "n", *extra])
    for row in rows:
        table.add(
            [
                labels.get(row["dimension_value"], row["dimension_value"]),
                row["value"],
                row["n"],
                *(row[k] for k in extra),
            ],
            link(row["dimension_value"]),
            small=small_sample_note(metric, row["n"]),
        )
    return table


# --------------------------------------------------------------------------- touchpoints, topics, campaigns


def touchpoints_table(rows: list[dict], *, link: Callable[[dict], str]) -> Table:
    """The worst touchpoints (figures.worst_touchpoints), each against its target."""
    table = Table(columns=["Touchpoint", "Key", "Journey", "Stage", "Metric", "Value", "Target", "Against target", "n"])
    for row in rows:
        metric = METRICS[row["metric"]]
        distance = abs(row["value"] - row["target"])
        unit = {"%": " pts", "points": " pts", "hours": " h"}.get(metric.unit, "")
        table.add(
            [
                row["name"],
                row["key"],
                row["journey"],
                row["stage"],
                row["label"],
                row["value"],
                row["target"],
                f"{'missed' if row['missed'] else 'met'} by {distance:.1f}{unit}",
                row["n"],
            ],
            link(row),
            small=small_sample_note(metric, row["n"]),
        )
    return table


def topics_table(periods: list[date], rows: list[tuple], *, link: Callable[[str], str]) -> Table:
    """Cases opened per topic and period (figures.topics_over_time), with the topic's total and share."""
    table = Table(columns=["Topic", *(d.isoformat() for d in periods), "Total", "Share (%)"])
    grand = sum(total for _topic, _counts, total in rows) or 1
    for topic, counts, total in rows:
        table.add([topic or "(none)", *counts, total, 100.0 * total / grand], link(topic))
    return table


def campaigns_table(rows: list[dict], *, link: Callable[[str], str]) -> Table:
    """Engagement per campaign (figures.campaign_rows)."""
    table = Table(
        columns=[
            "Campaign",
            "Recipients",
            "Openers",
            "Open rate (%)",
            "Clickers",
            "CTR (%)",
            "Click-to-open (%)",
            "Converted",
            "Conversion (%)",
        ]
    )
    for row in rows:
        table.add(
            [
                row["campaign"],
                row.get("recipients", 0),
                row.get("openers", 0),
                row.get("open_rate"),
                row.get("clickers", 0),
                row.get("ctr"),
                row.get("click_to_open"),
                row.get("converted", 0),
                row.get("conversion_rate"),
            ],
            link(row["campaign"]),
        )
    return table


# --------------------------------------------------------------------------- follow-ups, journeys


def followups_table(open_cases) -> Table:
    """The open follow-up cases (figures.followup_closure), each linked to its case."""
    table = Table(columns=["Case", "Subject", "Customer", "Score", "Opened", "Assignee", "Status"], link_label="case")
    for case in open_cases:
        response = getattr(case, "survey_response", None)
        table.add(
            [
                f"#{case.pk}",
                case.subject,
                str(case.customer),
                f"{response.kind.upper()} {response.score}" if response and response.score is not None else "",
                case.opened_at.strftime("%Y-%m-%d %H:%M"),
                (case.assignee.get_full_name() or case.assignee.username) if case.assignee else "",
                case.get_status_display(),
            ],
            reverse("customers:case_detail", args=[case.pk]),
        )
    return table


def journeys_table(stage_rows: list[tuple], *, start: date, end: date) -> Table:
    """Each stage's measured figures beside its designed emotion (figures.journey_stage_rows), linked to its map
    over the same period."""
    table = Table(
        columns=[
            "Journey",
            "Stage",
            "Interactions",
            "Responses",
            "CSAT (%)",
            "NPS",
            "CES",
            "TTR mean (h)",
            "Designed emotion",
            "Measured emotion",
        ],
        link_label="map",
    )
    period = urlencode({"period": "custom", "start": start.isoformat(), "end": end.isoformat()})
    for journey_map, stage, f in stage_rows:
        table.add(
            [
                journey_map.label,
                stage.name,
                f.get("volume", 0),
                f.get("responses", 0),
                f.get("csat"),
                f.get("nps"),
                f.get("ces"),
                f.get("ttr_hours"),
                stage.emotion_score,
                f.get("emotion"),
            ],
            f"{journey_map.get_absolute_url()}?{period}",
        )
    return table
