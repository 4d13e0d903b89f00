"""A report figure and its drill-down agree even after new rows arrive: the figure's link names the moment it was
computed (`as_of`), and the drill-down lists the rows as of then, one metric family after another (answers,
invitations, cases, churn, interactions, campaigns), with "Show live rows" for what came since."""

import html
import re
from datetime import date, timedelta

import pytest
from django.urls import reverse

from customers.choices import InteractionType, LifecycleStage
from customers.tests.factories import CustomerFactory, InteractionFactory
from feedback.metrics import rollup
from feedback.metrics.definitions import METRICS
from feedback.tests.metrics_factories import (
    ResponseFactory,
    SentInvitationFactory,
    at,
    campaign_event,
    case,
    lifecycle,
    survey_of_kind,
)

pytestmark = pytest.mark.django_db

JAN = {"start": "2026-01-01", "end": "2026-01-31"}


# --------------------------------------------------------------------------- each family's rows


def answers(kind):
    def add(count):
        for i in range(count):
            ResponseFactory(
                kind=kind, score=[1, 3, 5][i % 3] if kind == "csat" else 2 + i % 6, submitted_at=at(2026, 1, 8)
            )

    return add


def invitations(count):
    survey = survey_of_kind("nps")
    for i in range(count):
        invitation = SentInvitationFactory(survey=survey, scheduled_for=at(2026, 1, 6))
        if i % 2:
            ResponseFactory(kind="nps", score=9, survey=survey, customer=invitation.customer, invitation=invitation)


def cases(count):
    for i in range(count):
        opened = at(2026, 1, 10, 8)
        case(
            opened=opened,
            resolved=opened + timedelta(hours=5 + i),
            first_response=opened + timedelta(hours=1),
            due=opened + timedelta(hours=4),
        )


def churned_customers(count):
    for i in range(count):
        customer = CustomerFactory(lifecycle_stage=LifecycleStage.ACTIVE)
        lifecycle(customer, LifecycleStage.ACTIVE, at(2025, 12, 1))
        if i % 2:
            lifecycle(customer, LifecycleStage.CHURNED, at(2026, 1, 15), from_stage=LifecycleStage.ACTIVE)


def interactions(count):
    for _ in range(count):
        InteractionFactory(occurred_at=at(2026, 1, 12))


def campaign_recipients(count):
    for i in range(count):
        customer = CustomerFactory()
        campaign_event(customer, InteractionType.EMAIL_SENT, at(2026, 1, 5))
        if i % 2:
            campaign_event(customer, InteractionType.EMAIL_OPEN, at(2026, 1, 5, 13))
            campaign_event(customer, InteractionType.EMAIL_CLICK, at(2026, 1, 5, 14))


def opens_since(existing_recipients_only):
    """Opens of recipients counted before: click-to-open counts openers, so its n grows with them."""

    def add(_count):
        from customers.models import Interaction

        for send in Interaction.objects.filter(type=InteractionType.EMAIL_SENT):
            if not Interaction.objects.filter(customer=send.customer, type=InteractionType.EMAIL_OPEN).exists():
                campaign_event(send.customer, InteractionType.EMAIL_OPEN, at(2026, 1, 6))

    return add


FAMILIES = {
    "nps": (answers("nps"), answers("nps")),
    "csat": (answers("csat"), answers("csat")),
    "ces": (answers("ces"), answers("ces")),
    "response_rate": (invitations, invitations),
    "ttr_hours": (cases, cases),
    "first_response_hours": (cases, cases),
    "sla_breach_rate": (cases, cases),
    "case_volume": (cases, cases),
    "churn_rate": (churned_customers, churned_customers),
    "interaction_volume": (interactions, interactions),
    "open_rate": (campaign_recipients, campaign_recipients),
    "ctr": (campaign_recipients, campaign_recipients),
    "click_to_open": (campaign_recipients, opens_since(True)),
    "conversion_rate": (campaign_recipients, campaign_recipients),
}


def test_every_metric_has_a_family_here():
    assert set(FAMILIES) == set(METRICS)


# --------------------------------------------------------------------------- reading the pages


def breakdown_row(page: str) -> tuple[int, str]:
    """The n and the drill-down link of the breakdown's one row."""
    rows = [tr for tr in page.split("<tr")[1:] if 'data-testid="drill-link"' in tr]
    assert len(rows) == 1, page
    cells = re.findall(r"<td[^>]*>(.*?)</td>", rows[0], re.S)
    link = re.search(r'<a href="([^"]+)" class="small" data-testid="drill-link"', rows[0]).group(1)
    return int(cells[2].strip().replace(",", "")), html.unescape(link)


def drill_counts(page: str) -> tuple[int, int]:
    """(the figure's n, the rows shown) on a drill-down page."""
    n = int(re.search(r'data-testid="drill-n">(\d+)<', page).group(1))
    total = int(re.search(r'data-testid="drill-total">(\d+)<', page).group(1))
    return n, total


