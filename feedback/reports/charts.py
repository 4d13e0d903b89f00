"""The charts of the report pages: the JSON that static/feedback/reports.js draws with Chart.js (through
`json_script`): labels, values or datasets, the sample of each point and the URL a click on it opens."""

from datetime import date

from django.utils.translation import gettext as _

from customers.choices import case_topic_label

from ..metrics.definitions import METRICS, Metric, metric_title
from ..scales import SMALL_SAMPLE
from .figures import value_range
from .tables import ReportTable


def chart_scale(metric: Metric) -> dict:
    """The y axis of a metric's chart (its whole range, so that small moves do not look like falls) and how the
    tooltip names its sample; reports.js warns on points under `small_sample` (0: never, for counts)."""
    low, high = value_range(metric)
    warn = metric.unit != "count"
    return {
        "min": low,
        "max": high,
        "sample_label": metric.sample_words,
        "small_sample": SMALL_SAMPLE if warn else 0,
        "small_note": _("fewer than %(limit)s: read with care") % {"limit": SMALL_SAMPLE},
    }


def _title(metric: Metric) -> str:
    return str(metric_title(metric))


def trend_chart(metric_name: str, series: list[dict], *, links: list[str]) -> dict:
    """A line per period of a metric's overall series, each point opening `links[i]`.

    Straight segments between the periods' figures (`tension` 0: a curve would show values no period had), and
    a break where a period has no sample (`values[i]` None when `n[i]` is 0, `span_gaps` False: an empty week
    is no figure, not the mean of its neighbours). `small_points` counts the points resting on fewer than
    SMALL_SAMPLE (drawn as hollow triangles, the tiles' warning, and named in the tooltip with n).
    """
    metric = METRICS[metric_name]
    scale = chart_scale(metric)
    n = [row["n"] for row in series]
    return {
        "id": f"chart-{metric_name}",
        "type": "line",
        "label": _title(metric),
        **scale,
        "labels": [row["period_start"].isoformat() for row in series],
        "label_dates": True,  # ISO dates, written by reports.js in the page's locale (Intl.DateTimeFormat)
        "values": [row["value"] if count else None for row, count in zip(series, n, strict=True)],
        "n": n,
        "links": links,
        "tension": 0,
        "span_gaps": False,
        "small_points": sum(1 for count in n if 0 < count < scale["small_sample"]),
    }


def _number(cell) -> float | None:
    """A table cell's number (written by tables.number, "." as the decimal point) for the chart; None if empty."""
    return float(cell) if cell else None


def breakdown_chart(metric: Metric, table: ReportTable) -> dict:
    """A bar per row of a breakdown table (tables.breakdown_table: label, value, n, …), linked as its rows."""
    return {
        "id": "chart-breakdown",
        "type": "bar",
        "label": _title(metric),
        **chart_scale(metric),
        "labels": [row[1] for row in table.cells],  # row[0] is the code, exported only
        "values": [_number(row[2]) for row in table.cells],
        "n": [int(row[3]) for row in table.cells],
        "links": table.links,
    }


def topics_chart(periods: list[date], rows: list[tuple], *, top: int = 8) -> dict:
    """Cases opened per period, stacked by the `top` largest topics (figures.topics_over_time)."""
    return {
        "id": "chart-topics",
        "type": "stacked",
        "label": _("Cases opened"),
        "labels": [d.isoformat() for d in periods],
        "label_dates": True,
        "datasets": [
            {"label": str(case_topic_label(topic)) if topic else _("(none)"), "values": counts}
            for topic, counts, _total in rows[:top]
        ],
    }


def campaigns_chart(table: ReportTable) -> dict:
    """Open rate, CTR and conversion side by side per campaign (tables.campaigns_table's rows)."""

    def column(index):
        return [float(row[index]) if row[index] else None for row in table.cells]

    return {
        "id": "chart-campaigns",
        "type": "grouped",
        "label": "%",
        "labels": [row[0] for row in table.cells],
        "datasets": [
            {"label": _("Open rate"), "values": column(3)},
            {"label": _("CTR"), "values": column(5)},
            {"label": _("Conversion"), "values": column(8)},
        ],
    }


def health_chart(
    series: list[dict], *, periods: list[tuple[date, date]], labels: dict[str, str], link, below: bool = False
) -> dict:
    """A line per dimension value over the periods (health.health_series): the average health score (0–100) or,
    `below`, the share of customers under the attention threshold (%); each point opens the customers behind it
    (`link(row, below=…)`), and a period without a scored customer breaks the line."""
    index = {first: i for i, (first, _last) in enumerate(periods)}
    by_value: dict[str, dict] = {}
    for r in series:
        line = by_value.setdefault(
            r["dimension_value"],
            {
                "label": labels.get(r["dimension_value"], r["dimension_value"]),
                "values": [None] * len(periods),
                "n": [0] * len(periods),
                "links": [None] * len(periods),
            },
        )
        i = index[r["period_start"]]
        line["values"][i] = r["below_share"] if below else r["value"]
        line["n"][i] = r["n"]
        line["links"][i] = link(r, below=below)
    return {
        "id": "chart-health-below" if below else "chart-health",
        "type": "line",
        "label": _("Customers below the attention threshold (%)") if below else _("Average health (0–100)"),
        "min": 0,
        "max": 100,
        "sample_label": _("customers"),
        "small_sample": 0,
        "labels": [first.isoformat() for first, _last in periods],
        "label_dates": True,  # ISO dates, written by reports.js in the page's locale (Intl.DateTimeFormat)
        "datasets": list(by_value.values()),
        "tension": 0,
        "span_gaps": False,
    }
