"""Report pages: overview, breakdowns, worst touchpoints, case topics, campaigns, follow-up closure, journeys,
a rep's own figures, and the drill-down to the rows behind any figure.

Every page takes one path: its form (`forms.ReportFilterForm`, the drill-down's `drill.DrillQuerySerializer`)
→ the role scope (`metrics.params.report_scope`) → the figures (`figures`, `metrics.query`) → its table
(`tables`, django-tables2) and charts (`charts`). Every table exports with the same cells as CSV or XLSX
(`?format=csv`, `?format=xlsx`: `cxcrm.tables.export_response`).
"""

from functools import cached_property
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import slugify
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView, View

from customers.choices import case_topic_label
from cxcrm.roles import EXPORT_ROWS_PERMISSION
from cxcrm.tables import EXPORT_FORMATS, ListTableMixin, export_response
from cxcrm.views import StaffPermissionMixin
from journeys.choices import MapStatus
from journeys.selectors import journey_map_list

from ..metrics import compute, query
from ..metrics.definitions import DIMENSIONS, FILTERS, METRICS, metric_allows_filter, metric_allows_filters
from ..metrics.params import REPORT_PERMISSIONS, filters_of, report_scope
from ..metrics.rollup import metric_rollups_backfill
from ..scales import SMALL_SAMPLE
from . import charts, figures, health, tables
from .drill import DrillQuerySerializer, bucket_name, drill_rows, drill_table_class, drill_url
from .forms import (
    BreakdownForm,
    HealthDimensionForm,
    HealthDrillForm,
    ReportFilterForm,
    ReportParams,
    metric_dimensions,
)

# A manager's "refresh now" recomputes at most this many days (a year and a day: any report period).
REFRESH_MAX_DAYS = 366


def export_name(name: str, start, end) -> str:
    """A report's file name, without its extension: "cx-overview-20260101-20260131"."""
    return f"{slugify(name)}-{start:%Y%m%d}-{end:%Y%m%d}"


def export_urls(request) -> dict:
    """The page's `csv_url` and `xlsx_url`: its query string (without `page`) and the format."""
    params = {k: v for k, v in request.GET.items() if k not in ("format", "page")}
    return {f"{fmt}_url": f"?{urlencode({**params, 'format': fmt})}" for fmt in EXPORT_FORMATS}


class ReportView(StaffPermissionMixin, TemplateView):
    """A report page: reads its period and filters, scopes each figure to the user's role, and lays out
    `table()` (also its CSV or XLSX, `?format=csv`, `?format=xlsx`) with the page's tiles and charts."""

    filter_names: tuple[str, ...] = FILTERS
    title = ""
    file_name = "report"
    # Pages with a point per period offer the granularity and bound the number of periods.
    by_period = False
    # "My figures": every figure is the signed-in user's own (report_scope's `mine`).
    mine = False

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        # The moment the page's live figures are read as of (those not read from the rollups), taken before
        # any is computed: their drill-downs list the rows as of then.
        self.rendered_at = timezone.now()

    @cached_property
    def rollups_as_of(self) -> dict:
        """{metric: when the rollups this page reads were computed} (query.rollups_as_of)."""
        return query.rollups_as_of(start=self.params.start, end=self.params.end)

    def figure_as_of(self, metric: str, *, dimension="overall", filters=None, granularity=None):
        """The moment a figure of this page is as of: its rollups' `computed_at` when it reads them, else the
        moment the page was computed; None when the rollups it would read were never computed."""
        try:
            scoped = self.scope(metric, dimension=dimension, filters=filters)
        except PermissionDenied:
            # A figure shown whose rows the role may not read (a marketer's time to resolution by touchpoint):
            # its link answers 403 whatever the moment, and the page itself stays readable.
            scoped = filters
        if query.uses_rollups(metric, granularity=granularity, filters=scoped):
            return self.rollups_as_of.get(metric)
        return self.rendered_at

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

    def drill_url(self, metric: str, *, start=None, end=None, filters=None, granularity=None, **figure) -> str:
        """The rows behind a figure of this page: its period (or [start, end]) and filters (or `filters`), as of
        the moment the figure was computed (`figure_as_of`; `granularity` the figure's periods, None for a total
        over the range), so the drill-down lists as many rows as the figure's n."""
        filters = self.params.filters if filters is None else filters
        as_of = self.figure_as_of(
            metric, dimension=figure.get("dimension", "overall"), filters=filters, granularity=granularity
        )
        return drill_url(
            metric,
            start=start or self.params.start,
            end=end or self.params.end,
            filters=filters,
            mine=self.mine,
            as_of=as_of,
            **figure,
        )

    def table(self) -> tables.ReportTable:
        raise Http404(gettext("No table on this page."))

    def get(self, request, *args, **kwargs):
        export_format = request.GET.get("format")
        if export_format in EXPORT_FORMATS:
            filename = export_name(self.file_name, self.params.start, self.params.end)
            return export_response(self.table(), export_format=export_format, filename=filename)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        p = self.params
        return super().get_context_data(
            title=self.title,
            filter_form=self.filter_form,
            start=p.start,
            end=p.end,
            granularity=p.granularity if self.by_period else None,
            filters=p.filters,
            **export_urls(self.request),
            small_sample=SMALL_SAMPLE,
            **kwargs,
        )


