"""Report pages: overview, breakdowns, worst touchpoints, case topics, campaigns,
follow-up closure, journeys, a rep's own figures, and drill-down to the rows behind
any figure. Every table exports as CSV with the same cells (`?format=csv`)."""

import csv
from datetime import date
from urllib.parse import urlencode

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils.text import slugify
from django.views.generic import TemplateView

from cxcrm.views import StaffPermissionMixin
from journeys.models import JourneyMap

from ..metrics import compute, query, reports
from ..metrics.definitions import (
    DIMENSIONS,
    FILTERS,
    METRICS,
    OWN_METRICS,
    metric_allows_filter,
)
from ..metrics.journeys import journey_figures
from ..metrics.params import MetricQuerySerializer, report_scope
from ..scales import SCALES, SMALL_SAMPLE
from .drill import drill_rows, drill_table
from .forms import MAX_CHART_PERIODS, BreakdownForm, ReportFilterForm

REPORT_PERMISSIONS = ("feedback.view_reports", "feedback.view_marketing_reports", "feedback.view_own_reports")


def drill_url(metric, *, start, end, filters=None, dimension="overall", value=None, bucket=None, mine=False) -> str:
    params = {"metric": metric, "start": start.isoformat(), "end": end.isoformat(), **(filters or {})}
    params.pop("agent", None)
    if mine:  # the rows about the signed-in user only, whatever their role
        params["mine"] = 1
    if dimension != "overall":
        params.update(dimension=dimension, value=value or "")
    if bucket:
        params["bucket"] = bucket
    return f"{reverse('feedback:report_drilldown')}?{urlencode(params)}"


def period_end(first: date, granularity: str, end: date) -> date:
    periods = compute.periods_in(first, end, granularity)
    return periods[0][1] if periods else first


def chart_scale(metric) -> dict:
    """The y axis of a metric's chart (its whole scale, so that small moves do not look like falls)
    and how the tooltip names its sample; reports.js warns on points under `small_sample`."""
    low, high = {"points": (-100, 100), "%": (0, 100)}.get(metric.unit, (None, None))
    if metric.name in SCALES and metric.unit == "score":
        low, high = SCALES[metric.name].low, SCALES[metric.name].high
    if metric.unit in ("hours", "count"):
        low = 0
    warn = metric.unit != "count"
    return {"min": low, "max": high, "sample_label": metric.sample_label, "small_sample": SMALL_SAMPLE if warn else 0}


def chart(metric_name, series, *, granularity, end, filters=None, kind="line", mine=False) -> dict:
    """What static/feedback/reports.js draws: labels, values, sample sizes, a drill-down URL per point."""
    metric = METRICS[metric_name]
    return {
        "id": f"chart-{metric_name}",
        "type": kind,
        "label": f"{metric.label} ({metric.unit})",
        **chart_scale(metric),
        "labels": [row["period_start"].isoformat() for row in series],
        "values": [row["value"] for row in series],
        "n": [row["n"] for row in series],
        "links": [
            drill_url(
                metric_name,
                start=row["period_start"],
                end=period_end(row["period_start"], granularity, end),
                filters=filters,
                mine=mine,
            )
            for row in series
        ],
    }


class ReportView(StaffPermissionMixin, TemplateView):
    """A report page: parses the period and filters; `?format=csv` returns `csv_table()`."""

    filter_names: tuple[str, ...] = FILTERS
    title = ""
    csv_name = "report"
    # Pages with a point per period offer the granularity and bound the number of periods.
    by_period = False

    def dispatch(self, request, *args, **kwargs):
        self.filter_form = ReportFilterForm(
            request.GET or None,
            filter_names=self.filter_names,
            max_periods=MAX_CHART_PERIODS if self.by_period else None,
        )
        if not self.by_period:
            del self.filter_form.fields["granularity"]
        self.params = self.filter_form.params()
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        if request.GET.get("format") == "csv":
            return csv_response(self.csv_table(), self.csv_name, self.params)
        return super().get(request, *args, **kwargs)

    def csv_table(self) -> reports.Table:
        raise Http404("No table on this page.")

    def query_string(self, **extra) -> str:
        params = {k: v for k, v in self.request.GET.items() if k not in ("format", "page")}
        params.update(extra)
        return urlencode(params)

    def get_context_data(self, **kwargs):
        p = self.params
        return super().get_context_data(
            title=self.title,
            filter_form=self.filter_form,
            start=p["start"],
            end=p["end"],
            granularity=p["granularity"] if self.by_period else None,
            filters=p["filters"],
            csv_url=f"?{self.query_string(format='csv')}",
            small_sample=SMALL_SAMPLE,
            **kwargs,
        )


