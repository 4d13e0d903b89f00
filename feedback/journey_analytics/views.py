"""Pages of the journey analytics: the panel the map page loads under its stages (htmx), the report page
(funnel with its breakdowns, flow chart, top paths, transitions, churn by stage; CSV of each table) and the
customers behind a funnel figure."""

from datetime import date
from functools import cached_property
from urllib.parse import urlencode

from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from cxcrm.choices import Channel
from cxcrm.tables import EXPORT_FORMATS, export_response
from cxcrm.views import StaffPermissionMixin
from journeys.choices import MapStatus
from journeys.models import JourneyMap, Persona
from journeys.selectors import touchpoints_for_keys

from ..reports.tables import ReportTable, row
from ..reports.views import export_name
from .churn import churn_by_stage
from .params import PERMISSION, JourneyAnalyticsQuerySerializer, default_period, filters_of
from .selectors import (
    BREAKDOWNS,
    STATUSES,
    breakdown_group_q,
    computed_at,
    funnel_customers,
    journey_flow,
    journey_funnel,
    journey_paths,
)

PANEL_PATHS = 5
STATUS_LABELS = {
    "reached": _("Reached"),
    "entered": _("Entered"),
    "skipped": _("Skipped"),
    "converted": _("Went on"),
    "in_progress": _("In progress"),
    "dropped": _("Dropped"),
}
DEVIATION_LABELS = {"skipped": _("skipped a stage"), "reversed": _("went back"), "off_map": _("off-map touchpoint")}


class _JourneyMapPage(StaffPermissionMixin, TemplateView):
    permission_required = PERMISSION

    @cached_property
    def journey_map(self) -> JourneyMap:
        journey_map = JourneyMap.objects.select_related("persona").filter(pk=self.kwargs["pk"]).first()
        if journey_map is None:
            raise Http404(gettext("No such journey map."))
        return journey_map

    @cached_property
    def query(self) -> JourneyAnalyticsQuerySerializer:
        query = JourneyAnalyticsQuerySerializer(data=self.request.GET)
        query.is_valid()
        return query

    @cached_property
    def data(self) -> dict:
        """The validated parameters, or the default period without filters when they are refused."""
        if self.query.errors:
            start, end = default_period()
            return {"start": start, "end": end, "limit": 10}
        return self.query.validated_data

    @property
    def filters(self) -> dict:
        return filters_of(self.data)

    def customers_url(self, stage_id: int, status: str, group=None) -> str:
        """The customers behind one figure; `group`, a breakdown group's value, keeps that group's (`by`, `group`)."""
        params = {"stage": stage_id, "status": status, "start": self.data["start"], "end": self.data["end"]}
        params.update(self.filters)
        if group is not None and self.data.get("by"):
            params.update(by=self.data["by"], group=group)
        return f"{reverse('feedback:journey_customers', args=[self.journey_map.pk])}?{urlencode(params)}"

    def funnel_rows(self, stages: list[dict], group=None) -> list[dict]:
        """Each stage's figures with the link to the customers behind each count (of one breakdown group's)."""
        return [
            {**stage, "links": {status: self.customers_url(stage["stage_id"], status, group) for status in STATUSES}}
            for stage in stages
        ]

    def group_label(self, value) -> str:
        """A breakdown group's value as people read it (the persona's name, the channel's label, the month)."""
        by = self.data.get("by")
        if value == "":
            return str({"persona": _("No persona"), "channel": _("No channel"), "cohort": _("Unknown")}.get(by, "—"))
        if by == "persona":
            return self.persona_names.get(value, str(value))
        if by == "channel":
            return str(dict(Channel.choices).get(value, value))
        if by == "cohort":  # "2026-03": the month in the reader's language ("março de 2026")
            try:
                month = date.fromisoformat(f"{value}-01")
            except ValueError:
                return str(value)
            return date_format(month, "YEAR_MONTH_FORMAT")
        return str(value)

    @cached_property
    def persona_names(self) -> dict:
        return dict(Persona.objects.values_list("pk", "name"))

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            journey_map=self.journey_map,
            published=self.journey_map.status == MapStatus.PUBLISHED,
            computed_at=computed_at(self.journey_map),
            start=self.data["start"],
            end=self.data["end"],
            errors=self.query.errors,
            **kwargs,
        )