# --------------------------------------------------------------------------- overview, my figures


class OverviewView(ReportView):
    """KPI tiles, a trend chart per metric and the trend table (every metric by period)."""

    by_period = True
    permission_required = "feedback.view_reports"
    template_name = "feedback/reports/overview.html"
    title = _("CX overview")
    file_name = "cx-overview"
    metrics = figures.OVERVIEW_METRICS
    chart_metrics = figures.OVERVIEW_METRICS

    @cached_property
    def figures_read(self) -> dict[str, tuple[list[dict], list[dict]]]:
        """{metric: (its overall series by period, its totals over the period and the one before)}, for the
        metrics the page's filters apply to: each metric's trend and tile read together
        (query.metric_series_with_totals: churn in one query)."""
        p = self.params
        return {
            name: query.metric_series_with_totals(
                name,
                granularity=p.granularity,
                start=p.start,
                end=p.end,
                filters=self.scope(name),
                as_of=self.rendered_at,
            )
            for name in self.metrics
            if metric_allows_filters(METRICS[name], p.filters)
        }

    @cached_property
    def trends(self) -> dict[str, list[dict]]:
        """{metric: its overall series by period}, for the metrics the page's filters apply to."""
        return {name: series for name, (series, _totals) in self.figures_read.items()}

    def tiles(self) -> list[dict]:
        """A KPI tile per metric, each opening the rows behind it."""
        tiles = []
        for name in self.metrics:
            read = self.figures_read.get(name)
            tile = figures.kpi_tile(
                name,
                start=self.params.start,
                end=self.params.end,
                filters=self.scope(name),
                as_of=self.rendered_at,
                totals=read[1] if read else None,
            )
            if not tile.get("unavailable"):
                tile["url"] = self.drill_url(name)
            tiles.append(tile)
        return tiles

    def trend_charts(self) -> list[dict]:
        """A line chart per charted metric, each point opening the rows of its period."""
        periods = compute.periods_in(self.params.start, self.params.end, self.params.granularity)
        return [
            charts.trend_chart(
                name,
                rows,
                links=[
                    self.drill_url(name, start=first, end=last, granularity=self.params.granularity)
                    for first, last in periods
                ],
            )
            for name, rows in self.trends.items()
            if name in self.chart_metrics
        ]

    def table(self):
        p = self.params
        return tables.trend_table(self.trends, start=p.start, end=p.end, granularity=p.granularity)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            tiles=self.tiles(),
            charts=self.trend_charts(),
            table=self.table(),
            computed_at=query.rollups_computed_at(self.metrics, start=self.params.start, end=self.params.end),
            refresh_url=reverse("feedback:report_refresh"),
            **kwargs,
        )


class MineView(OverviewView):
    """The overview of the signed-in user's own answers and cases, whatever their role."""

    permission_required = "feedback.view_own_reports"
    template_name = "feedback/reports/mine.html"
    title = _("My figures")
    file_name = "my-figures"
    filter_names = ()
    mine = True
    metrics = figures.OWN_TILE_METRICS
    chart_metrics = ("csat", "ttr_hours")


# --------------------------------------------------------------------------- breakdown