def csv_response(table: reports.Table, name: str, params: dict) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"{slugify(name)}-{params['start']:%Y%m%d}-{params['end']:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(table.columns)
    writer.writerows(table.rows)
    return response


# --------------------------------------------------------------------------- overview


class OverviewView(ReportView):
    by_period = True
    permission_required = "feedback.view_reports"
    template_name = "feedback/reports/overview.html"
    title = "CX overview"
    csv_name = "cx-overview"

    def series(self):
        p = self.params
        result = {}
        for name in reports.OVERVIEW_METRICS:
            metric = METRICS[name]
            if any(not metric_allows_filter(metric, f) for f in p["filters"]):
                continue
            result[name] = query.metric_series(
                name, granularity=p["granularity"], start=p["start"], end=p["end"], filters=p["filters"]
            )
        return result

    def trend_table(self, series) -> reports.Table:
        names = list(series)
        columns = [self.params["granularity"].title()]
        for name in names:
            columns += [f"{METRICS[name].label} ({METRICS[name].unit})", f"{METRICS[name].label} n"]
        table = reports.Table(columns=columns)
        periods = compute.periods_in(self.params["start"], self.params["end"], self.params["granularity"])
        for index, (first, _last) in enumerate(periods):
            cells = [first.isoformat()]
            for name in names:
                cells += [series[name][index]["value"], series[name][index]["n"]]
            table.add(cells)
        return table

    def csv_table(self):
        return self.trend_table(self.series())

    def get_context_data(self, **kwargs):
        p = self.params
        tiles = reports.kpi_tiles(reports.OVERVIEW_METRICS, start=p["start"], end=p["end"], filters=p["filters"])
        for tile in tiles:
            if not tile.get("unavailable"):
                tile["url"] = drill_url(tile["metric"], start=p["start"], end=p["end"], filters=p["filters"])
        series = self.series()
        charts = [
            chart(name, rows, granularity=p["granularity"], end=p["end"], filters=p["filters"])
            for name, rows in series.items()
        ]
        return super().get_context_data(tiles=tiles, charts=charts, table=self.trend_table(series), **kwargs)


# --------------------------------------------------------------------------- breakdown


class BreakdownView(ReportView):
    permission_required = "feedback.view_reports"
    template_name = "feedback/reports/breakdown.html"
    title = "Breakdown"

    def dispatch(self, request, *args, **kwargs):
        self.breakdown_form = BreakdownForm(request.GET or None)
        self.breakdown_form.is_valid()
        return super().dispatch(request, *args, **kwargs)

    @property
    def choice(self):
        data = self.breakdown_form.cleaned_data if self.breakdown_form.is_bound else {}
        metric = data.get("metric") or "nps"
        dimension = data.get("dimension") or "channel"
        return metric, dimension

    def table(self):
        metric, dimension = self.choice
        p = self.params
        filters = {k: v for k, v in p["filters"].items() if metric_allows_filter(METRICS[metric], k)}
        if self.breakdown_form.errors:
            return reports.Table(columns=[])
        return reports.breakdown_table(
            metric,
            start=p["start"],
            end=p["end"],
            dimension=dimension,
            filters=filters,
            link=lambda value: drill_url(
                metric, start=p["start"], end=p["end"], filters=filters, dimension=dimension, value=value
            ),
        )

    def csv_table(self):
        self.csv_name = "breakdown-{}-by-{}".format(*self.choice)
        return self.table()

    def get_context_data(self, **kwargs):
        metric, dimension = self.choice
        table = self.table()
        values = [row[1] for row in table.rows]
        return super().get_context_data(
            breakdown_form=self.breakdown_form,
            metric=METRICS[metric],
            dimension=dimension,
            dimension_label=DIMENSIONS[dimension],
            dimensions_by_metric={
                name: [[d, str(DIMENSIONS[d])] for d in m.dimensions if d != "overall"] for name, m in METRICS.items()
            },
            allowed_dimensions=[(d, DIMENSIONS[d]) for d in METRICS[metric].dimensions if d != "overall"],
            metrics=[(name, m.label) for name, m in METRICS.items()],
            table=table,
            charts=[
                {
                    "id": "chart-breakdown",
                    "type": "bar",
                    "label": f"{METRICS[metric].label} ({METRICS[metric].unit})",
                    **chart_scale(METRICS[metric]),
                    "labels": [row[0] for row in table.rows],
                    "values": [float(v) if v else None for v in values],
                    "n": [int(row[2]) for row in table.rows],
                    "links": table.links,
                }
            ]
            if table.rows
            else [],
            **kwargs,
        )