def _flow_rows(flow: dict) -> list[dict]:
    """The flow's links with the nodes' labels (the table under the chart)."""
    labels = {node["id"]: node["label"] for node in flow["nodes"]}
    return [{**link, "from": labels[link["from"]], "to": labels[link["to"]]} for link in flow["links"]]


def _touchpoint_flow_for_page(flow: dict, names: dict[str, str]) -> dict:
    """The step-indexed touchpoint flow with each node labelled "<touchpoint name> (<step>)"."""
    nodes = [{"id": n["id"], "label": f"{names.get(n['key'], n['key'])} ({n['step']})"} for n in flow["nodes"]]
    return {"nodes": nodes, "links": flow["links"]}


def touchpoint_names(journey_map: JourneyMap, keys) -> dict[str, str]:
    """{touchpoint key: the name a person reads} for `keys`: the map's own touchpoints, then those of the
    published maps (an off-map touchpoint); a key nobody names stays out (the page shows the key). One query,
    two when some key is not on the map."""
    keys = set(keys)
    if not keys:
        return {}
    names = dict(journey_map.touchpoints.filter(key__in=keys).values_list("key", "name"))
    if keys - set(names):
        names.update((key, tp.name) for key, tp in touchpoints_for_keys(keys - set(names)).items())
    return names


def _paths_for_page(paths: list[dict], names: dict[str, str] | None = None) -> list[dict]:
    """The paths with their deviations in words and each step's touchpoint name (`name`, the key when unnamed)."""
    names = names or {}
    return [
        {
            **p,
            "deviation_labels": [DEVIATION_LABELS[d] for d in p["deviations"]],
            "steps": [{**step, "name": names.get(step["key"], step["key"])} for step in p["steps"]],
        }
        for p in paths
    ]


def _path_keys(paths: list[dict], transitions: list[dict] = ()) -> set[str]:
    keys = {step["key"] for p in paths for step in p["steps"]}
    return keys | {t["from"] for t in transitions} | {t["to"] for t in transitions}


class JourneyMapPanelView(_JourneyMapPage):
    """The measured funnel, flow chart and top paths under a map's stages (the map page loads it by htmx,
    with the period it shows: `start`, `end`)."""

    template_name = "feedback/journey_analytics/panel.html"

    def get_context_data(self, **kwargs):
        start, end, filters = self.data["start"], self.data["end"], self.filters
        funnel = journey_funnel(self.journey_map, start=start, end=end, filters=filters)
        paths = journey_paths(self.journey_map, start=start, end=end, filters=filters, limit=PANEL_PATHS)
        report = reverse("feedback:journey_analytics", args=[self.journey_map.pk])
        flow = journey_flow(self.journey_map, start=start, end=end, filters=filters)
        churn_rows = churn_by_stage(self.journey_map, start=start, end=end, filters=filters)
        churn = {row["stage_id"]: row for row in churn_rows}
        stages = [{**stage, "churn": churn.get(stage["stage_id"])} for stage in self.funnel_rows(funnel["stages"])]
        return super().get_context_data(
            stages=stages,
            with_churn=True,
            flow=flow,
            flow_rows=_flow_rows(flow),
            paths=_paths_for_page(paths["paths"], touchpoint_names(self.journey_map, _path_keys(paths["paths"]))),
            journeys=paths["journeys"],
            report_url=f"{report}?{urlencode({'start': start, 'end': end})}",
            **kwargs,
        )


