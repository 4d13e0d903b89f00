from datetime import timedelta

from django import forms
from django.utils import timezone

from cxcrm.choices import Channel
from journeys.models import JourneyMap, Persona

from ..metrics.definitions import DIMENSIONS, GRANULARITIES, METRICS
from ..metrics.params import MAX_PERIODS, range_errors
from ..models import Survey

DEFAULT_DAYS = 90
# A page drawing a point per period stops here: more points cannot be read on a chart,
# and every period costs the page time.
MAX_CHART_PERIODS = 400


class ReportFilterForm(forms.Form):
    """Period (granularity, start–end) and filters of a report page; defaults: the last 90 days by week."""

    granularity = forms.ChoiceField(
        choices=[(g, g.title()) for g in GRANULARITIES],
        required=False,
        error_messages={"invalid_choice": "Choose day, week, month or quarter."},
    )
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    persona = forms.ModelChoiceField(Persona.objects.all(), required=False, empty_label="Any persona")
    journey = forms.ModelChoiceField(
        JourneyMap.objects.exclude(status="archived"), required=False, empty_label="Any journey"
    )
    channel = forms.ChoiceField(choices=[("", "Any channel"), *Channel.choices], required=False)
    survey = forms.ModelChoiceField(Survey.objects.all(), required=False, empty_label="Any survey")

    def __init__(self, *args, filter_names=(), max_periods=MAX_PERIODS, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_periods = max_periods
        for name in ("persona", "journey", "channel", "survey"):
            if name not in filter_names:
                del self.fields[name]
        if "journey" in self.fields:
            self.fields["journey"].label_from_instance = lambda m: m.label

    def clean(self):
        data = super().clean()
        if "start" in self.errors or "end" in self.errors:
            return data
        end = data.get("end") or timezone.localdate()
        start = data.get("start") or end - timedelta(days=DEFAULT_DAYS - 1)
        granularity = data.get("granularity") or "week"
        for name, message in range_errors(start, end, granularity, max_periods=self.max_periods).items():
            self.add_error(name, message)
        data.update(start=start, end=end, granularity=granularity)
        return data

    def params(self) -> dict:
        """Validated period and filters, or the defaults when the input is invalid."""
        if self.is_valid():
            data = self.cleaned_data
        else:
            end = timezone.localdate()
            data = {"start": end - timedelta(days=DEFAULT_DAYS - 1), "end": end, "granularity": "week"}
        filters = {}
        for name in ("persona", "journey", "channel", "survey"):
            value = data.get(name)
            if value not in (None, ""):
                filters[name] = getattr(value, "pk", value)
        return {"start": data["start"], "end": data["end"], "granularity": data["granularity"], "filters": filters}


class BreakdownForm(forms.Form):
    """Which metric by which dimension; only the dimensions that mean something for the metric."""

    metric = forms.ChoiceField(choices=[(name, m.label) for name, m in METRICS.items()], required=False)
    dimension = forms.ChoiceField(choices=[(k, v) for k, v in DIMENSIONS.items() if k != "overall"], required=False)

    def clean(self):
        data = super().clean()
        metric = METRICS[data.get("metric") or "nps"]
        dimension = data.get("dimension") or next(d for d in metric.dimensions if d != "overall")
        if dimension not in metric.dimensions:
            self.add_error("dimension", f"{metric.label} cannot be broken down by {DIMENSIONS.get(dimension)}.")
        data.update(metric=metric.name, dimension=dimension)
        return data