# --------------------------------------------------------------------------- touchpoints, topics, campaigns


class TouchpointsView(ReportView):
    permission_required = "feedback.view_marketing_reports"
    template_name = "feedback/reports/table_page.html"
    title = "Worst touchpoints against their targets"
    csv_name = "worst-touchpoints"
    filter_names = ()

    def csv_table(self):
        p = self.params
        table = reports.Table(
            columns=["Touchpoint", "Key", "Journey", "Stage", "Metric", "Value", "Target", "Against target", "n"]
        )
        for row in reports.worst_touchpoints(start=p["start"], end=p["end"]):
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
                drill_url(row["metric"], start=p["start"], end=p["end"], dimension="touchpoint", value=row["key"]),
                small=reports.small_sample_note(metric, row["n"]),
            )
        return table

    def get_context_data(self, **kwargs):
        return super().get_context_data(table=self.csv_table(), **kwargs)


class TopicsView(ReportView):
    by_period = True
    permission_required = "feedback.view_reports"
    template_name = "feedback/reports/table_page.html"
    title = "Case topics over time"
    csv_name = "case-topics"
    filter_names = ("persona", "channel")

    def data(self):
        p = self.params
        return reports.topics_over_time(
            start=p["start"], end=p["end"], granularity=p["granularity"], filters=p["filters"]
        )

    def csv_table(self, data=None):
        periods, rows = data or self.data()
        p = self.params
        table = reports.Table(columns=["Topic", *(d.isoformat() for d in periods), "Total", "Share (%)"])
        grand = sum(total for _topic, _counts, total in rows) or 1
        for topic, counts, total in rows:
            table.add(
                [topic or "(none)", *counts, total, 100.0 * total / grand],
                drill_url(
                    "case_volume",
                    start=p["start"],
                    end=p["end"],
                    filters=p["filters"],
                    dimension="topic",
                    value=topic,
                ),
            )
        return table

    def get_context_data(self, **kwargs):
        periods, rows = data = self.data()
        charts = [
            {
                "id": "chart-topics",
                "type": "stacked",
                "label": "Cases opened",
                "labels": [d.isoformat() for d in periods],
                "datasets": [{"label": topic or "(none)", "values": counts} for topic, counts, _total in rows[:8]],
            }
        ]
        top = rows[0] if rows else None
        share = round(100.0 * top[2] / sum(r[2] for r in rows), 1) if top else None
        note = f"Most cases are about “{top[0] or '(none)'}” ({share}% of the period)." if top else None
        return super().get_context_data(table=self.csv_table(data), charts=charts, note=note, **kwargs)


class CampaignsView(ReportView):
    permission_required = "feedback.view_marketing_reports"
    template_name = "feedback/reports/table_page.html"
    title = "Campaign engagement"
    csv_name = "campaigns"
    filter_names = ("persona",)

    def csv_table(self):
        p = self.params
        table = reports.Table(
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
        for row in reports.campaign_rows(start=p["start"], end=p["end"], filters=p["filters"]):
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
                drill_url(
                    "open_rate",
                    start=p["start"],
                    end=p["end"],
                    filters=p["filters"],
                    dimension="campaign",
                    value=row["campaign"],
                ),
            )
        return table

    def get_context_data(self, **kwargs):
        table = self.csv_table()
        charts = [
            {
                "id": "chart-campaigns",
                "type": "grouped",
                "label": "%",
                "labels": [row[0] for row in table.rows],
                "datasets": [
                    {"label": "Open rate", "values": [float(r[3]) if r[3] else None for r in table.rows]},
                    {"label": "CTR", "values": [float(r[5]) if r[5] else None for r in table.rows]},
                    {"label": "Conversion", "values": [float(r[8]) if r[8] else None for r in table.rows]},
                ],
            }
        ]
        return super().get_context_data(table=table, charts=charts if table.rows else [], **kwargs)


class FollowupsView(ReportView):
    permission_required = "feedback.view_reports"
    template_name = "feedback/reports/followups.html"
    title = "Follow-up closure"
    csv_name = "open-follow-ups"
    filter_names = ()

    def csv_table(self, closure=None):
        p = self.params
        closure = closure or reports.followup_closure(start=p["start"], end=p["end"])
        table = reports.Table(
            columns=["Case", "Subject", "Customer", "Score", "Opened", "Assignee", "Status"], link_label="case"
        )
        for case in closure["open_cases"]:
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

    def get_context_data(self, **kwargs):
        p = self.params
        closure = reports.followup_closure(start=p["start"], end=p["end"])
        closed_url = drill_url("ttr_hours", start=p["start"], end=p["end"], filters={"channel": "survey"})
        return super().get_context_data(closure=closure, table=self.csv_table(closure), closed_url=closed_url, **kwargs)