class BreakdownView(ReportView):
    permission_required = "feedback.view_reports"
    template_name = "feedback/reports/breakdown.html"
    title = _("Breakdown")

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
    def file_name(self):
        return "breakdown-{}-by-{}".format(*self.choice)

    @cached_property
    def breakdown(self) -> tables.ReportTable:
        if self.breakdown_form.errors:
            return tables.ReportTable([])
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
            as_of=self.rendered_at,
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
            dimensions_by_metric=BreakdownForm.dimensions_by_metric(),
            allowed_dimensions=metric_dimensions(name),
            metrics=[(n, m.label) for n, m in METRICS.items()],
            table=table,
            charts=[charts.breakdown_chart(metric, table)] if table.records else [],
            **kwargs,
        )


# --------------------------------------------------------------------------- touchpoints, topics, campaigns


class TouchpointsView(ReportView):
    permission_required = "feedback.view_marketing_reports"
    template_name = "feedback/reports/table_page.html"
    title = _("Worst touchpoints against their targets")
    file_name = "worst-touchpoints"
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
    title = _("Case topics over time")
    file_name = "case-topics"
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
            share = number_format(round(100.0 * total / sum(r[2] for r in rows), 1), 1)
            note = gettext("Most cases are about “%(topic)s” (%(share)s%% of the period).") % {
                "topic": case_topic_label(topic) if topic else gettext("(none)"),
                "share": share,
            }
        return super().get_context_data(
            table=self.table(), charts=[charts.topics_chart(periods, rows)], note=note, **kwargs
        )


class CampaignsView(ReportView):
    permission_required = "feedback.view_marketing_reports"
    template_name = "feedback/reports/table_page.html"
    title = _("Campaign engagement")
    file_name = "campaigns"
    filter_names = ("persona",)

    @cached_property
    def campaigns(self) -> tables.ReportTable:
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
            table=table, charts=[charts.campaigns_chart(table)] if table.records else [], **kwargs
        )


# --------------------------------------------------------------------------- follow-ups, journeys


class FollowupsView(ReportView):
    permission_required = "feedback.view_reports"
    template_name = "feedback/reports/followups.html"
    title = _("Follow-up closure")
    file_name = "open-follow-ups"
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
    title = _("Journey stages: measured against designed")
    file_name = "journey-stages"
    filter_names = ()

    def table(self):
        p = self.params
        return tables.journeys_table(figures.journey_stage_rows(start=p.start, end=p.end), start=p.start, end=p.end)

    def get_context_data(self, **kwargs):
        p = self.params
        period = urlencode({"start": p.start.isoformat(), "end": p.end.isoformat()})
        # Each published map's journey analytics (funnel, flow, paths, churn by stage) over the same period.
        analytics = [
            (journey_map.label, f"{reverse('feedback:journey_analytics', args=[journey_map.pk])}?{period}")
            for journey_map in journey_map_list().filter(status=MapStatus.PUBLISHED)
        ]
        return super().get_context_data(table=self.table(), analytics_links=analytics, **kwargs)


# --------------------------------------------------------------------------- refresh


class RefreshView(StaffPermissionMixin, View):
    """POST: recompute the daily rollups of every metric for the period a report page shows (`start`, `end`,
    at most REFRESH_MAX_DAYS days), through `metric_rollups_backfill`, then back to that page (`next`, a path
    of this site). A period that cannot be read is refused with a message and nothing recomputed."""

    permission_required = "feedback.view_reports"
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        form = ReportFilterForm(request.POST, filter_names=())
        back = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}) or not back.startswith("/"):
            back = reverse("feedback:report_overview")
        if not (form.is_valid() and request.POST.get("start") and request.POST.get("end")):
            messages.error(request, gettext("The figures were not recomputed: give the period's first and last day."))
            return redirect(back)
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        if (end - start).days >= REFRESH_MAX_DAYS:
            messages.error(
                request,
                gettext("The figures were not recomputed: choose at most %(days)s days.") % {"days": REFRESH_MAX_DAYS},
            )
            return redirect(back)
        metric_rollups_backfill(start=start, end=end)
        messages.success(
            request,
            gettext("Figures recomputed for %(start)s – %(end)s at %(time)s.")
            % {
                "start": date_format(start, "SHORT_DATE_FORMAT"),
                "end": date_format(end, "SHORT_DATE_FORMAT"),
                "time": date_format(timezone.localtime(), "TIME_FORMAT"),
            },
        )
        return redirect(back)


# --------------------------------------------------------------------------- drill-down


