"""The registry of CX metrics: what each one counts, by which dimensions it may be cut,
how its value is derived from the stored counts, and the formula the pages show.

Every metric is computed from exact counts (see docs/metrics.md): a score metric
from its top box, middle and bottom box (feedback/scales.py) and the score sum, a ratio from its numerator
and denominator, a duration from a sum and a count (mean) and a median taken
from the source rows. The value functions below are the only place those
formulas live (`Metric.counts_to_row`); the API, the pages and the digest call
them through `feedback.metrics.query`, the journeys provider on the summed rollups
of a map's touchpoints.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.formats import number_format
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext, gettext_noop, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from ..scales import SCALES

# --------------------------------------------------------------------------- vocabulary

GRANULARITIES = ("day", "week", "month", "quarter")
GRANULARITY_LABELS = {"day": _("Day"), "week": _("Week"), "month": _("Month"), "quarter": _("Quarter")}

DIMENSIONS = {
    "overall": _("Overall"),
    "channel": _("Channel"),
    # The messaging app or social network of a chat or social interaction (whatsapp, instagram, ...).
    "network": _("Network"),
    "touchpoint": _("Touchpoint"),
    "stage": _("Journey stage"),
    "journey": _("Journey map"),
    "persona": _("Persona"),
    "survey": _("Survey"),
    "agent": _("Agent"),
    "topic": _("Case topic"),
    "campaign": _("Campaign"),
}

# Filters the pages and the API accept (besides the rep's own `agent` scope).
FILTERS = ("persona", "journey", "channel", "survey")

# The scales, their top/bottom boxes and the small-sample limit come from the one table in feedback/scales.py;
# the score metrics' formulas read it when shown, so a change to the table changes every page.


def _score_formula(template: str, kind: str) -> str:
    return gettext(template).format(s=SCALES[kind])


# A score metric's formula, filled in from the scale table each time it is shown.
_formula = lazy(_score_formula, str)


def _pct(part, whole):
    return 100.0 * part / whole if whole else None


def _mean(total, count):
    return total / count if count else None


# --------------------------------------------------------------------------- value functions


# Each takes the counts (compute.COUNT_FIELDS) and returns the value and the figures shown beside it, named in the
# metric's own words (the API's field names).


def _nps(c):
    return {
        "value": _pct(c["top_box"] - c["bottom_box"], c["n"]),
        "promoters": c["top_box"],
        "passives": c["middle"],
        "detractors": c["bottom_box"],
    }


def _csat(c):
    return {
        "value": _pct(c["top_box"], c["n"]),
        "mean": _mean(c["value_sum"], c["n"]),
        "satisfied": c["top_box"],
        "neutral": c["middle"],
        "dissatisfied": c["bottom_box"],
    }


def _ces(c):
    return {
        "value": _mean(c["value_sum"], c["n"]),
        "easy_pct": _pct(c["top_box"], c["n"]),
        "easy": c["top_box"],
        "neutral": c["middle"],
        "difficult": c["bottom_box"],
    }


def _ratio(c):
    return {
        "value": _pct(c["numerator"], c["denominator"]),
        "numerator": c["numerator"],
        "denominator": c["denominator"],
    }


def _churn(c):
    value = _pct(c["numerator"], c["denominator"])
    return {
        "value": value,
        "retention": None if value is None else 100.0 - value,
        "churned": c["numerator"],
        "active_at_start": c["denominator"],
    }


def _hours(c):
    return {"value": c.get("median"), "median": c.get("median"), "mean": _mean(c["value_sum"], c["n"])}


def _count(c):
    return {"value": c["n"]}


# --------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class Metric:
    name: str
    label: str  # lazy: in the reader's language when shown
    source: str  # key of feedback.metrics.compute.SOURCES
    dimensions: tuple[str, ...]
    formula: str
    unit: str  # "points", "%", "score", "hours", "count"
    derive: object
    better: str | None = "high"  # "high", "low" or None
    # Exact by summing days: False for medians and churn, which are computed from the
    # source rows for any period longer than a day.
    additive: bool = True
    # How long the source rows of a day keep changing: the beat recomputes a day this many days back when its
    # rows changed (feedback/metrics/changes.py).
    settle_days: int = 0
    # Which counts the sample size (`n`) is, for the small-sample warning.
    sample_label: str = "answers"
    survey_kind: str | None = None

    @property
    def unit_label(self) -> str:
        """The unit in words of the reader's language ("points", "%", "hours"…)."""
        return str(UNIT_LABELS.get(self.unit, self.unit))

    @property
    def sample_words(self) -> str:
        """What the sample counts, in the reader's language ("answers", "cases"…)."""
        return str(SAMPLE_LABELS.get(self.sample_label, self.sample_label))

    def counts_to_row(self, counts: dict) -> dict:
        row = {"n": int(counts.get("n") or 0)}
        row.update(self.derive(counts))
        return row