# --------------------------------------------------------------------------- journeys


class JourneysView(ReportView):
    permission_required = "feedback.view_marketing_reports"
    template_name = "feedback/reports/table_page.html"
    title = "Journey stages: measured against designed"
    csv_name = "journey-stages"
    filter_names = ()

    def csv_table(self):
        p = self.params
        table = reports.Table(
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
        maps = JourneyMap.objects.published().prefetch_related("stages").order_by("name")
        for journey_map in maps:
            figures = journey_figures(journey_map, p["start"], p["end"])["stages"]
            for stage in journey_map.stages.all():
                f = figures.get(stage.pk, {})
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
                    f"{journey_map.get_absolute_url()}?"
                    + urlencode({"period": "custom", "start": p["start"].isoformat(), "end": p["end"].isoformat()}),
                )
        return table

    def get_context_data(self, **kwargs):
        return super().get_context_data(table=self.csv_table(), **kwargs)


# --------------------------------------------------------------------------- a rep's own figures


class MineView(ReportView):
    by_period = True
    permission_required = "feedback.view_own_reports"
    template_name = "feedback/reports/mine.html"
    title = "My figures"
    csv_name = "my-figures"
    filter_names = ()

    def own(self):
        return {"agent": self.request.user.pk}

    def csv_table(self, series=None):
        p = self.params
        series = series or {
            name: query.metric_series(
                name, granularity=p["granularity"], start=p["start"], end=p["end"], filters=self.own()
            )
            for name in reports.OWN_TILE_METRICS
        }
        columns = [p["granularity"].title()]
        for name in series:
            columns += [f"{METRICS[name].label} ({METRICS[name].unit})", f"{METRICS[name].label} n"]
        table = reports.Table(columns=columns)
        for index, (first, _last) in enumerate(compute.periods_in(p["start"], p["end"], p["granularity"])):
            cells = [first.isoformat()]
            for name in series:
                cells += [series[name][index]["value"], series[name][index]["n"]]
            table.add(cells)
        return table

    def get_context_data(self, **kwargs):
        p = self.params
        tiles = reports.kpi_tiles(reports.OWN_TILE_METRICS, start=p["start"], end=p["end"], filters=self.own())
        for tile in tiles:
            tile["url"] = drill_url(tile["metric"], start=p["start"], end=p["end"], mine=True)
        series = {
            name: query.metric_series(
                name, granularity=p["granularity"], start=p["start"], end=p["end"], filters=self.own()
            )
            for name in reports.OWN_TILE_METRICS
        }
        charts = [
            chart(name, series[name], granularity=p["granularity"], end=p["end"], mine=True)
            for name in ("csat", "ttr_hours")
        ]
        return super().get_context_data(tiles=tiles, charts=charts, table=self.csv_table(series), **kwargs)


# --------------------------------------------------------------------------- drill-down


