"""The tables of the report pages (django-tables2, on `cxcrm.tables`): what a page shows is, cell for cell, what
its `?format=csv` (or `xlsx`) exports.

- `LinkedTable`: a report table whose rows may each open a page (the rows behind a figure, a case, a map) and
  flag a figure resting on a small sample, in a last column that the exports leave out.
- `ReportTable`: a table of figures already read (`figures`, `feedback.metrics.query`), with the columns its
  builder names: the builders below lay out each page's figures; `link` gives a row's URL, so the views,
  which know the period, the filters and the scope, build the links. (The drill-down's tables: `drill`.)
"""

import re
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from urllib.parse import urlencode

import django_tables2 as tables
from django.urls import reverse
from django.utils.formats import date_format, number_format
from django.utils.html import format_html
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from customers.choices import case_topic_label
from cxcrm.tables import Table, local_datetime, local_minute

from ..metrics.compute import COUNT_FIELDS, periods_in
from ..metrics.definitions import COUNT_LABELS, DIMENSIONS, GRANULARITY_LABELS, METRICS, Metric, fixed, metric_title
from ..scales import SMALL_SAMPLE
from .figures import small_sample_note


def number(value) -> str:
    """A table cell: whole numbers as such, others with one decimal, nothing for no value."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


_DECIMAL = re.compile(r"-?\d+\.(\d+)")


def number_shown(value) -> str:
    """`number(value)` as a page shows it: with the decimal separator of the reader's language ("45,2" in pt-BR,
    "45.2" in English), whole numbers as they are, nothing for no value."""
    text = value if isinstance(value, str) else number(value)
    match = _DECIMAL.fullmatch(text)
    return number_format(Decimal(text), len(match.group(1))) if match else text


def user_name(user) -> str:
    return (user.get_full_name() or user.username) if user else ""


# --------------------------------------------------------------------------- the bases


class _SideColumn(tables.Column):
    """The links column: its header is read by screen readers only."""

    @property
    def header(self):
        return format_html('<span class="visually-hidden">{}</span>', _("Links"))


class LinkedTable(Table):
    """A report table, not sortable, whose cells are plain text (the page and the export show the same).

    Its last column holds, per row, a small-sample flag (`row_small`: the note, or None) and a link
    (`row_link`: a URL, or None) named `link_label`; the exports leave it out.
    """

    link_label = _("rows")

    side = _SideColumn(
        "",
        empty_values=(),
        exclude_from_export=True,
        attrs={"td": {"class": "text-end text-nowrap"}},
    )

    class Meta(Table.Meta):
        orderable = False
        default = ""
        sequence = ("...", "side")
        attrs = {"class": "table table-sm table-hover align-middle bg-body", "data-testid": "report-table"}

    def row_link(self, record) -> str | None:
        return None

    def row_small(self, record) -> str | None:
        return None

    def render_side(self, record):
        small, link = self.row_small(record), self.row_link(record)
        badge = (
            format_html(
                '<span class="badge text-bg-warning me-2" title="{}" data-bs-toggle="tooltip"'
                ' data-testid="row-small-sample"><i class="bi bi-exclamation-triangle"></i> n&lt;{}'
                '<span class="visually-hidden">: {}</span></span>',
                small,
                SMALL_SAMPLE,
                small,
            )
            if small
            else ""
        )
        anchor = (
            format_html(
                '<a href="{}" class="small" data-testid="drill-link">{}'
                ' <i class="bi bi-box-arrow-in-down-right"></i></a>',
                link,
                self.link_label,
            )
            if link
            else ""
        )
        return format_html("{}{}", badge, anchor)

    @property
    def has_rows(self) -> bool:
        """Whether the table (its page, when paged) has a row; never counts a paged queryset."""
        page = getattr(self, "page", None)
        return bool(page.object_list) if page else bool(len(self.rows))


class TextColumn(tables.Column):
    """A plain-text cell written from the row's record by `text(record)` (numbers by `number`), the same on the
    page and in the exports."""

    def __init__(self, verbose_name: str, text: Callable, *, wrap: bool = False, **kwargs):
        if wrap:  # free text (comments, summaries): wrapped inside long words too (app.css `cell-text`)
            kwargs.setdefault("attrs", {"td": {"class": "cell-text"}})
        super().__init__(verbose_name, empty_values=(), **kwargs)
        self.text = text

    def render(self, record):
        value = self.text(record)
        return value if isinstance(value, str) else number(value)


class CodedColumn(TextColumn):
    """A coded cell (a channel, a status, a touchpoint key): the page shows its label (`label(record)`), the
    export writes the code (`text(record)`); a `LabelColumn` beside it exports the label."""

    def __init__(self, verbose_name, text: Callable, label: Callable, **kwargs):
        super().__init__(verbose_name, text, **kwargs)
        self.label = label

    def render(self, record):
        return str(self.label(record))

    def value(self, record):
        return self.text(record)


class WhenColumn(TextColumn):
    """A date-time cell from `text(record)` (an aware date-time or None): on the page in the reader's format
    (`cxcrm.tables.local_datetime`), in the exports as local time to the minute ("2026-03-01 09:30"), the same in
    every language; nothing for no value."""

    def render(self, record):
        value = self.text(record)
        return local_datetime(value) if value else ""

    def value(self, record):
        value = self.text(record)
        return local_minute(value) if value else ""


class LabelColumn(TextColumn):
    """Export only: the label of the coded column before it, in the reader's language, headed `export_header`."""

    def __init__(self, label: Callable, export_header: str):
        super().__init__("", lambda record: str(label(record)), visible=False)
        self.export_header = export_header


