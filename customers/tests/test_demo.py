import io
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count, F, Max, Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from customers.choices import CaseStatus, IdentityKind, InteractionType, LifecycleStage, SuggestionStatus
from customers.demo import _Builder, load_demo
from customers.models import (
    Case,
    CaseChange,
    Customer,
    Identity,
    Interaction,
    LifecycleChange,
    MergeSuggestion,
    Note,
    Tag,
)
from customers.selectors import case_list_sla, customer_search
from cxcrm.choices import Channel
from cxcrm.demo import demo_users_create
from cxcrm.tests.committed import committed_rows_remove
from journeys.demo import DEMO_TOUCHPOINT_KEYS
from journeys.demo import load_demo as load_journeys_demo
from journeys.models import JourneyMap, Persona

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The scale-1 demo, loaded once for the module (it is read-only in these tests)."""
    with django_db_blocker.unblock():
        demo_users_create()
        load_journeys_demo(seed=42, scale=1)
        out = io.StringIO()
        with CaptureQueriesContext(connection) as queries:
            counts = load_demo(seed=42, scale=1, stdout=out)
        yield {"counts": counts, "out": out.getvalue(), "queries": len(queries)}
        # Committed outside the tests' transactions: remove it all so later tests start clean.
        committed_rows_remove(
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
        )


def test_loader_is_registered_right_after_the_journeys_demo():
    loaders = settings.DEMO_LOADERS
    assert loaders.index("customers.demo.load_demo") == loaders.index("journeys.demo.load_demo") + 1


def test_demo_loads_a_year_of_history_with_bulk_inserts(demo):
    counts = demo["counts"]
    assert 300 <= counts["customers"] < 320
    assert 25_000 <= Interaction.objects.count() <= 40_000
    # Bulk inserts: a few hundred queries for ~30,000 rows, not one a row (benchmarks time it: docs/benchmarks.md).
    assert demo["queries"] < 800
    assert "customers:" in demo["out"] and "interactions" in demo["out"]
    now = timezone.now()
    oldest, newest = (
        Interaction.objects.order_by("occurred_at").first().occurred_at,
        Interaction.objects.order_by("-occurred_at").first().occurred_at,
    )
    assert now - timedelta(days=366) <= oldest < now - timedelta(days=300)
    assert newest <= now
    # History: nothing live (no surveys), and customers' contact dates follow their interactions.
    assert not Interaction.objects.filter(live=True).exists()
    assert not Customer.objects.filter(last_contact_at__isnull=True, interactions__isnull=False).exists()


def test_demo_never_shows_a_future_last_contact(demo):
    now = timezone.now()
    assert not Interaction.objects.filter(occurred_at__gt=now).exists()
    assert not Customer.objects.filter(Q(last_contact_at__gt=now) | Q(first_contact_at__gt=now)).exists()
    # Each customer's last contact is its latest interaction as stored.
    latest = dict(Interaction.objects.values("customer").annotate(m=Max("occurred_at")).values_list("customer", "m"))
    stored = dict(Customer.objects.filter(pk__in=latest).values_list("pk", "last_contact_at"))
    assert stored == latest
    assert set(Customer.objects.values_list("search_name", flat=True)) - {""}


def test_demo_covers_every_channel_and_the_journeys_touchpoints(demo):
    channels = set(Interaction.objects.values_list("channel", flat=True).distinct())
    assert channels == set(Channel.values)
    keys = set(Interaction.objects.exclude(touchpoint=None).values_list("touchpoint__key", flat=True).distinct())
    assert keys == set(DEMO_TOUCHPOINT_KEYS)
    assert Customer.objects.filter(persona__isnull=False).count() > 200
    kinds = set(Identity.objects.values_list("kind", flat=True).distinct())
    assert kinds == set(IdentityKind.values)


def test_demo_has_email_campaigns_with_opens_clicks_and_purchases(demo):
    by_type = dict(
        Interaction.objects.exclude(campaign="").values_list("type").annotate(n=Count("id")).values_list("type", "n")
    )
    assert (
        by_type[InteractionType.EMAIL_SENT] > by_type[InteractionType.EMAIL_OPEN] > by_type[InteractionType.EMAIL_CLICK]
    )
    assert by_type[InteractionType.PURCHASE] > 0
    assert Interaction.objects.exclude(campaign="").values("campaign").distinct().count() >= 12


def test_demo_cases_have_realistic_sla_outcomes(demo):
    cases = case_list_sla()
    assert 150 <= cases.count() <= 500
    finished = cases.filter(status__in=[CaseStatus.RESOLVED, CaseStatus.CLOSED])
    assert finished.count() > cases.count() / 2
    assert not finished.filter(Q(resolved_at__isnull=True) | Q(first_response_at__isnull=True)).exists()
    breached = cases.filter(is_breached=True).count()
    assert 0 < breached < cases.count() / 3
    assert cases.filter(status=CaseStatus.PENDING, pending_since__isnull=False).exists()
    # Each demo rep has cases about to breach and assigned work.
    for username in ("rep", "rep2"):
        mine = cases.filter(assignee__username=username)
        assert mine.filter(sla_state="due_soon").count() >= 2
        assert mine.filter(status__in=[CaseStatus.NEW, CaseStatus.OPEN]).count() >= 3
    # Cases carry their conversation, first response before resolution.
    assert Interaction.objects.filter(case__isnull=False).count() > cases.count() * 2
    assert not finished.filter(resolved_at__lt=F("first_response_at")).exists()
    # Finished cases have their history, as the case services write it: resolved by the assignee, with the note.
    resolved = finished.filter(assignee__isnull=False).first()
    change = CaseChange.objects.get(case=resolved, to_value=CaseStatus.RESOLVED)
    assert (change.from_label, change.to_label, change.reason) == ("Open", "Resolved", resolved.resolution_note)
    assert (change.changed_by_id, change.changed_at) == (resolved.assignee_id, resolved.resolved_at)
    assert not CaseChange.objects.filter(case__resolved_at__isnull=True).exists()


def test_demo_has_notes_owners_lifecycle_and_churn(demo):
    assert Note.objects.count() > 50
    assert Customer.objects.filter(owner__username__in=["rep", "rep2"]).count() > 30
    year_ago = timezone.now() - timedelta(days=365)
    churned = LifecycleChange.objects.filter(to_stage=LifecycleStage.CHURNED, changed_at__gte=year_ago)
    assert churned.count() >= 10
    assert Customer.objects.filter(lifecycle_stage=LifecycleStage.CHURNED).count() == churned.count()
    assert Customer.objects.filter(lifecycle_stage=LifecycleStage.ACTIVE).count() > 50


def test_demo_merge_suggestions_pair_one_person_met_on_two_channels(demo):
    suggestions = MergeSuggestion.objects.filter(status=SuggestionStatus.OPEN).select_related("customer", "other")
    assert 3 <= suggestions.count() <= 10
    for suggestion in suggestions:
        assert suggestion.customer.full_name == suggestion.other.full_name
        assert suggestion.customer.identities.filter(kind=IdentityKind.PHONE).exists()
        assert suggestion.other.identities.filter(kind=IdentityKind.EMAIL).exists()


def test_demo_phone_numbers_are_found_from_the_national_format(demo):
    identity = Identity.objects.filter(kind=IdentityKind.PHONE, value__startswith="+5511").first()
    national = f"({identity.value[3:5]}) {identity.value[5:10]}-{identity.value[10:]}"
    assert identity.customer in customer_search(national)


def test_demo_loads_once_and_is_deterministic(demo):
    out = io.StringIO()
    assert load_demo(seed=42, scale=1, stdout=out) is None
    assert "skipped" in out.getvalue()
    assert Customer.objects.count() == demo["counts"]["customers"]


def _plan(builder):
    return [(p["customer"].full_name, p["identities"], p["start"], p["activity"]) for p in builder.customers()]


def test_same_seed_plans_the_same_people_and_scale_multiplies_them(demo):
    assert _plan(_Builder(seed=7, scale=1)) == _plan(_Builder(seed=7, scale=1))
    assert _plan(_Builder(seed=7, scale=1)) != _plan(_Builder(seed=8, scale=1))
    assert len(_Builder(seed=7, scale=3).customers()) == 3 * len(_Builder(seed=7, scale=1).customers())