class DrilldownView(LoginRequiredMixin, ListTableMixin, TemplateView):
    """The rows behind one figure: metric, range, filters, optionally one dimension value and bucket.

    The same role scope as the API applies: a rep only ever sees their own rows; `mine=1`
    (links from "My figures") narrows anyone's drill-down to their own rows. Reading the rows
    stays with the roles that read the figure; exporting them (CSV, Excel: customer-level rows)
    needs EXPORT_ROWS_PERMISSION as well (managers by default), else 403 and no export buttons. Parameters
    that name no figure get the page with what is wrong, status 400. The rows are paged without
    counting them all (`ListTableMixin`): the page tells their number up to `count_limit`.
    """

    template_name = "feedback/reports/drilldown.html"
    paginate_by = 100

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not any(request.user.has_perm(p) for p in REPORT_PERMISSIONS):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        params = DrillQuerySerializer(data=request.GET)
        if not params.is_valid():
            errors = {name: " ".join(str(m) for m in messages) for name, messages in params.errors.items()}
            context = {"view": self, "errors": errors, "title": gettext("This figure cannot be shown")}
            return self.render_to_response(context, status=400)
        self.drill_query = q = params.validated_data
        self.filters = report_scope(
            request.user, metric=q["metric"], dimension=q["dimension"], filters=filters_of(q), mine=q["mine"]
        )
        export_format = request.GET.get("format")
        if export_format in EXPORT_FORMATS:
            if not request.user.has_perm(EXPORT_ROWS_PERMISSION):
                raise PermissionDenied
            return self.export(export_format, export_name(f"drill-{q['metric']}", q["start"], q["end"]))
        return super().get(request, *args, **kwargs)

    @property
    def table_class(self) -> type[tables.LinkedTable]:
        return drill_table_class(self.drill_query["metric"])

    def get_table_kwargs(self) -> dict:
        return {"metric": self.drill_query["metric"]}

    def get_table_data(self):
        q = self.drill_query
        queryset = compute.drill_queryset(
            q["metric"],
            start=q["start"],
            end=q["end"],
            dimension=q["dimension"],
            value=q["value"],
            filters=self.filters,
            bucket=q["bucket"] or None,
            as_of=q["as_of"],
        )
        return drill_rows(q["metric"], queryset)

    def get_context_data(self, **kwargs):
        q = self.drill_query
        name, dimension, value, bucket = q["metric"], q["dimension"], q["value"], q["bucket"]
        label = figures.dimension_labels(dimension, [value]).get(value, "") if dimension != "overall" else ""
        params = {k: v for k, v in self.request.GET.items() if k not in ("format", "page", "bucket")}
        as_of = q["as_of"]
        live_params = {k: v for k, v in self.request.GET.items() if k not in ("format", "page", "as_of")}
        buckets = [
            (b, bucket_name(name, b), f"?{urlencode({**params, 'bucket': b})}") for b in compute.drill_buckets(name)
        ]
        context = super().get_context_data(
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
            as_of=as_of,
            live_url=f"?{urlencode(live_params)}" if as_of else None,
            small_sample=SMALL_SAMPLE,
            **(export_urls(self.request) if self.request.user.has_perm(EXPORT_ROWS_PERMISSION) else {}),
            **kwargs,
        )
        # Rows that were counted (up to count_limit): the figure is read live from them (as of `as_of` when the
        # link names the moment its figure was computed), in this request, so it is their figure. Beyond that
        # the page does not count every row, and neither does the figure: it is the rollups' (as the report
        # pages), and says when those were computed.
        live = context["table_total"] is not None
        figure = self.figure(source="live" if live else "auto")
        computed_at = None if live else query.rollups_computed_at([name], start=q["start"], end=q["end"])
        if live:
            figure_at = as_of or timezone.now()
        else:
            figure_at = computed_at or timezone.now()
        context.update(
            figure=figure,
            figure_display=tables.number_shown(figure["value"]),
            figure_at=figure_at,
            figure_live=live,
        )
        return context

    def figure(self, *, source: str) -> dict:
        """The figure the drilled rows are behind (of one dimension value, if any), read from `source`."""
        q, filters = self.drill_query, self.filters
        period = {"start": q["start"], "end": q["end"], "filters": filters, "source": source, "as_of": q["as_of"]}
        figure = query.metric_total(q["metric"], **period)
        if q["dimension"] == "overall":
            return figure
        breakdown = query.metric_breakdown(q["metric"], dimension=q["dimension"], **period)
        return next((r for r in breakdown if r["dimension_value"] == q["value"]), figure | {"n": 0, "value": None})


