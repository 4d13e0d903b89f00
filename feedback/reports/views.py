"""Report pages: overview, breakdowns, worst touchpoints, case topics, campaigns, follow-up closure, journeys,
a rep's own figures, and the drill-down to the rows behind any figure.

Every page takes one path: its form (`forms.ReportFilterForm`, the drill-down's `drill.DrillQuerySerializer`)
→ the role scope (`metrics.params.report_scope`) → the figures (`figures`, `metrics.query`) → its table
(`tables`) and charts (`charts`). Every table exports as CSV with the same cells (`?format=csv`).
"""

import csv
from functools import cached_property
from urllib.parse import urlencode

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.utils.text import slugify
from django.views.generic import TemplateView

from cxcrm.views import StaffPermissionMixin

from ..metrics import compute, query
from ..metrics.definitions import DIMENSIONS, FILTERS, METRICS, metric_allows_filter, metric_allows_filters
from ..metrics.params import REPORT_PERMISSIONS, filters_of, report_scope
from ..scales import SMALL_SAMPLE
from . import charts, figures, tables
from .drill import DrillQuerySerializer, bucket_name, drill_rows, drill_table, drill_url
from .forms import BreakdownForm, ReportFilterForm, ReportParams


def csv_response(table: tables.Table, name: str, start, end) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"{slugify(name)}-{start:%Y%m%d}-{end:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(table.columns)
    writer.writerows(table.rows)
    return response


class ReportView(StaffPermissionMixin, TemplateView):
    """A report page: reads its period and filters, scopes each figure to the user's role, and lays out
    `table()` (also its CSV, `?format=csv`) with the page's tiles and charts."""

    filter_names: tuple[str, ...] = FILTERS
    title = ""
    csv_name = "report"
    # Pages with a point per period offer the granularity and bound the number of periods.
    by_period = False
    # "My figures": every figure is the signed-in user's own (report_scope's `mine`).
    mine = False

    @cached_property
    def filter_form(self) -> ReportFilterForm:
        return ReportFilterForm(self.request.GET or None, filter_names=self.filter_names, by_period=self.by_period)

    @cached_property
    def params(self) -> ReportParams:
        return self.filter_form.params()

    def scope(self, metric: str, *, dimension: str = "overall", filters: dict | None = None) -> dict:
        """The filters a figure of `metric` is read with: the page's (or `filters`), narrowed to the rows the
        user's role may read."""
        return report_scope(
            self.request.user,
            metric=metric,
            dimension=dimension,
            filters=self.params.filters if filters is None else filters,
            mine=self.mine,
        )

    def drill_url(self, metric: str, *, start=None, end=None, filters=None, **figure) -> str:
        """The rows behind a figure of this page: its period (or [start, end]) and filters (or `filters`)."""
        return drill_url(
            metric,
            start=start or self.params.start,
            end=end or self.params.end,
            filters=self.params.filters if filters is None else filters,
            mine=self.mine,
            **figure,
        )

    def table(self) -> tables.Table:
        raise Http404("No table on this page.")

    def get(self, request, *args, **kwargs):
        if request.GET.get("format") == "csv":
            return csv_response(self.table(), self.csv_name, self.params.start, self.params.end)
        return super().get(request, *args, **kwargs)

    def query_string(self, **extra) -> str:
        params = {k: v for k, v in self.request.GET.items() if k not in ("format", "page")}
        params.update(extra)
        return urlencode(params)

    def get_context_data(self, **kwargs):
        p = self.params
        return super().get_context_data(
            title=self.title,
            filter_form=self.filter_form,
            start=p.start,
            end=p.end,
            granularity=p.granularity if self.by_period else None,
            filters=p.filters,
            csv_url=f"?{self.query_string(format='csv')}",
            small_sample=SMALL_SAMPLE,
            **kwargs,
        )


# --------------------------------------------------------------------------- overview, my figures


class OverviewView(ReportView):
    """KPI tiles, a trend chart per metric and the trend table (every metric by period)."""

    by_period = True
    permission_required = "feedback.view_reports"
    template_name = "feedback/reports/overview.html"
    title = "CX overview"
    csv_name = "cx-overview"
    metrics = figures.OVERVIEW_METRICS
    chart_metrics = figures.OVERVIEW_METRICS

    @cached_property
    def trends(self) -> dict[str, list[dict]]:
        """{metric: its overall series by period}, for the metrics the page's filters apply to."""
        p = self.params
        return {
            name: query.metric_series(
                name, granularity=p.granularity, start=p.start, end=p.end, filters=self.scope(name)
            )
            for name in self.metrics
            if metric_allows_filters(METRICS[name], p.filters)
        }

    def tiles(self) -> list[dict]:
        """A KPI tile per metric, each opening the rows behind it."""
        tiles = []
        for name in self.metrics:
            tile = figures.kpi_tile(name, start=self.params.start, end=self.params.end, filters=self.scope(name))
            if not tile.get("unavailable"):
                tile["url"] = self.drill_url(name)
            tiles.append(tile)
        return tiles

    def trend_charts(self) -> list[dict]:
        """A line chart per charted metric, each point opening the rows of its period."""
        periods = compute.periods_in(self.params.start, self.params.end, self.params.granularity)
        return [
            charts.trend_chart(
                name, rows, links=[self.drill_url(name, start=first, end=last) for first, last in periods]
            )
            for name, rows in self.trends.items()
            if name in self.chart_metrics
        ]

    def table(self):
        p = self.params
        return tables.trend_table(self.trends, start=p.start, end=p.end, granularity=p.granularity)

    def get_context_data(self, **kwargs):
        return super().get_context_data(tiles=self.tiles(), charts=self.trend_charts(), table=self.table(), **kwargs)