class JourneyAnalyticsView(_JourneyMapPage):
    """The report page of one map: funnel (by persona, channel of entry or cohort), flow, paths, transitions,
    churn by stage; `?format=csv&table=funnel|paths|transitions|churn` downloads a table."""

    template_name = "feedback/journey_analytics/report.html"
    TABLES = ("funnel", "paths", "transitions", "churn")

    def get(self, request, *args, **kwargs):
        export_format = request.GET.get("format")
        if export_format in EXPORT_FORMATS:
            name = request.GET.get("table", "funnel")
            if name not in self.TABLES:
                raise Http404(gettext("No such table."))
            table = getattr(self, f"{name}_table")()
            filename = export_name(f"journey-{self.journey_map.pk}-{name}", self.data["start"], self.data["end"])
            return export_response(table, export_format=export_format, filename=filename)
        return super().get(request, *args, **kwargs)

    @cached_property
    def funnel(self) -> dict:
        return journey_funnel(
            self.journey_map,
            start=self.data["start"],
            end=self.data["end"],
            filters=self.filters,
            by=self.data.get("by"),
        )

    @cached_property
    def paths(self) -> dict:
        return journey_paths(
            self.journey_map,
            start=self.data["start"],
            end=self.data["end"],
            filters=self.filters,
            limit=self.data.get("limit") or 10,
        )

    @cached_property
    def churn(self) -> list[dict]:
        return churn_by_stage(self.journey_map, start=self.data["start"], end=self.data["end"], filters=self.filters)

    def funnel_table(self) -> ReportTable:
        columns = [
            _("Group"),
            _("Stage"),
            _("Reached"),
            _("Entered"),
            _("Skipped"),
            _("Went on"),
            _("In progress"),
            _("Dropped"),
        ]
        columns += [_("Conversion (%)"), _("Drop-off (%)"), _("Median time in stage (h)"), _("p90 time in stage (h)")]
        groups = [("All", self.funnel["stages"], None)] + [
            (self.group_label(g["value"]), g["stages"], g["value"]) for g in self.funnel["groups"]
        ]
        return ReportTable(
            columns,
            [
                row(
                    [
                        label,
                        s["name"],
                        s["reached"],
                        s["entered"],
                        s["skipped"],
                        s["converted"],
                        s["in_progress"],
                        s["dropped"],
                        s["conversion_rate"],
                        s["drop_off_rate"],
                        s["median_hours"],
                        s["p90_hours"],
                    ],
                    self.customers_url(s["stage_id"], "reached", value),
                )
                for label, stages, value in groups
                for s in stages
            ],
            link_label=_("customers"),
        )

    def paths_table(self) -> ReportTable:
        return ReportTable(
            [
                _("Path"),
                _("Journeys"),
                _("Share (%)"),
                _("Designed order"),
                _("Furthest stage"),
                "NPS",
                _("CSAT (%)"),
                _("Churned (%)"),
            ],
            [
                row(
                    [
                        " → ".join(p["path"]),
                        p["journeys"],
                        p["share"],
                        "follows"
                        if p["follows_design"]
                        else "deviates: " + ", ".join(str(label) for label in p["deviation_labels"]),
                        p["furthest_stage"] or "",
                        p["nps"],
                        p["csat"],
                        p["churn_rate"],
                    ]
                )
                for p in _paths_for_page(self.paths["paths"])
            ],
        )

    def transitions_table(self) -> ReportTable:
        return ReportTable(
            [_("From touchpoint"), _("To touchpoint"), _("Journeys")],
            [row([t["from"], t["to"], t["journeys"]]) for t in self.paths["transitions"]],
        )

    def churn_table(self) -> ReportTable:
        return ReportTable(
            [_("Furthest stage reached"), _("Active at start"), _("Churned"), _("Churn rate (%)")],
            [row([c["label"], c["active_at_start"], c["churned"], c["value"]]) for c in self.churn],
        )

    def get_context_data(self, **kwargs):
        base = f"{reverse('feedback:journey_analytics', args=[self.journey_map.pk])}?"
        params = {k: v for k, v in self.request.GET.items() if k not in ("format", "table")}
        flow = journey_flow(self.journey_map, start=self.data["start"], end=self.data["end"], filters=self.filters)
        transitions = self.paths["transitions"][:20]
        touchpoint_flow = self.paths["touchpoint_flow"]
        flow_keys = {node["key"] for node in touchpoint_flow["nodes"]}
        names = touchpoint_names(self.journey_map, _path_keys(self.paths["paths"], transitions) | flow_keys)
        return super().get_context_data(
            title=gettext("Journey analytics: %(map)s") % {"map": self.journey_map.label},
            personas=Persona.objects.order_by("name"),
            channels=Channel.choices,
            breakdowns=BREAKDOWNS,
            values=params,
            stages=self.funnel_rows(self.funnel["stages"]),
            groups=[
                {"label": self.group_label(g["value"]), "stages": self.funnel_rows(g["stages"], g["value"])}
                for g in self.funnel["groups"]
            ],
            flow=flow,
            flow_rows=_flow_rows(flow),
            touchpoint_flow=_touchpoint_flow_for_page(touchpoint_flow, names),
            paths=_paths_for_page(self.paths["paths"], names),
            journeys=self.paths["journeys"],
            transitions=[
                {**t, "from_name": names.get(t["from"], t["from"]), "to_name": names.get(t["to"], t["to"])}
                for t in transitions
            ],
            churn=self.churn,
            csv_urls={name: base + urlencode({**params, "format": "csv", "table": name}) for name in self.TABLES},
            **kwargs,
        )