@pytest.mark.parametrize("metric", sorted(FAMILIES))
def test_the_drill_down_lists_as_many_rows_as_the_figure_even_after_new_rows(client, manager_user, metric):
    before, since = FAMILIES[metric]
    before(6)
    rollup.metric_rollups_recompute(start=date(2026, 1, 1), end=date(2026, 1, 31))
    client.force_login(manager_user)
    page = client.get(reverse("feedback:report_breakdown"), {**JAN, "metric": metric, "dimension": "persona"})
    n, link = breakdown_row(page.content.decode())
    assert n > 0 and "as_of=" in link

    since(4)  # recorded after the figure was computed
    drill = client.get(link).content.decode()

    assert drill_counts(drill) == (n, n)
    assert 'data-testid="drill-as-of"' in drill
    live_link = html.unescape(re.search(r'<a href="([^"]+)" data-testid="drill-live-link"', drill).group(1))
    assert "as_of" not in live_link
    live_n, live_total = drill_counts(client.get(reverse("feedback:report_drilldown") + live_link).content.decode())
    assert live_n == live_total > n


def test_an_overview_tile_opens_its_rows_as_of_its_rollups(client, manager_user):
    """The CSAT tile reads the rollups (13 answers); three answers since are not among its rows."""
    for score in [5] * 10 + [1] * 3:
        ResponseFactory(kind="csat", score=score, submitted_at=at(2026, 1, 8))
    rollup.metric_rollups_recompute(start=date(2026, 1, 1), end=date(2026, 1, 31))
    for _ in range(3):
        ResponseFactory(kind="csat", score=5, submitted_at=at(2026, 1, 9))
    client.force_login(manager_user)

    page = client.get(reverse("feedback:report_overview"), {**JAN, "granularity": "week"}).content.decode()
    tile = page.split('data-testid="tile-csat"', 1)[1]
    link = html.unescape(re.search(r'href="([^"]+)" data-testid="tile-value"', tile).group(1))
    drill = client.get(link).content.decode()

    assert 'data-testid="tile-n">13<' in tile
    assert drill_counts(drill) == (13, 13)
    assert 'data-testid="drill-figure">76.9<' in drill


def test_a_bucket_of_an_as_of_drill_down_keeps_the_moment(client, manager_user):
    """Detractors as of the figure: an answer since is in neither the figure nor its bucket."""
    answers("nps")(6)
    rollup.metric_rollups_recompute(start=date(2026, 1, 1), end=date(2026, 1, 31))
    client.force_login(manager_user)
    _n, link = breakdown_row(
        client.get(
            reverse("feedback:report_breakdown"), {**JAN, "metric": "nps", "dimension": "persona"}
        ).content.decode()
    )
    ResponseFactory(kind="nps", score=0, submitted_at=at(2026, 1, 8))

    drill = client.get(link).content.decode()
    bucket = html.unescape(re.search(r'href="([^"]+)" data-testid="bucket-detractors"', drill).group(1))
    detractors = client.get(reverse("feedback:report_drilldown") + bucket).content.decode()

    assert "as_of=" in bucket
    assert 'data-testid="drill-total">5<' in detractors  # scores 2 to 6 of the six; not the 0 since


@pytest.mark.parametrize("as_of", ["yesterday", "2026-01-31T10:00:00", "99999-01-01T00:00:00Z"])
def test_an_as_of_that_is_no_moment_is_a_400_naming_it(client, manager_user, as_of):
    client.force_login(manager_user)
    response = client.get(reverse("feedback:report_drilldown"), {"metric": "nps", **JAN, "as_of": as_of})
    assert response.status_code == 400
    assert "<strong>as_of</strong>" in response.content.decode()


def test_worst_touchpoints_link_time_to_resolution_as_of_the_page_and_a_marketer_still_reads_the_page(
    client, manager_user, marketer_user
):
    """Time to resolution by touchpoint is read live (a median): its link is as of the page's moment. A marketer,
    who may not open those rows, still reads the page."""
    from journeys.choices import MapStatus
    from journeys.tests.factories import build_map

    journey_map = build_map(stages=1, touchpoints_per_stage=1, status=MapStatus.PUBLISHED, key_prefix="desk")
    touchpoint = journey_map.touchpoints.get()
    touchpoint.target_ttr_hours = 2
    touchpoint.save()

    def slow_case():
        slow = case(opened=at(2026, 1, 10, 8), resolved=at(2026, 1, 10, 18))
        InteractionFactory(
            customer=slow.customer, case=slow, touchpoint_key=touchpoint.key, occurred_at=at(2026, 1, 10)
        )

    for _ in range(3):
        slow_case()
    rollup.metric_rollups_recompute(start=date(2026, 1, 1), end=date(2026, 1, 31))
    client.force_login(manager_user)
    page = client.get(reverse("feedback:report_touchpoints"), JAN).content.decode()
    link = html.unescape(re.search(r'<a href="([^"]+)" class="small" data-testid="drill-link"', page).group(1))
    slow_case()  # resolved since the page was read

    assert "metric=ttr_hours" in link and "as_of=" in link
    assert drill_counts(client.get(link).content.decode()) == (3, 3)
    client.force_login(marketer_user)
    assert client.get(reverse("feedback:report_touchpoints"), JAN).status_code == 200