class MineView(OverviewView):
    """The overview of the signed-in user's own answers and cases, whatever their role."""

    permission_required = "feedback.view_own_reports"
    template_name = "feedback/reports/mine.html"
    title = "My figures"
    csv_name = "my-figures"
    filter_names = ()
    mine = True
    metrics = figures.OWN_TILE_METRICS
    chart_metrics = ("csat", "ttr_hours")


# --------------------------------------------------------------------------- breakdown


class BreakdownView(ReportView):
    permission_required = "feedback.view_reports"
    template_name = "feedback/reports/breakdown.html"
    title = "Breakdown"

    @cached_property
    def breakdown_form(self) -> BreakdownForm:
        form = BreakdownForm(self.request.GET or None)
        form.is_valid()
        return form

    @property
    def choice(self) -> tuple[str, str]:
        """(metric, dimension) chosen, by default NPS by channel."""
        data = self.breakdown_form.cleaned_data if self.breakdown_form.is_bound else {}
        return data.get("metric") or "nps", data.get("dimension") or "channel"

    @property
    def csv_name(self):
        return "breakdown-{}-by-{}".format(*self.choice)

    @cached_property
    def breakdown(self) -> tables.Table:
        if self.breakdown_form.errors:
            return tables.Table(columns=[])
        name, dimension = self.choice
        metric = METRICS[name]
        # The page's filters that apply to the metric (the form offers every filter for any metric).
        filters = {k: v for k, v in self.params.filters.items() if metric_allows_filter(metric, k)}
        rows = query.metric_breakdown(
            name,
            start=self.params.start,
            end=self.params.end,
            dimension=dimension,
            filters=self.scope(name, dimension=dimension, filters=filters),
        )
        return tables.breakdown_table(
            metric,
            rows,
            dimension=dimension,
            labels=figures.dimension_labels(dimension, [r["dimension_value"] for r in rows]),
            link=lambda value: self.drill_url(name, filters=filters, dimension=dimension, value=value),
        )

    def table(self):
        return self.breakdown

    def get_context_data(self, **kwargs):
        name, dimension = self.choice
        metric = METRICS[name]
        table = self.breakdown
        return super().get_context_data(
            breakdown_form=self.breakdown_form,
            metric=metric,
            dimension=dimension,
            dimension_label=DIMENSIONS[dimension],
            dimensions_by_metric={
                n: [[d, str(DIMENSIONS[d])] for d in m.dimensions if d != "overall"] for n, m in METRICS.items()
            },
            allowed_dimensions=[(d, DIMENSIONS[d]) for d in metric.dimensions if d != "overall"],
            metrics=[(n, m.label) for n, m in METRICS.items()],
            table=table,
            charts=[charts.breakdown_chart(metric, table)] if table.rows else [],
            **kwargs,
        )


# --------------------------------------------------------------------------- touchpoints, topics, campaigns