# --------------------------------------------------------------------------- health by persona, stage, journey


class HealthReportView(ReportView):
    """The average customer health score at each period's end, and the share below the attention threshold, by
    persona, lifecycle stage or journey map (`health.health_series`): a line per value, the table (also its
    CSV or XLSX), each figure opening the customers behind it."""

    by_period = True
    permission_required = "feedback.view_reports"
    template_name = "feedback/reports/health.html"
    title = _("Customer health by persona, stage and journey")
    filter_names = ()

    @cached_property
    def dimension_form(self) -> HealthDimensionForm:
        form = HealthDimensionForm(self.request.GET or None)
        form.is_valid()
        return form

    @property
    def dimension(self) -> str:
        data = self.dimension_form.cleaned_data if self.dimension_form.is_bound else {}
        return data.get("dimension") or "persona"

    @property
    def file_name(self):
        return f"health-by-{self.dimension.replace('_', '-')}"

    @cached_property
    def series(self) -> list[dict]:
        p = self.params
        return health.health_series(start=p.start, end=p.end, granularity=p.granularity, dimension=self.dimension)

    @cached_property
    def labels(self) -> dict[str, str]:
        return health.health_labels(self.dimension, {r["dimension_value"] for r in self.series})

    def link(self, row: dict, *, below: bool = False) -> str:
        return health.health_drill_url(
            start=row["period_start"],
            end=row["period_end"],
            dimension=self.dimension,
            value=row["dimension_value"],
            below=below,
        )

    def table(self):
        return tables.health_table(self.series, dimension=self.dimension, labels=self.labels, link=self.link)

    def get_context_data(self, **kwargs):
        p = self.params
        periods = compute.periods_in(p.start, p.end, p.granularity)
        return super().get_context_data(
            dimension_form=self.dimension_form,
            dimension=self.dimension,
            threshold=health.HealthSettings.load().attention_below,
            table=self.table(),
            charts=[
                charts.health_chart(self.series, periods=periods, labels=self.labels, link=self.link, below=below)
                for below in (False, True)
            ]
            if self.series
            else [],
            **kwargs,
        )


class HealthDrillView(StaffPermissionMixin, ListTableMixin, TemplateView):
    """The customers behind a health figure (`health.health_customers_at`): scored at the end of [start, end], in
    one persona, stage or journey map (`dimension`, `value`), `below=1` only those under the attention threshold;
    lowest score first. Parameters that name no figure: the page with what is wrong, status 400. Exporting the
    rows (CSV, Excel) needs EXPORT_ROWS_PERMISSION as the other drill-downs do, else 403."""

    permission_required = "feedback.view_reports"
    template_name = "feedback/reports/health_drill.html"
    paginate_by = 100
    table_class = tables.HealthCustomersTable

    def get(self, request, *args, **kwargs):
        form = HealthDrillForm(request.GET)
        if not form.is_valid():
            errors = {name: " ".join(str(m) for m in messages) for name, messages in form.errors.items()}
            context = {"view": self, "errors": errors, "title": gettext("This figure cannot be shown")}
            return self.render_to_response(context, status=400)
        self.query = form.cleaned_data
        export_format = request.GET.get("format")
        if export_format in EXPORT_FORMATS:
            if not request.user.has_perm(EXPORT_ROWS_PERMISSION):
                raise PermissionDenied
            q = self.query
            return self.export(export_format, export_name(f"health-{q['dimension']}", q["start"], q["end"]))
        return super().get(request, *args, **kwargs)

    def get_table_data(self):
        return health.health_customers_at(**self.query)

    def get_context_data(self, **kwargs):
        q = self.query
        labels = health.health_labels(q["dimension"], [q["value"]])
        return super().get_context_data(
            title=_("Customer health: the customers behind the figure"),
            start=q["start"],
            end=q["end"],
            dimension=q["dimension"],
            dimension_label=health.HEALTH_DIMENSIONS[q["dimension"]],
            value_label=labels.get(q["value"], q["value"]),
            below=q["below"],
            threshold=health.HealthSettings.load().attention_below,
            **(export_urls(self.request) if self.request.user.has_perm(EXPORT_ROWS_PERMISSION) else {}),
            **kwargs,
        )