class BadDrilldown(Exception):
    """The drill-down's parameters cannot name a figure; `errors` says why, by parameter."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors


# How each bucket of a figure's rows is named on the page (the URL keeps the short key).
BUCKET_NAMES = {
    "response_rate": {"numerator": "Answered"},
    "sla_breach_rate": {"numerator": "Breached"},
    "churn_rate": {"numerator": "Churned"},
    "open_rate": {"numerator": "Opened"},
    "ctr": {"numerator": "Clicked"},
    "click_to_open": {"numerator": "Clicked after opening"},
    "conversion_rate": {"numerator": "Converted"},
}


def bucket_name(metric: str, bucket: str) -> str:
    """ "Promoters (9–10)" for NPS's `promoters` bucket (from the scale table); "Answered" for a ratio's numerator."""
    if metric in SCALES:
        return SCALES[metric].bucket_names().get(bucket, bucket)
    return BUCKET_NAMES.get(metric, {}).get(bucket, bucket.replace("_", " ").capitalize())


class DrilldownView(LoginRequiredMixin, TemplateView):
    """The rows behind one figure: metric, range, filters, optionally one dimension value and bucket.

    The same role scope as the API applies: a rep only ever sees their own rows; `mine=1`
    (links from "My figures") narrows anyone's drill-down to their own rows. Parameters
    that name no figure get the page with what is wrong, status 400.
    """

    template_name = "feedback/reports/drilldown.html"
    page_size = 100

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not any(request.user.has_perm(p) for p in REPORT_PERMISSIONS):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def parse(self):
        data = {k: v for k, v in self.request.GET.items() if k not in ("value", "bucket", "format", "page", "mine")}
        data.setdefault("granularity", "quarter")
        internal_channel = data.get("channel") == "survey"  # follow-up cases (origin survey)
        if internal_channel:
            data.pop("channel")
        params = MetricQuerySerializer(data=data)
        if not params.is_valid():
            raise BadDrilldown({name: " ".join(str(m) for m in messages) for name, messages in params.errors.items()})
        v = params.validated_data
        filters = MetricQuerySerializer.filters_of(v)
        if internal_channel and metric_allows_filter(METRICS[v["metric"]], "channel"):
            filters["channel"] = "survey"
        filters = report_scope(self.request.user, metric=v["metric"], dimension=v["dimension"], filters=filters)
        if self.request.GET.get("mine"):
            if v["metric"] not in OWN_METRICS:
                raise BadDrilldown({"mine": f"{METRICS[v['metric']].label} has no figures of your own."})
            filters["agent"] = self.request.user.pk
        value = self.request.GET.get("value", "")
        if v["dimension"] != "overall":
            _path, kind = compute.source_for(METRICS[v["metric"]]).dims[v["dimension"]]
            if "\x00" in value or (
                kind == "id" and value and not (value.isascii() and value.isdigit() and len(value) < 19)
            ):
                raise BadDrilldown({"value": f"No {DIMENSIONS[v['dimension']].lower()} “{value}”."})
        bucket = self.request.GET.get("bucket") or None
        if bucket and bucket not in compute.drill_buckets(v["metric"]):
            raise BadDrilldown({"bucket": f"No subset “{bucket}” for {METRICS[v['metric']].label}."})
        return v, filters, value, bucket

    def rows(self):
        v, filters, value, bucket = self.parse()
        qs = compute.drill_queryset(
            v["metric"],
            start=v["start"],
            end=v["end"],
            dimension=v["dimension"],
            value=value,
            filters=filters,
            bucket=bucket,
        )
        return v, filters, value, bucket, drill_rows(v["metric"], qs)

    def get(self, request, *args, **kwargs):
        try:
            self.drill = self.rows()
        except BadDrilldown as bad:
            return self.render_to_response(
                super().get_context_data(errors=bad.errors, title="This figure cannot be shown"), status=400
            )
        v, _filters, _value, _bucket, qs = self.drill
        if request.GET.get("format") == "csv":
            return csv_response(drill_table(v["metric"], qs), f"drill-{v['metric']}", v)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        v, filters, value, bucket, qs = self.drill
        metric = METRICS[v["metric"]]
        page = Paginator(qs, self.page_size).get_page(self.request.GET.get("page"))
        figure = query.metric_total(v["metric"], start=v["start"], end=v["end"], filters=filters)
        label = ""
        if v["dimension"] != "overall":
            breakdown = query.metric_breakdown(
                v["metric"], start=v["start"], end=v["end"], dimension=v["dimension"], filters=filters
            )
            figure = next((r for r in breakdown if r["dimension_value"] == value), figure | {"n": 0, "value": None})
            label = reports.dimension_labels(v["dimension"], [value]).get(value, "")
        params = {k: val for k, val in self.request.GET.items() if k not in ("format", "page", "bucket")}
        buckets = [
            (b, bucket_name(v["metric"], b), f"?{urlencode({**params, 'bucket': b})}")
            for b in compute.drill_buckets(v["metric"])
        ]
        return super().get_context_data(
            metric=metric,
            start=v["start"],
            end=v["end"],
            dimension=v["dimension"],
            dimension_label=DIMENSIONS[v["dimension"]],
            value_label=label,
            bucket=bucket,
            bucket_label=bucket_name(v["metric"], bucket) if bucket else "",
            buckets=buckets,
            all_url=f"?{urlencode(params)}",
            figure=figure,
            figure_display=reports.number(figure["value"]),
            small_sample=SMALL_SAMPLE,
            table=drill_table(v["metric"], page.object_list),
            page=page,
            total=page.paginator.count,
            csv_url=f"?{urlencode({**self.request.GET.dict(), 'format': 'csv'})}",
            page_query=urlencode({k: val for k, val in self.request.GET.items() if k != "page"}),
            **kwargs,
        )