class TouchpointsView(ReportView):
    permission_required = "feedback.view_marketing_reports"
    template_name = "feedback/reports/table_page.html"
    title = "Worst touchpoints against their targets"
    csv_name = "worst-touchpoints"
    filter_names = ()

    def table(self):
        return tables.touchpoints_table(
            figures.worst_touchpoints(start=self.params.start, end=self.params.end),
            link=lambda row: self.drill_url(row["metric"], dimension="touchpoint", value=row["key"]),
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(table=self.table(), **kwargs)


class TopicsView(ReportView):
    by_period = True
    permission_required = "feedback.view_reports"
    template_name = "feedback/reports/table_page.html"
    title = "Case topics over time"
    csv_name = "case-topics"
    filter_names = ("persona", "channel")

    @cached_property
    def topics(self):
        p = self.params
        return figures.topics_over_time(
            start=p.start,
            end=p.end,
            granularity=p.granularity,
            filters=self.scope("case_volume", dimension="topic"),
        )

    def table(self):
        periods, rows = self.topics
        return tables.topics_table(
            periods, rows, link=lambda topic: self.drill_url("case_volume", dimension="topic", value=topic)
        )

    def get_context_data(self, **kwargs):
        periods, rows = self.topics
        note = None
        if rows:
            topic, _counts, total = rows[0]
            share = round(100.0 * total / sum(r[2] for r in rows), 1)
            note = f"Most cases are about “{topic or '(none)'}” ({share}% of the period)."
        return super().get_context_data(
            table=self.table(), charts=[charts.topics_chart(periods, rows)], note=note, **kwargs
        )


class CampaignsView(ReportView):
    permission_required = "feedback.view_marketing_reports"
    template_name = "feedback/reports/table_page.html"
    title = "Campaign engagement"
    csv_name = "campaigns"
    filter_names = ("persona",)

    @cached_property
    def campaigns(self) -> tables.Table:
        rows = figures.campaign_rows(
            start=self.params.start,
            end=self.params.end,
            filters=self.scope("open_rate", dimension="campaign"),  # every campaign metric has the same scope
        )
        return tables.campaigns_table(
            rows, link=lambda campaign: self.drill_url("open_rate", dimension="campaign", value=campaign)
        )

    def table(self):
        return self.campaigns

    def get_context_data(self, **kwargs):
        table = self.campaigns
        return super().get_context_data(
            table=table, charts=[charts.campaigns_chart(table)] if table.rows else [], **kwargs
        )


# --------------------------------------------------------------------------- follow-ups, journeys


class FollowupsView(ReportView):
    permission_required = "feedback.view_reports"
    template_name = "feedback/reports/followups.html"
    title = "Follow-up closure"
    csv_name = "open-follow-ups"
    filter_names = ()

    @cached_property
    def closure(self) -> dict:
        return figures.followup_closure(start=self.params.start, end=self.params.end)

    def table(self):
        return tables.followups_table(self.closure["open_cases"])

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            closure=self.closure,
            table=self.table(),
            closed_url=self.drill_url("ttr_hours", filters=figures.FOLLOWUP_FILTERS),
            **kwargs,
        )


class JourneysView(ReportView):
    permission_required = "feedback.view_marketing_reports"
    template_name = "feedback/reports/table_page.html"
    title = "Journey stages: measured against designed"
    csv_name = "journey-stages"
    filter_names = ()

    def table(self):
        p = self.params
        return tables.journeys_table(figures.journey_stage_rows(start=p.start, end=p.end), start=p.start, end=p.end)

    def get_context_data(self, **kwargs):
        return super().get_context_data(table=self.table(), **kwargs)


# --------------------------------------------------------------------------- drill-down


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

    def get(self, request, *args, **kwargs):
        params = DrillQuerySerializer(data=request.GET)
        if not params.is_valid():
            errors = {name: " ".join(str(m) for m in messages) for name, messages in params.errors.items()}
            return self.render_to_response(
                super().get_context_data(errors=errors, title="This figure cannot be shown"), status=400
            )
        self.drill_query = q = params.validated_data
        self.filters = report_scope(
            request.user, metric=q["metric"], dimension=q["dimension"], filters=filters_of(q), mine=q["mine"]
        )
        queryset = compute.drill_queryset(
            q["metric"],
            start=q["start"],
            end=q["end"],
            dimension=q["dimension"],
            value=q["value"],
            filters=self.filters,
            bucket=q["bucket"] or None,
        )
        self.rows = drill_rows(q["metric"], queryset)
        if request.GET.get("format") == "csv":
            return csv_response(drill_table(q["metric"], self.rows), f"drill-{q['metric']}", q["start"], q["end"])
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        q, filters = self.drill_query, self.filters
        name, dimension, value, bucket = q["metric"], q["dimension"], q["value"], q["bucket"]
        page = Paginator(self.rows, self.page_size).get_page(self.request.GET.get("page"))
        figure = query.metric_total(name, start=q["start"], end=q["end"], filters=filters)
        label = ""
        if dimension != "overall":
            breakdown = query.metric_breakdown(
                name, start=q["start"], end=q["end"], dimension=dimension, filters=filters
            )
            figure = next((r for r in breakdown if r["dimension_value"] == value), figure | {"n": 0, "value": None})
            label = figures.dimension_labels(dimension, [value]).get(value, "")
        params = {k: v for k, v in self.request.GET.items() if k not in ("format", "page", "bucket")}
        buckets = [
            (b, bucket_name(name, b), f"?{urlencode({**params, 'bucket': b})}") for b in compute.drill_buckets(name)
        ]
        return super().get_context_data(
            metric=METRICS[name],
            start=q["start"],
            end=q["end"],
            dimension=dimension,
            dimension_label=DIMENSIONS[dimension],
            value_label=label,
            bucket=bucket or None,
            bucket_label=bucket_name(name, bucket) if bucket else "",
            buckets=buckets,
            all_url=f"?{urlencode(params)}",
            figure=figure,
            figure_display=tables.number(figure["value"]),
            small_sample=SMALL_SAMPLE,
            table=drill_table(name, page.object_list),
            page=page,
            total=page.paginator.count,
            csv_url=f"?{urlencode({**self.request.GET.dict(), 'format': 'csv'})}",
            page_query=urlencode({k: v for k, v in self.request.GET.items() if k != "page"}),
            **kwargs,
        )