class JourneyCustomersView(_JourneyMapPage):
    """The customers behind one funnel figure: `stage` (id), `status` (reached, entered, skipped, converted,
    in_progress, dropped), the period and filters; `?format=csv` downloads them."""

    template_name = "feedback/journey_analytics/customers.html"
    LIMIT = 1000

    @cached_property
    def stage(self):
        value = self.request.GET.get("stage", "")
        stage = None
        if value.isascii() and value.isdigit() and len(value) < 12:
            stage = self.journey_map.stages.filter(pk=int(value)).first()
        if stage is None:
            raise Http404(gettext("No such stage on this map."))
        return stage

    @cached_property
    def status(self) -> str:
        status = self.request.GET.get("status", "reached")
        if status not in STATUSES:
            raise Http404(gettext("No such figure."))
        return status

    @cached_property
    def group(self) -> tuple[str, str] | None:
        """(`by`, `group`): one breakdown group's customers (the report's group rows link here); None: all."""
        by, value = self.data.get("by"), self.request.GET.get("group")
        if value is None or not by:
            return None
        try:
            breakdown_group_q(by, value)
        except ValueError:
            raise Http404(gettext("No such group.")) from None
        return by, value

    def visits(self):
        return funnel_customers(
            self.journey_map,
            start=self.data["start"],
            end=self.data["end"],
            stage_id=self.stage.pk,
            status=self.status,
            filters=self.filters,
            group=self.group,
        )[: self.LIMIT]

    def table(self) -> ReportTable:
        """The visits, dates in the reader's format (local dates and times in the export), the path by its
        touchpoints' names (its keys in an export-only "path" column)."""
        visits = list(self.visits())
        keys = {key for v in visits for key in v.journey.path.split(" > ") if key}
        names = touchpoint_names(self.journey_map, keys)
        return ReportTable(
            [
                _("Customer"),
                _("Entered or passed"),
                "skipped",
                _("Skipped"),
                _("Went on to"),
                _("Journey started"),
                _("Last touchpoint"),
                "path",
                _("Path"),
            ],
            [
                row(
                    [
                        str(v.customer),
                        v.entered_at,
                        "true" if v.skipped else "false",
                        gettext("yes") if v.skipped else gettext("no"),
                        v.next_stage.name if v.next_stage else "",
                        timezone.localdate(v.journey.started_at),
                        timezone.localdate(v.journey.ended_at),
                        v.journey.path.replace(" > ", " → "),
                        " → ".join(names.get(key, key) for key in v.journey.path.split(" > ")),
                    ],
                    reverse("customers:customer_detail", args=[v.customer_id]),
                )
                for v in visits
            ],
            # Codes for integrations (skipped true/false, the path's keys) beside the words a person reads.
            export_only=(2, 7),
            export_headers={3: "skipped_label"},
            link_label=_("customer"),
        )

    def _group_value(self):
        """The group's value as the funnel gives it (a persona id is a number there)."""
        by, value = self.group
        return int(value) if by == "persona" and value else value

    def get(self, request, *args, **kwargs):
        export_format = request.GET.get("format")
        if export_format in EXPORT_FORMATS:
            filename = export_name(
                f"journey-{self.journey_map.pk}-{self.stage.pk}-{self.status}", self.data["start"], self.data["end"]
            )
            return export_response(self.table(), export_format=export_format, filename=filename)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        params = {k: v for k, v in self.request.GET.items() if k != "format"}
        return super().get_context_data(
            title=f"{self.journey_map.label} · {self.stage.name}: {STATUS_LABELS[self.status]}"
            + (f" · {self.group_label(self._group_value())}" if self.group else ""),
            stage=self.stage,
            status_label=STATUS_LABELS[self.status],
            table=self.table(),
            limit=self.LIMIT,
            csv_url="?" + urlencode({**params, "format": "csv"}),
            **kwargs,
        )
