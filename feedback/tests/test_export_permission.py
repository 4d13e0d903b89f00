"""Exporting customer-level rows (a drill-down's CSV or Excel) is its own permission, export_customer_rows:
managers hold it, marketers read the rows of their figures on the page but export them only when granted it."""

from datetime import date

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from feedback.metrics import rollup
from feedback.tests.metrics_factories import ResponseFactory, at

pytestmark = pytest.mark.django_db

# NPS by journey: a journey figure, which marketers read (the journey-analytics drill-downs).
DRILL = "?metric=nps&start=2026-01-01&end=2026-01-31&dimension=journey&value="


@pytest.fixture
def answers():
    from journeys.tests.factories import JourneyMapFactory

    journey = JourneyMapFactory(name="Onboarding")
    for score in (10, 2):
        ResponseFactory(kind="nps", score=score, journey_map=journey, submitted_at=at(2026, 1, 5))
    rollup.metric_rollups_recompute(start=date(2026, 1, 1), end=date(2026, 1, 31))
    return reverse("feedback:report_drilldown") + DRILL + str(journey.pk)


@pytest.mark.parametrize("export", ["csv", "xlsx"])
def test_a_marketer_reads_the_rows_but_cannot_export_them(client, marketer_user, answers, export):
    client.force_login(marketer_user)
    page = client.get(answers)
    assert page.status_code == 200
    assert 'data-testid="drill-total">2<' in page.content.decode()
    assert 'data-testid="csv-link"' not in page.content.decode()
    assert client.get(answers + f"&format={export}").status_code == 403


def test_a_manager_exports_the_rows(client, manager_user, answers):
    client.force_login(manager_user)
    assert 'data-testid="csv-link"' in client.get(answers).content.decode()
    exported = client.get(answers + "&format=csv")
    assert exported.status_code == 200
    assert len(b"".join(exported.streaming_content if exported.streaming else [exported.content]).splitlines()) == 3


def test_a_marketer_granted_the_permission_in_the_admin_exports(client, marketer_user, answers, superuser):
    admin = client
    admin.force_login(superuser)
    permission = Permission.objects.get(codename="export_customer_rows")
    change = reverse("admin:auth_user_change", args=[marketer_user.pk])
    form = admin.get(change).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k not in ("password", "last_login")}
    data.update(
        groups=[g.pk for g in marketer_user.groups.all()],
        user_permissions=[permission.pk],
        date_joined_0="2026-01-01",
        date_joined_1="00:00:00",
    )
    assert admin.post(change, data).status_code == 302

    marketer_user.refresh_from_db()
    client.force_login(marketer_user)
    assert client.get(answers + "&format=csv").status_code == 200


def test_a_rep_cannot_export_even_their_own_rows(client, rep_user):
    client.force_login(rep_user)
    url = reverse("feedback:report_drilldown") + "?metric=nps&start=2026-01-01&end=2026-01-31&mine=1&format=csv"
    assert client.get(url).status_code == 403
