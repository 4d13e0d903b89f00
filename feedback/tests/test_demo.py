"""The feedback demo over the real journeys and customers demos: a year of invitations and responses."""

import io
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection
from django.db.models import Avg, Count, Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from customers.choices import CaseOrigin, CaseStatus, InteractionType
from customers.demo import load_demo as load_customers_demo
from customers.models import Case, Customer, Identity, Interaction, LifecycleChange, MergeSuggestion, Note, Tag
from cxcrm.demo import demo_users_create
from cxcrm.tests.committed import committed_rows_remove
from feedback.choices import InvitationStatus, Sentiment
from feedback.demo import load_demo
from feedback.journey_analytics.models import JourneyAnalyticsState
from feedback.models import FeedbackSettings, Invitation, MetricRollup, MetricRollupWatermark, Response, Survey
from feedback.scales import SCALES
from journeys.demo import load_demo as load_journeys_demo
from journeys.models import JourneyMap, Persona

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The three demos at scale 1, loaded once for the module (read-only in these tests)."""
    with django_db_blocker.unblock():
        demo_users_create()
        load_journeys_demo(seed=42, scale=1)
        load_customers_demo(seed=42, scale=1)
        out = io.StringIO()
        mail.outbox = []
        with CaptureQueriesContext(connection) as queries:
            counts = load_demo(seed=42, scale=1, stdout=out)
        again = load_demo(seed=42, scale=1, stdout=io.StringIO())
        mails = list(mail.outbox)
        yield {"counts": counts, "again": again, "out": out.getvalue(), "queries": len(queries), "mail": mails}
        # Committed outside the tests' transactions: remove it all so later tests start clean.
        committed_rows_remove(
            MetricRollup,
            JourneyAnalyticsState,
            Response,
            Invitation,
            Survey,
            FeedbackSettings,
            MergeSuggestion,
            Note,
            Interaction,
            Case,
            LifecycleChange,
            Identity,
            Customer,
            Tag,
            JourneyMap,
            Persona,
            get_user_model(),
            # Last: deleting users stamps the beat's watermark ("history rewritten"), which a later beat test reads.
            MetricRollupWatermark,
        )


def test_loader_runs_after_the_customers_demo():
    loaders = settings.DEMO_LOADERS
    assert loaders.index("feedback.demo.load_demo") > loaders.index("customers.demo.load_demo")


def test_demo_loads_in_bulk_once_and_sends_nothing(demo):
    # Bulk inserts: a few hundred queries for thousands of invitations, not one a row (timed in the benchmarks).
    assert demo["queries"] < 300
    assert demo["again"] is None
    assert demo["mail"] == []
    assert "feedback:" in demo["out"] and "responses" in demo["out"]
    counts = demo["counts"]
    assert counts["responses"] == Response.objects.count() >= 150
    assert set(Survey.objects.values_list("kind", flat=True)) == {"nps", "csat", "ces"}
    assert all(s.rules.exists() and s.texts.count() == 5 for s in Survey.objects.all())


def test_a_year_of_history_with_backdated_stamps(demo):
    now = timezone.now()
    oldest = Response.objects.order_by("submitted_at").first().submitted_at
    assert now - timedelta(days=366) <= oldest < now - timedelta(days=250)
    assert not Response.objects.filter(submitted_at__gt=now).exists()
    assert not Invitation.objects.filter(sent_at__gt=now).exists()
    statuses = set(Invitation.objects.values_list("status", flat=True))
    assert {"responded", "expired", "suppressed"} <= statuses
    reasons = set(Invitation.objects.exclude(suppression_reason="").values_list("suppression_reason", flat=True))
    assert {"fatigue", "sampled_out"} <= reasons
    for response in Response.objects.select_related("invitation")[:50]:
        invitation = response.invitation
        assert invitation.status == InvitationStatus.RESPONDED
        assert invitation.sent_at <= invitation.opened_at <= response.submitted_at == invitation.responded_at


def test_response_rates_and_scores_differ_by_touchpoint_with_phone_clearly_worse(demo):
    by_touchpoint = {
        row["touchpoint_key"]: row
        for row in Response.objects.filter(kind="csat")
        .values("touchpoint_key")
        .annotate(n=Count("id"), mean=Avg("score"))
    }
    phone = by_touchpoint.pop("support-phone")
    assert phone["n"] >= 5
    # The lowest of every touchpoint, and more than a point under the others' pooled mean. (Against each
    # other touchpoint alone a point would be a coin toss: their samples are a handful of answers.)
    assert phone["mean"] < min(row["mean"] for row in by_touchpoint.values())
    others_n = sum(row["n"] for row in by_touchpoint.values())
    pooled = sum(row["mean"] * row["n"] for row in by_touchpoint.values()) / others_n
    assert others_n >= 10 and phone["mean"] < pooled - 1
    sent = Invitation.objects.exclude(status=InvitationStatus.SUPPRESSED)
    rate = {
        row["survey__kind"]: row["answered"] / row["n"]
        for row in sent.values("survey__kind").annotate(
            n=Count("id"), answered=Count("id", filter=Q(status=InvitationStatus.RESPONDED))
        )
    }
    assert all(0.1 < value < 0.6 for value in rate.values())


def test_comments_have_sentiment_and_context_is_denormalised(demo):
    assert Response.objects.filter(sentiment=Sentiment.POSITIVE).exists()
    assert Response.objects.filter(sentiment=Sentiment.NEGATIVE).exists()
    assert not Response.objects.exclude(language="en").exclude(sentiment=Sentiment.UNKNOWN).exists()
    assert Response.objects.exclude(stage_name="").exists()
    assert Response.objects.filter(persona__isnull=False).exists()
    assert not Response.objects.filter(customer_id__isnull=True).exists()


def test_detractors_have_follow_ups_some_open_some_closed(demo):
    detractors = Response.objects.filter(
        Q(kind="nps", score__lte=SCALES["nps"].bottom_box_to)
        | Q(kind="csat", score__lte=SCALES["csat"].bottom_box_to)
        | Q(kind="ces", score__lte=SCALES["ces"].bottom_box_to)
    )
    assert detractors.count() == detractors.filter(followup_case__isnull=False).count() > 10
    assert not Response.objects.exclude(pk__in=detractors).filter(followup_case__isnull=False).exists()
    cases = Case.objects.filter(origin=CaseOrigin.SURVEY)
    assert cases.filter(status=CaseStatus.CLOSED).exclude(resolution_note="").exists()
    assert cases.exclude(status__in=[CaseStatus.CLOSED, CaseStatus.RESOLVED]).exists()
    assert not cases.filter(assignee__isnull=True).exists()
    assert not cases.filter(resolution_due_at__isnull=True).exists()


def test_answers_are_on_the_timelines(demo):
    entries = Interaction.objects.filter(type=InteractionType.SURVEY_RESPONSE)
    assert entries.count() == Response.objects.count()
    assert not entries.filter(live=True).exists()
