"""The inputs of the report pages: the period and filters every page reads (`ReportFilterForm` →
`ReportParams`) and the breakdown's metric and dimension. The drill-down's parameters are validated by
`drill.DrillQuerySerializer`, the API's serializer with its few extras."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.choices import LifecycleStage
from cxcrm.choices import Channel
from journeys.models import JourneyMap, Persona

from ..metrics.definitions import DIMENSIONS, FILTERS, GRANULARITIES, GRANULARITY_LABELS, METRICS
from ..metrics.params import filters_of, no_such_value, range_errors
from ..models import Survey
from .health import HEALTH_DIMENSIONS

DEFAULT_DAYS = 90
DEFAULT_GRANULARITY = "week"
# A page drawing a point per period stops here: more points cannot be read on a chart,
# and every period costs the page time.
MAX_CHART_PERIODS = 400


@dataclass(frozen=True)
class ReportParams:
    """What a report page reads: the inclusive days [start, end], the granularity of its periods and the
    filters chosen ({name: id or channel code}, before the role scope)."""

    start: date
    end: date
    granularity: str = DEFAULT_GRANULARITY
    filters: dict = field(default_factory=dict)

    @classmethod
    def default(cls, end: date | None = None) -> "ReportParams":
        """The last DEFAULT_DAYS days up to `end` (default today), by week, without filters."""
        end = end or timezone.localdate()
        return cls(start=end - timedelta(days=DEFAULT_DAYS - 1), end=end)


def _choices_read(choices) -> list:
    """A model choice field's choices in one query (iterated, never counted)."""
    return [choice for choice in choices]  # noqa: C416 (list() would ask the iterator's length: a COUNT query)