def row(cells: Iterable, link: str | None = None, *, small: str | None = None) -> dict:
    """A row of a `ReportTable`: its cells (numbers written by `number`; dates and date-times kept, for
    `FigureColumn`),
    its link and its small-sample note."""
    return {
        "cells": [c if isinstance(c, str | date) else number(c) for c in cells],
        "link": link,
        "small": small,
    }


class FigureColumn(tables.Column):
    """A report table's column: a decimal cell ("45.2", as `number` writes it) shown in the reader's locale
    ("45,2" in pt-BR) and exported as written, so files read the same in every language; a date-time cell shown
    in the reader's format and exported as local time to the minute ("2026-03-01 09:30"), a date in the reader's
    short format and exported as ISO 8601 ("2026-03-01"). `export_header`
    names it in the export (its label otherwise, in LANGUAGE_CODE)."""

    def __init__(self, *args, export_header: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.export_header = export_header

    def render(self, value):
        if isinstance(value, datetime):
            return local_datetime(value)
        if isinstance(value, date):
            return date_format(value, "SHORT_DATE_FORMAT")
        return number_shown(value) if isinstance(value, str) else value

    def value(self, value):
        if isinstance(value, datetime):
            return local_minute(value)
        return value.isoformat() if isinstance(value, date) else value


class ReportTable(LinkedTable):
    """A table of figures with the columns `columns` (their headers, also the export's; a header may be lazy, so
    that the export's is written in LANGUAGE_CODE) and the rows `rows` (`row()`); the last column is shown only
    when a row has a link or a small-sample flag. The columns at the indexes `export_only` are left off the page
    and exported (a code beside its label), headed by `export_headers` (index -> header) where given."""

    def __init__(
        self,
        columns: list,
        rows: list[dict] = (),
        *,
        link_label=None,
        export_only: tuple[int, ...] = (),
        export_headers: dict[int, str] | None = None,
    ):
        self.link_label = link_label or _("rows")
        self.records = list(rows)
        export_headers = export_headers or {}
        super().__init__(
            self.records,
            extra_columns=[
                (
                    f"c{i}",
                    FigureColumn(
                        label,
                        accessor=f"cells__{i}",
                        visible=i not in export_only,
                        export_header=export_headers.get(i),
                    ),
                )
                for i, label in enumerate(columns)
            ],
        )
        if not any(r["link"] or r["small"] for r in self.records):
            self.columns.hide("side")

    def row_link(self, record):
        return record["link"]

    def row_small(self, record):
        return record["small"]

    @property
    def cells(self) -> list[list[str]]:
        """The cells of every row, as shown and exported."""
        return [r["cells"] for r in self.records]

    @property
    def links(self) -> list[str | None]:
        """Each row's link."""
        return [r["link"] for r in self.records]


# --------------------------------------------------------------------------- trends and breakdowns


def trend_table(series: dict[str, list[dict]], *, start: date, end: date, granularity: str) -> ReportTable:
    """One row per period of the range: each metric's value and sample (`series`: {metric: its overall series})."""
    columns = [GRANULARITY_LABELS.get(granularity, granularity.title())]
    for name in series:
        columns += [metric_title(METRICS[name]), format_lazy("{} n", METRICS[name].label)]
    rows = []
    for index, (first, _last) in enumerate(periods_in(start, end, granularity)):
        cells = [first]  # a date: the reader's short format on the page, ISO 8601 in the exports
        for values in series.values():
            cells += [values[index]["value"], values[index]["n"]]
        rows.append(row(cells))
    return ReportTable(columns, rows)


def breakdown_table(
    metric: Metric, rows: list[dict], *, dimension: str, labels: dict[str, str], link: Callable[[str], str]
) -> ReportTable:
    """One row per dimension value (`rows`: query.metric_breakdown): label, value, sample and the metric's counts
    in its own words (promoters…, satisfied…, numerator…)."""
    # The columns of the metric's counts, also when no row has any (an empty period).
    empty = metric.counts_to_row(dict.fromkeys(COUNT_FIELDS, 0))
    extra = [
        k
        for k in (rows[0] if rows else empty)
        if k not in ("value", "n", "period_start", "dimension", "dimension_value")
    ]
    # The dimension's value as its code (exported only: integrations read it) and its label beside it.
    return ReportTable(
        [dimension, DIMENSIONS[dimension], metric_title(metric), "n", *(COUNT_LABELS.get(k, k) for k in extra)],
        [
            row(
                [
                    str(r["dimension_value"] or ""),
                    str(labels.get(r["dimension_value"], r["dimension_value"])),
                    r["value"],
                    r["n"],
                    *(r[k] for k in extra),
                ],
                link(r["dimension_value"]),
                small=small_sample_note(metric, r["n"]),
            )
            for r in rows
        ],
        export_only=(0,),
        # The counts' columns keep their names (the API's) in the exports.
        export_headers={1: f"{dimension}_label", **{4 + i: k for i, k in enumerate(extra)}},
    )


# --------------------------------------------------------------------------- touchpoints, topics, campaigns


def touchpoints_table(rows: list[dict], *, link: Callable[[dict], str]) -> ReportTable:
    """The worst touchpoints (figures.worst_touchpoints), each against its target."""
    lines = []
    for r in rows:
        metric = METRICS[r["metric"]]
        distance = abs(r["value"] - r["target"])
        shown = fixed(distance, 1)
        if metric.unit in ("%", "points"):  # a gap in percentage points or NPS points, abbreviated
            shown = pgettext("points, abbreviated", "%(value)s pts") % {"value": shown}
        elif metric.unit == "hours":
            shown = f"{shown} h"
        against = _("missed by %(distance)s") if r["missed"] else _("met by %(distance)s")
        cells = [r["key"], r["name"], r["journey"], r["stage"], r["metric"], str(r["label"]), r["value"], r["target"]]
        cells += [against % {"distance": shown}, r["n"]]
        lines.append(row(cells, link(r), small=small_sample_note(metric, r["n"])))
    return ReportTable(
        [
            "touchpoint",
            _("Touchpoint"),
            _("Journey"),
            _("Stage"),
            "metric",
            _("Metric"),
            _("Value"),
            _("Target"),
            _("Against target"),
            "n",
        ],
        lines,
        # The page names the touchpoint and the metric; the exports give their codes (the touchpoint's key, the
        # metric's name) with the names beside them.
        export_only=(0, 4),
        export_headers={1: "touchpoint_label", 5: "metric_label"},
    )


def topics_table(periods: list[date], rows: list[tuple], *, link: Callable[[str], str]) -> ReportTable:
    """Cases opened per topic and period (figures.topics_over_time), with the topic's total and share."""
    grand = sum(total for _topic, _counts, total in rows) or 1
    return ReportTable(
        ["topic", _("Topic"), *(date_format(d, "SHORT_DATE_FORMAT") for d in periods), _("Total"), _("Share (%)")],
        [
            row(
                [topic or "", str(case_topic_label(topic)) if topic else str(_("(none)")), *counts, total]
                + [100.0 * total / grand],
                link(topic),
            )
            for topic, counts, total in rows
        ],
        export_only=(0,),
        export_headers={1: "topic_label", **{2 + i: d.isoformat() for i, d in enumerate(periods)}},
    )


def campaigns_table(rows: list[dict], *, link: Callable[[str], str]) -> ReportTable:
    """Engagement per campaign (figures.campaign_rows)."""
    return ReportTable(
        [
            _("Campaign"),
            _("Recipients"),
            _("Openers"),
            _("Open rate (%)"),
            _("Clickers"),
            _("CTR (%)"),
            _("Click-to-open (%)"),
            _("Converted"),
            _("Conversion (%)"),
        ],
        [
            row(
                [
                    r["campaign"],
                    r.get("recipients", 0),
                    r.get("openers", 0),
                    r.get("open_rate"),
                    r.get("clickers", 0),
                    r.get("ctr"),
                    r.get("click_to_open"),
                    r.get("converted", 0),
                    r.get("conversion_rate"),
                ],
                link(r["campaign"]),
            )
            for r in rows
        ],
    )


# --------------------------------------------------------------------------- follow-ups, journeys


def followups_table(open_cases) -> ReportTable:
    """The open follow-up cases (figures.followup_closure), each linked to its case."""
    rows = []
    for case in open_cases:
        response = getattr(case, "survey_response", None)
        score = f"{response.kind.upper()} {response.score}" if response and response.score is not None else ""
        rows.append(
            row(
                [
                    f"#{case.pk}",
                    case.subject,
                    str(case.customer),
                    score,
                    case.opened_at,
                    user_name(case.assignee),
                    case.status,
                    str(case.get_status_display()),
                ],
                reverse("customers:case_detail", args=[case.pk]),
            )
        )
    return ReportTable(
        [_("Case"), _("Subject"), _("Customer"), _("Score"), _("Opened"), _("Assignee"), "status", _("Status")],
        rows,
        link_label=_("case"),
        export_only=(6,),
        export_headers={7: "status_label"},
    )


def journeys_table(stage_rows: list[tuple], *, start: date, end: date) -> ReportTable:
    """Each stage's measured figures beside its designed emotion (figures.journey_stage_rows), linked to its map
    over the same period."""
    period = urlencode({"period": "custom", "start": start.isoformat(), "end": end.isoformat()})
    return ReportTable(
        [
            _("Journey"),
            _("Stage"),
            _("Interactions"),
            _("Responses"),
            _("CSAT (%)"),
            "NPS",
            "CES",
            _("TTR mean (h)"),
            _("Designed emotion"),
            _("Measured emotion"),
        ],
        [
            row(
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
            for journey_map, stage, f in stage_rows
        ],
        link_label=_("map"),
    )


# --------------------------------------------------------------------------- customer health


def health_table(
    series: list[dict], *, dimension: str, labels: dict[str, str], link: Callable[..., str]
) -> ReportTable:
    """One row per period and dimension value (health.health_series): the average score at the period's end,
    the customers scored, and those below the attention threshold (count and %), each row opening its customers."""
    from .health import HEALTH_DIMENSIONS

    return ReportTable(
        [
            _("Period"),
            dimension,
            HEALTH_DIMENSIONS[dimension],
            _("Average health"),
            "n",
            _("Below threshold"),
            _("Below threshold (%)"),
        ],
        [
            row(
                [
                    r["period_start"],
                    "" if r["dimension_value"] is None else str(r["dimension_value"]),
                    labels.get(r["dimension_value"], r["dimension_value"]),
                    r["value"],
                    r["n"],
                    r["below"],
                    r["below_share"],
                ],
                link(r),
            )
            for r in series
        ],
        link_label=_("customers"),
        # The dimension's value as its code (exported only: integrations read it) and its label beside it.
        export_only=(1,),
        export_headers={2: f"{dimension}_label"},
    )


class HealthCustomersTable(LinkedTable):
    """The customers behind a health figure (health.health_customers_at), each opening its page; the exports
    carry the customer's id."""

    link_label = _("customer")

    customer_id = tables.Column(_("Customer id"), accessor="pk", visible=False)
    customer = TextColumn(_("Customer"), str)
    persona = TextColumn(_("Persona"), lambda c: c.persona.name if c.persona else "")
    lifecycle_stage = tables.Column("lifecycle_stage", accessor="lifecycle_stage", visible=False)
    stage = TextColumn(_("Stage now"), lambda c: c.get_lifecycle_stage_display())
    stage.export_header = "lifecycle_stage_label"
    health = TextColumn(_("Health at the period's end"), lambda c: c.health_at)

    def row_link(self, record):
        return reverse("customers:customer_detail", args=[record.pk])
