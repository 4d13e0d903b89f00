"""The customer page's CX key figures (registered in settings.CUSTOMER_PAGE_PANELS; see customers/panels.py) and
the health column of the customer list (settings.CUSTOMER_LIST_COLUMNS)."""

import django_tables2 as tables
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext as _

from . import selectors
from .choices import SurveyKind
from .scales import SCALES, is_detractor


def customer_scores_panel(customer, request):
    """Latest NPS, CSAT and CES with their dates; None (nothing shown) without answers or the right to see them."""
    if request is not None and not request.user.has_perm("feedback.view_response"):
        return None
    latest = selectors.latest_scores_for_customer(customer)
    if not latest:
        return None
    tiles = []
    for kind in (SurveyKind.NPS, SurveyKind.CSAT, SurveyKind.CES):
        response = latest.get(kind)
        tiles.append(
            {
                "kind": kind,
                "label": kind.upper(),
                "response": response,
                "scale": SCALES[kind].scale_range,
                "detractor": response is not None and is_detractor(kind, response.score),
            }
        )
    return {"title": _("Customer experience"), "template": "feedback/panels/scores.html", "context": {"tiles": tiles}}


def case_csat_badges(cases, request) -> dict[int, str]:
    """{case id: badge HTML} with the latest CSAT answered about each case ("CSAT 4/5", in red for a detractor);
    nothing without the right to read responses. One query."""
    if request is not None and not request.user.has_perm("feedback.view_response"):
        return {}
    scale = SCALES[SurveyKind.CSAT]
    latest = {}
    for response in selectors.case_csat_responses(case_ids=[case.pk for case in cases]):
        latest.setdefault(response.case_id, response)
    badges = {}
    for case_id, response in latest.items():
        css = "text-bg-danger" if is_detractor(SurveyKind.CSAT, response.score) else "text-bg-success"
        badges[case_id] = format_html(
            '<span class="badge {}" data-testid="case-csat" title="{}">CSAT {}/{}</span>',
            css,
            date_format(timezone.localtime(response.submitted_at), "SHORT_DATE_FORMAT"),
            response.score,
            scale.high,
        )
    return badges


def customer_health_panel(customer, request):
    """The health score panel: a placeholder that loads /customers/<id>/health/ by htmx, so the customer page
    spends no query on it. None (not shown) without the right to read responses (the score is made of them)."""
    if request is not None and not request.user.has_perm("feedback.view_response"):
        return None
    url = reverse("feedback:customer_health", args=[customer.pk])
    html = format_html(
        '<div data-testid="health-panel" hx-get="{}" hx-trigger="load" hx-swap="outerHTML">'
        '<span class="text-body-secondary small">{}</span></div>',
        url,
        _("Loading…"),
    )
    return {"title": _("Health"), "html": html}


def my_work_attention_panel(request):
    """My work's "Needs attention" section: a placeholder loading the queue (the rep's customers first) by htmx."""
    if not (request.user.has_perm("customers.view_customer") and request.user.has_perm("feedback.view_response")):
        return None
    url = reverse("feedback:attention")
    html = format_html(
        '<div data-testid="attention-panel" hx-get="{}?embed=1" hx-trigger="load" hx-swap="outerHTML">'
        '<div class="card-body small text-body-secondary">{}</div></div>',
        url,
        _("Loading…"),
    )
    return {"title": format_html('<a href="{}">{}</a>', url, _("Customers who need attention")), "html": html}


# --------------------------------------------------------------------------- the customer list


class HealthColumn(tables.Column):
    """The health score (0–100) of a customer list row, from the `health_score` annotation the customer API
    extension adds to the list's queryset (feedback.api.customer_health: a subquery, no query per row).

    Sorted ascending, the customers most at risk come first; descending, the healthiest. Either way customers
    not computed yet come last, and equal scores keep the customer id's order (as the API's `?ordering=health`),
    so every row has one place and the pages neither skip nor repeat one."""

    def __init__(self, **kwargs):
        super().__init__(
            _("Health"),
            accessor="health_score",
            orderable=True,
            default="—",
            attrs={"th": {"class": "text-end", "data-testid": "health-header"}, "td": {"class": "text-end"}},
            **kwargs,
        )

    def order(self, queryset, is_descending):
        score = F("health_score")
        if is_descending:
            return queryset.order_by(score.desc(nulls_last=True), "pk"), True
        return queryset.order_by(score.asc(nulls_last=True), "pk"), True

    def render(self, value):
        tone = "text-bg-danger" if value < 40 else "text-bg-warning" if value < 70 else "text-bg-success"
        return format_html('<span class="badge {}" data-testid="health-score">{}</span>', tone, value)

    def value(self, value):
        return value


def customer_list_health_column(request):
    """[("health", HealthColumn)] for users who may read the score's answers (as the health panel); [] otherwise."""
    if request is not None and not request.user.has_perm("feedback.view_response"):
        return []
    return [("health", HealthColumn())]