class ReportFilterForm(forms.Form):
    """Period (granularity, start–end) and filters of a report page; defaults: the last 90 days by week.

    `filter_names`: the filters the page offers (of FILTERS); `by_period`: the page draws a point per
    period, so it offers the granularity and bounds the number of periods (MAX_CHART_PERIODS).
    """

    granularity = forms.ChoiceField(
        label=_("Granularity"),
        choices=[(g, GRANULARITY_LABELS[g]) for g in GRANULARITIES],
        required=False,
        error_messages={"invalid_choice": _("Choose day, week, month or quarter.")},
    )
    start = forms.DateField(label=_("Start"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("End"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    persona = forms.ModelChoiceField(
        Persona.objects.all(), label=_("Persona"), required=False, empty_label=_("Any persona")
    )
    journey = forms.ModelChoiceField(
        JourneyMap.objects.exclude(status="archived"), label=_("Journey"), required=False, empty_label=_("Any journey")
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=[("", _("Any channel")), *Channel.choices], required=False)
    survey = forms.ModelChoiceField(
        Survey.objects.all(), label=_("Survey"), required=False, empty_label=_("Any survey")
    )

    def __init__(self, *args, filter_names=FILTERS, by_period=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_periods = MAX_CHART_PERIODS if by_period else None
        if not by_period:
            del self.fields["granularity"]
        for name in FILTERS:
            if name not in filter_names:
                del self.fields[name]
        if "journey" in self.fields:
            self.fields["journey"].label_from_instance = lambda m: m.label
        for form_field in self.fields.values():
            if isinstance(form_field, forms.ModelChoiceField):
                # Read once when the page lists them: a template loop over the queryset's choices (or list())
                # counts them first, a second query per select.
                form_field.choices = partial(_choices_read, form_field.choices)

    def clean(self):
        data = super().clean()
        if "start" in self.errors or "end" in self.errors:
            return data
        end = data.get("end") or timezone.localdate()
        start = data.get("start") or ReportParams.default(end).start
        granularity = data.get("granularity") or DEFAULT_GRANULARITY
        for name, message in range_errors(start, end, granularity, max_periods=self.max_periods).items():
            self.add_error(name, message)
        data.update(start=start, end=end, granularity=granularity)
        return data

    def params(self) -> ReportParams:
        """The validated period and filters, or the default period without filters when the input is invalid."""
        if not self.is_valid():
            return ReportParams.default()
        data = self.cleaned_data
        return ReportParams(
            start=data["start"], end=data["end"], granularity=data["granularity"], filters=filters_of(data)
        )


def metric_dimensions(metric_name: str) -> list[tuple[str, str]]:
    """The dimensions a metric can be broken down by, as (value, label), from its definition (`Metric.dimensions`,
    which the API's "use one of" names too); `overall` is the whole figure, not a breakdown."""
    return [(d, str(DIMENSIONS[d])) for d in METRICS[metric_name].dimensions if d != "overall"]


class BreakdownForm(forms.Form):
    """Which metric by which dimension; only the dimensions that mean something for the metric.

    The dimension's choices are the chosen metric's (`metric_dimensions`); the page's script swaps them when
    another metric is picked, from `dimensions_by_metric()` (the same definition)."""

    metric = forms.ChoiceField(choices=[(name, m.label) for name, m in METRICS.items()], required=False)
    dimension = forms.ChoiceField(choices=[(k, v) for k, v in DIMENSIONS.items() if k != "overall"], required=False)

    @staticmethod
    def dimensions_by_metric() -> dict[str, list[list[str]]]:
        """{metric: [[dimension, label], …]} for the page's script (json_script)."""
        return {name: [list(pair) for pair in metric_dimensions(name)] for name in METRICS}

    def clean(self):
        data = super().clean()
        metric = METRICS[data.get("metric") or "nps"]
        dimension = data.get("dimension") or next(d for d in metric.dimensions if d != "overall")
        if dimension not in metric.dimensions:
            self.add_error(
                "dimension",
                _("%(metric)s cannot be broken down by %(dimension)s; use one of: %(dimensions)s.")
                % {
                    "metric": metric.label,
                    "dimension": DIMENSIONS.get(dimension),
                    "dimensions": ", ".join(str(label) for _d, label in metric_dimensions(metric.name)),
                },
            )
        data.update(metric=metric.name, dimension=dimension)
        return data


class HealthDimensionForm(forms.Form):
    """The health report's breakdown: persona (default), lifecycle stage, journey map, or all customers."""

    dimension = forms.ChoiceField(
        label=_("By"),
        choices=[(k, v) for k, v in HEALTH_DIMENSIONS.items()],
        required=False,
        error_messages={"invalid_choice": _("Choose persona, lifecycle stage, journey map or overall.")},
    )


class HealthDrillForm(forms.Form):
    """The customers behind a health figure: the period [start, end] (whose end the scores are read at), the
    dimension and its value (a persona or journey map id, a stage; "" for no persona), `below` the threshold."""

    start = forms.DateField()
    end = forms.DateField()
    dimension = forms.ChoiceField(choices=[(k, v) for k, v in HEALTH_DIMENSIONS.items()], required=False)
    value = forms.CharField(required=False, strip=False, max_length=100)
    below = forms.BooleanField(required=False)

    def clean(self):
        data = super().clean()
        dimension = data.get("dimension") or "overall"
        value = data.get("value") or ""
        if "\x00" in value:
            self.add_error("value", _("This value names nothing."))
        elif (
            dimension in ("persona", "journey")
            and value
            and not (value.isascii() and value.isdigit() and len(value) < 19)
        ):
            self.add_error("value", no_such_value(HEALTH_DIMENSIONS[dimension], value))
        elif dimension == "journey" and not value:
            self.add_error("value", _("Name the journey map."))
        elif dimension == "lifecycle_stage" and value not in LifecycleStage.values:
            self.add_error("value", no_such_value(HEALTH_DIMENSIONS["lifecycle_stage"], value))
        if data.get("start") and data.get("end"):
            for name, message in range_errors(data["start"], data["end"], "day", max_periods=None).items():
                self.add_error(name, message)
        data.update(dimension=dimension, value=value)
        return data