# The figures shown beside a metric's value (the keys of the value functions above) as a report table heads them.
COUNT_LABELS = {
    "promoters": pgettext_lazy("answers counted", "Promoters"),
    "passives": pgettext_lazy("answers counted", "Passives"),
    "detractors": pgettext_lazy("answers counted", "Detractors"),
    "mean": _("Mean"),
    "median": _("Median"),
    "satisfied": pgettext_lazy("answers counted", "Satisfied"),
    "neutral": pgettext_lazy("answers counted", "Neutral"),
    "dissatisfied": pgettext_lazy("answers counted", "Dissatisfied"),
    "easy_pct": _("Easy (%)"),
    "easy": pgettext_lazy("answers counted", "Easy"),
    "difficult": pgettext_lazy("answers counted", "Difficult"),
    "numerator": _("Numerator"),
    "denominator": _("Denominator"),
    "retention": _("Retention (%)"),
    "churned": _("Customers churned"),
    "active_at_start": _("Active at start"),
}

UNIT_LABELS = {"points": _("points"), "%": "%", "score": _("score"), "hours": _("hours"), "count": _("count")}
SAMPLE_LABELS = {
    "answers": _("answers"),
    "invitations": _("invitations"),
    "cases": _("cases"),
    "customers": _("customers"),
    "recipients": _("recipients"),
    "openers": _("openers"),
    "interactions": _("interactions"),
}

RESPONSE_DIMENSIONS = (
    "overall",
    "channel",
    "network",
    "touchpoint",
    "stage",
    "journey",
    "persona",
    "survey",
    "agent",
    "topic",
    "campaign",
)
INVITATION_DIMENSIONS = ("overall", "channel", "network", "touchpoint", "journey", "persona", "survey")
CASE_DIMENSIONS = ("overall", "channel", "touchpoint", "persona", "agent", "topic")
INTERACTION_DIMENSIONS = ("overall", "channel", "network", "touchpoint", "journey", "persona", "agent", "campaign")
CAMPAIGN_DIMENSIONS = ("overall", "campaign", "persona")

METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric(
            "nps",
            "NPS",
            "responses",
            RESPONSE_DIMENSIONS,
            _formula(
                gettext_noop(
                    # xgettext:no-python-format
                    "% of answers {s.top_box_range} (promoters) − % of answers {s.bottom_box_range} (detractors), "
                    "among answered primary NPS questions"
                ),
                "nps",
            ),
            "points",
            _nps,
            survey_kind="nps",
        ),
        Metric(
            "csat",
            "CSAT",
            "responses",
            RESPONSE_DIMENSIONS,
            _formula(
                gettext_noop(
                    # xgettext:no-python-format
                    "% of answers {s.top_box_range} on the {s.scale_range} scale, among answered primary CSAT "
                    "questions (mean beside it)"
                ),
                "csat",
            ),
            "%",
            _csat,
            survey_kind="csat",
        ),
        Metric(
            "ces",
            "CES",
            "responses",
            RESPONSE_DIMENSIONS,
            _formula(
                gettext_noop(
                    # xgettext:no-python-format
                    "Mean answer on the {s.scale_range} scale ({s.high} = very easy); "
                    "% of answers {s.top_box_range} beside it"
                ),
                "ces",
            ),
            "score",
            _ces,
            survey_kind="ces",
        ),
        Metric(
            "response_rate",
            _("Response rate"),
            "invitations",
            INVITATION_DIMENSIONS,
            _("Invitations sent in the period that were answered ÷ invitations sent in the period"),
            "%",
            _ratio,
            settle_days=30,
            sample_label="invitations",
        ),
        Metric(
            "ttr_hours",
            _("Time to resolution"),
            "cases_resolved",
            CASE_DIMENSIONS,
            _("Median hours from opened to (last) resolved, for cases resolved in the period (mean beside it)"),
            "hours",
            _hours,
            better="low",
            additive=False,
            settle_days=14,
            sample_label="cases",
        ),
        Metric(
            "first_response_hours",
            _("First response time"),
            "cases_first_response",
            CASE_DIMENSIONS,
            _("Median hours from opened to first response, for cases first answered in the period (mean beside it)"),
            "hours",
            _hours,
            better="low",
            additive=False,
            settle_days=14,
            sample_label="cases",
        ),
        Metric(
            "sla_breach_rate",
            _("SLA breach rate"),
            "cases_due",
            CASE_DIMENSIONS,
            _("Cases due (resolution due time) in the period that breached an SLA ÷ cases due in the period"),
            "%",
            _ratio,
            better="low",
            settle_days=14,
            sample_label="cases",
        ),
        Metric(
            "case_volume",
            _("Case volume"),
            "cases_opened",
            CASE_DIMENSIONS,
            _("Cases opened in the period"),
            "count",
            _count,
            better=None,
            sample_label="cases",
        ),
        Metric(
            "churn_rate",
            _("Churn rate"),
            "churn",
            ("overall", "persona"),
            _(
                "Customers active (active, at risk, advocate) at the period's start who entered churned during it "
                "÷ customers active at its start; retention = 100 − churn"
            ),
            "%",
            _churn,
            better="low",
            additive=False,
            sample_label="customers",
        ),
        Metric(
            "open_rate",
            _("Open rate"),
            "campaign",
            CAMPAIGN_DIMENSIONS,
            _("Per campaign: unique customers who opened ÷ unique customers sent to (by the day of the first send)"),
            "%",
            _ratio,
            settle_days=30,
            sample_label="recipients",
        ),
        Metric(
            "ctr",
            _("Click-through rate"),
            "campaign",
            CAMPAIGN_DIMENSIONS,
            _("Per campaign: unique customers who clicked ÷ unique customers sent to"),
            "%",
            _ratio,
            settle_days=30,
            sample_label="recipients",
        ),
        Metric(
            "click_to_open",
            _("Click-to-open rate"),
            "campaign",
            CAMPAIGN_DIMENSIONS,
            _("Per campaign: unique customers who clicked ÷ unique customers who opened"),
            "%",
            _ratio,
            settle_days=30,
            sample_label="openers",
        ),
        Metric(
            "conversion_rate",
            _("Conversion rate"),
            "campaign",
            CAMPAIGN_DIMENSIONS,
            _(
                "Per campaign: customers with a purchase within N days (CAMPAIGN_CONVERSION_DAYS) of a click "
                "÷ unique customers sent to"
            ),
            "%",
            _ratio,
            settle_days=30,
            sample_label="recipients",
        ),
        Metric(
            "interaction_volume",
            _("Interaction volume"),
            "interactions",
            INTERACTION_DIMENSIONS,
            _("Interactions in the period"),
            "count",
            _count,
            better=None,
            sample_label="interactions",
        ),
    )
}

