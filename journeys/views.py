"""Pages of the journeys app: the map list, the map (grid, emotion curves,
overlay slots), and JSON export and import."""

import json
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext
from django.views.generic import FormView, ListView, TemplateView, View

from cxcrm.views import ClampedPaginationMixin, StaffPermissionMixin

from .choices import MapStatus
from .exchange import journey_map_export, journey_map_import
from .figures import figures_for_map
from .filtersets import JourneyMapFilterSet
from .forms import MapImportForm, PeriodForm
from .mapgrid import build_map_grid
from .models import JourneyMap
from .selectors import journey_map_get, journey_map_list, persona_list


class MapListView(StaffPermissionMixin, ClampedPaginationMixin, ListView):
    permission_required = "journeys.view_journeymap"
    template_name = "journeys/map_list.html"
    context_object_name = "maps"
    paginate_by = 50

    def get_queryset(self):
        queryset = journey_map_list()
        if not self.request.GET.get("status"):
            queryset = queryset.exclude(status=MapStatus.ARCHIVED)
        self.filterset = JourneyMapFilterSet(self.request.GET or None, queryset=queryset)
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            statuses=MapStatus.choices,
            personas=persona_list(),
            current_status=self.request.GET.get("status", ""),
            current_persona=self.request.GET.get("persona_id", ""),
            q=self.request.GET.get("q", ""),
            **kwargs,
        )


class _MapMixin(StaffPermissionMixin):
    permission_required = "journeys.view_journeymap"

    def get_map(self) -> JourneyMap:
        try:
            return journey_map_get(pk=self.kwargs["pk"])
        except JourneyMap.DoesNotExist:
            raise Http404(gettext("No such journey map."))


class MapDetailView(_MapMixin, TemplateView):
    template_name = "journeys/map_detail.html"

    def get_context_data(self, **kwargs):
        journey_map = self.get_map()
        period_form = PeriodForm(self.request.GET or {"period": "30"})
        start, end = period_form.dates()
        figures = figures_for_map(journey_map=journey_map, period_start=start, period_end=end)
        return super().get_context_data(
            panel=self.panel(journey_map, start, end),
            journey_map=journey_map,
            grid=build_map_grid(journey_map, figures),
            figures=figures,
            period_form=period_form,
            period_start=start,
            period_end=end,
            **kwargs,
        )

    def panel(self, journey_map, start, end) -> dict | None:
        """The panel a higher app shows under the stages (setting JOURNEYS_MAP_PANEL), for users allowed to see
        it: {"url": loaded by htmx with the period, "scripts": static paths}; None without one."""
        panel = getattr(settings, "JOURNEYS_MAP_PANEL", None)
        if not panel or not self.request.user.has_perm(panel.get("permission") or ""):
            return None
        query = urlencode({"start": start.isoformat(), "end": end.isoformat()})
        return {"url": f"{reverse(panel['url_name'], args=[journey_map.pk])}?{query}", "scripts": panel["scripts"]}


class MapExportView(_MapMixin, View):
    def get(self, request, pk):
        journey_map = self.get_map()
        body = json.dumps(journey_map_export(journey_map=journey_map), indent=2, ensure_ascii=False)
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
        filename = f"{slugify(journey_map.name) or 'journey-map'}-v{journey_map.version}.json"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


class MapImportView(StaffPermissionMixin, FormView):
    permission_required = "journeys.add_journeymap"
    template_name = "journeys/map_import.html"
    form_class = MapImportForm

    def form_valid(self, form):
        try:
            journey_map = journey_map_import(data=form.cleaned_data["parsed"], owner=self.request.user)
        except ValidationError as error:
            details = error.message_dict if hasattr(error, "error_dict") else {"non_field_errors": error.messages}
            for path, problems in details.items():
                for problem in problems:
                    form.add_error(None, problem if path == "non_field_errors" else f"{path}: {problem}")
            return self.form_invalid(form)
        messages.success(self.request, gettext("Imported “%(map)s” as a draft.") % {"map": journey_map.label})
        if self.request.user.has_perm("journeys.change_journeymap"):
            return redirect(reverse("admin:journeys_journeymap_change", args=[journey_map.pk]))
        return redirect(journey_map.get_absolute_url())