CAMPAIGN_METRICS = ("open_rate", "ctr", "click_to_open", "conversion_rate")
SCORE_METRICS = ("nps", "csat", "ces")
# What marketers may read: campaign figures, and journey figures (scores by journey, stage or touchpoint).
MARKETING_METRICS = CAMPAIGN_METRICS + ("interaction_volume",)
JOURNEY_DIMENSIONS = ("journey", "stage", "touchpoint")
# Metrics broken down by the furthest stage a customer reached on one journey map (feedback/journey_analytics):
# `dimension=stage` only with a `journey` filter (without one, `stage` means a response's stage name, which these
# metrics' rows do not have: still a 400).
JOURNEY_STAGE_METRICS = ("churn_rate",)
# What reps may read about their own cases and answers (filtered to agent = themselves).
OWN_METRICS = ("nps", "csat", "ces", "ttr_hours", "first_response_hours", "sla_breach_rate", "case_volume")


def metric_allows_filter(metric: Metric, name: str) -> bool:
    """A filter applies where the same-named dimension does (agent: the rep's own scope)."""
    return name in metric.dimensions


def metric_allows_filters(metric: Metric, filters) -> bool:
    """Whether every filter named applies to the metric; `agent`, the role scope of own figures, is not a page
    filter and is left out (only metrics read by agent are scoped so)."""
    return all(metric_allows_filter(metric, name) for name in filters if name != "agent")


def metric_title(metric: Metric):
    """A metric's name and unit in the reader's language, "NPS (points)"; lazy, so a header written later (an
    export's, in LANGUAGE_CODE) takes the language of that moment: the unit too, read from UNIT_LABELS lazily."""
    return format_lazy("{} ({})", metric.label, UNIT_LABELS.get(metric.unit, metric.unit))


def fixed(value, places: int) -> str:
    """`value` rounded to `places` decimals as Python's format rounds it, written in the reader's locale."""
    return number_format(Decimal(f"{value:.{places}f}"), places)


def format_value(metric: Metric, value) -> str:
    """A figure as the pages and the digest show it, in the reader's locale (decimal comma in pt-BR, es, pl, el):
    counts grouped ("1,234"), rates with one decimal and "%", NPS points signed, hours with one decimal and "h",
    mean scores with two decimals; "—" for no value."""
    if value is None:
        return "—"
    if metric.unit == "count":
        return number_format(int(value), force_grouping=True)
    if metric.unit == "%":
        return f"{fixed(value, 1)}%"
    if metric.unit == "points":
        return ("+" if value > 0 else "") + fixed(value, 1) if value else fixed(0.0, 1)
    if metric.unit == "hours":
        return f"{fixed(value, 1)} h"
    return fixed(value, 2)
