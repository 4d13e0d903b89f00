"""GDPR erasure: the personal data of a customer goes, its anonymous rows stay so that every report figure is
the same before and after (through /api/metrics/ across a rollup); the customer is no longer found, an identity
that comes again makes a new customer, merge snapshots and outbox payloads are scrubbed, the erasure is audited,
idempotent, allowed to managers and superusers only, and its query count does not grow with the history."""

import json
from datetime import date, timedelta

import pytest
from django.contrib.admin.sites import site
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers import services
from customers.choices import CaseStatus, InteractionType, LifecycleStage, SuggestionStatus
from customers.models import Case, CaseChange, Customer, Identity, Interaction, MergeRecord, MergeSuggestion, Note
from customers.tests.factories import CustomerFactory, IdentityFactory, InteractionFactory, NoteFactory
from cxcrm.models import AuditAction, AuditEvent, OutboxMessage
from feedback.choices import InvitationStatus, QuestionType
from feedback.metrics import rollup
from feedback.metrics.definitions import METRICS
from feedback.models import Invitation, Response
from feedback.tests.factories import InvitationFactory, SurveyQuestionFactory
from feedback.tests.metrics_factories import (
    ResponseFactory,
    SentInvitationFactory,
    at,
    case,
    lifecycle,
    survey_of_kind,
)
from journeys.tests.factories import PersonaFactory

pytestmark = pytest.mark.django_db

JAN = (date(2026, 1, 1), date(2026, 1, 31))
PERSONAL = [
    "Ana",
    "Silva",
    "Router broke",
    "ana@example.com",
    "+351912345678",
    "Benedita",
    "PT",
    "router broke",
    "hates queues",
]


@pytest.fixture
def persona():
    return PersonaFactory()


@pytest.fixture
def ana(persona, rep_user):
    """A customer with every kind of row: identities, interactions (campaign ones too), cases, a note, a tag,
    lifecycle changes, sent, answered and scheduled survey invitations, a folded customer, a merge suggestion
    and a pending outbox message naming her."""
    ana = CustomerFactory(first_name="Ana", last_name="Silva", country="", persona=persona, marketing_consent=True)
    ana.tags.create(name="vip")
    IdentityFactory(customer=ana, kind="email", value="ana@example.com")
    IdentityFactory(customer=ana, kind="phone", value="+351912345678")
    for day, channel in ((5, "chat"), (6, "email"), (13, "phone")):
        InteractionFactory(
            customer=ana,
            channel=channel,
            occurred_at=at(2026, 1, day),
            summary="Asked why the router broke",
            body="ana@example.com says the router broke",
            metadata={"from": "ana@example.com"},
            touchpoint_key="checkout",
            agent=rep_user,
        )
    for kind, day in (
        (InteractionType.EMAIL_SENT, 7),
        (InteractionType.EMAIL_OPEN, 7),
        (InteractionType.EMAIL_CLICK, 8),
        (InteractionType.PURCHASE, 9),
    ):
        InteractionFactory(customer=ana, channel="email", type=kind, campaign="spring", occurred_at=at(2026, 1, day))
    case(
        customer=ana,
        subject="Router broke",
        description="She hates queues",
        resolution_note="Sent Ana a new router",
        opened=at(2026, 1, 5),
        first_response=at(2026, 1, 5, 14),
        resolved=at(2026, 1, 7),
        due=at(2026, 1, 6),
        assignee=rep_user,
    )
    again = case(customer=ana, subject="Router broke again", opened=at(2026, 1, 20), due=at(2026, 1, 21))
    CaseChange.objects.create(
        case=again,
        field="subject",
        from_value="Router broke",
        to_value="Router broke again",
        from_label="Router broke",
        to_label="Router broke again",
        reason="Ana called about it",
        changed_at=at(2026, 1, 21),
    )
    NoteFactory(customer=ana, body="Ana hates queues")
    lifecycle(ana, LifecycleStage.ACTIVE, at(2025, 12, 1))
    lifecycle(ana, LifecycleStage.CHURNED, at(2026, 1, 25), from_stage=LifecycleStage.ACTIVE)
    for kind, score in (("nps", 3), ("csat", 5), ("ces", 2)):
        free_text = SurveyQuestionFactory(survey=survey_of_kind(kind), type=QuestionType.TEXT, text="Anything else?")
        ResponseFactory(
            customer=ana,
            kind=kind,
            score=score,
            persona=persona,
            channel="chat",
            touchpoint_key="checkout",
            agent=rep_user,
            comment="Ana hates queues",
            answers={str(free_text.pk): "router broke", "99": 3},
            submitted_at=at(2026, 1, 6),
        )
    SentInvitationFactory(customer=ana, recipient="ana@example.com", sent_at=at(2026, 1, 10))
    InvitationFactory(customer=ana, recipient="ana@example.com", last_error="bounced ana@example.com")
    benedita = CustomerFactory(first_name="Benedita", last_name="Silva", country="PT", persona=persona)
    IdentityFactory(customer=benedita, kind="email", value="benedita@example.com")
    services.customer_merge(survivor=ana, other=benedita)
    other = CustomerFactory(first_name="Bruno", persona=persona)
    MergeSuggestion.objects.create(customer=other, other=ana, reason="ana@example.com was given with both")
    OutboxMessage.objects.create(event="test.notify", payload={"customer_id": ana.pk, "email": "ana@example.com"})
    return Customer.objects.get(pk=ana.pk)


@pytest.fixture
def others(persona, rep_user):
    """Another customer's rows in the same month, which the erasure must leave alone."""
    bruno = Customer.objects.get(first_name="Bruno")
    IdentityFactory(customer=bruno, kind="email", value="bruno@example.com")
    InteractionFactory(customer=bruno, channel="chat", occurred_at=at(2026, 1, 5), touchpoint_key="checkout")
    case(customer=bruno, opened=at(2026, 1, 6), resolved=at(2026, 1, 8), first_response=at(2026, 1, 6, 13))
    ResponseFactory(customer=bruno, kind="nps", score=10, persona=persona, channel="chat", submitted_at=at(2026, 1, 6))
    lifecycle(bruno, LifecycleStage.ACTIVE, at(2025, 12, 1))
    return bruno


def metrics_snapshot(api) -> dict:
    """Every metric by week over January, overall and by each of its dimensions, as /api/metrics/ answers."""
    snapshot = {}
    for name, metric in METRICS.items():
        for dimension in metric.dimensions:
            response = api.get(
                "/api/metrics/",
                {
                    "metric": name,
                    "granularity": "week",
                    "start": "2026-01-01",
                    "end": "2026-01-31",
                    "dimension": dimension,
                },
            )
            assert response.status_code == 200, (name, dimension, response.content)
            snapshot[(name, dimension)] = response.json()["results"]
    return snapshot


def erase(api, customer):
    return api.post(f"/api/customers/{customer.pk}/erase/")


def everything_about(customer_ids) -> str:
    """The rows that could still hold the customer's personal data, as one text."""
    rows = [
        list(Customer.objects.filter(pk__in=customer_ids).values()),
        list(Identity.objects.filter(customer_id__in=customer_ids).values()),
        list(Interaction.objects.filter(customer_id__in=customer_ids).values()),
        list(Case.objects.filter(customer_id__in=customer_ids).values()),
        list(CaseChange.objects.filter(case__customer_id__in=customer_ids).values()),
        list(Note.objects.filter(customer_id__in=customer_ids).values()),
        list(Invitation.objects.filter(customer_id__in=customer_ids).values()),
        list(Response.objects.filter(customer_id__in=customer_ids).values()),
        list(MergeRecord.objects.values("moved")),
        list(MergeSuggestion.objects.values("reason")),
        list(OutboxMessage.objects.values("payload", "last_error")),
        list(AuditEvent.objects.values("details")),
    ]
    return json.dumps(rows, default=str)


# --------------------------------------------------------------------------- the reports do not change


def test_every_metric_is_the_same_before_and_after_the_erasure_across_a_rollup(api_as, manager_user, ana, others):
    api = api_as(manager_user)
    rollup.metric_rollups_recompute(start=JAN[0], end=JAN[1])
    before = metrics_snapshot(api)
    # The figures are not empty: the erased customer's rows count in them.
    assert before[("nps", "overall")][1]["n"] == 2
    assert before[("churn_rate", "overall")][3]["n"] >= 2
    assert any(row["n"] for row in before[("response_rate", "overall")])
    assert any(row["n"] for row in before[("open_rate", "overall")])

    assert erase(api, ana).status_code == 200
    rollup.metric_rollups_recompute(start=JAN[0], end=JAN[1])
    after = metrics_snapshot(api)

    assert after == before


def test_the_personal_data_is_gone_and_the_anonymous_rows_stay(api_as, manager_user, ana, others):
    ids = [ana.pk, Customer.objects.get(first_name="Benedita").pk]
    counts_before = (
        Interaction.objects.filter(customer=ana).count(),
        Case.objects.filter(customer=ana).count(),
        Response.objects.filter(customer=ana).count(),
        Invitation.objects.filter(customer=ana).count(),
    )

    body = erase(api_as(manager_user), ana).json()

    assert body["customer"] == ana.pk and body["erased"] is True and body["already_erased"] is False
    assert sorted(body["customers"]) == sorted(ids)
    assert body["counts"]["identities"] == 3 and body["counts"]["interactions"] == 7
    assert (body["counts"]["cases"], body["counts"]["notes"], body["counts"]["survey_responses"]) == (2, 1, 3)
    text = everything_about(ids)
    for value in PERSONAL:
        assert value not in text, value
    assert counts_before == (
        Interaction.objects.filter(customer=ana).count(),
        Case.objects.filter(customer=ana).count(),
        Response.objects.filter(customer=ana).count(),
        Invitation.objects.filter(customer=ana).count(),
    )
    ana.refresh_from_db()
    assert (ana.erased, ana.full_name, ana.persona_id, ana.survey_opt_out) == (True, "", ana.persona_id, True)
    assert ana.erased_at is not None and str(ana) == f"Erased customer #{ana.pk}"
    assert not ana.tags.exists() and not ana.identities.exists() and not ana.notes.exists()
    response = Response.objects.filter(customer=ana, kind="nps").get()
    assert (response.score, response.channel, response.touchpoint_key, response.comment) == (3, "chat", "checkout", "")
    assert response.answers == {"99": 3}  # the free-text answer is gone, the others stay
    assert set(Interaction.objects.filter(customer=ana).values_list("summary", flat=True)) == {"[erased]"}
    assert all(m == {} for m in Interaction.objects.filter(customer=ana).values_list("metadata", flat=True))
    assert set(Interaction.objects.filter(customer=ana).values_list("body", flat=True)) == {""}
    # The invitation not sent yet will not go out.
    assert not Invitation.objects.filter(customer=ana, status=InvitationStatus.SCHEDULED).exists()
    # The other customer is untouched.
    others.refresh_from_db()
    assert others.first_name == "Bruno" and others.identities.get().value == "bruno@example.com"
    assert not others.erased


def test_merge_snapshots_suggestions_and_outbox_payloads_are_scrubbed(api_as, manager_user, ana):
    record = MergeRecord.objects.get(survivor=ana)
    assert record.moved["fields"]["country"] == {"old": "", "new": "PT"}
    suggestion = MergeSuggestion.objects.get()

    erase(api_as(manager_user), ana)

    record.refresh_from_db()
    assert record.moved["fields"]["country"] == {"old": "", "new": ""}
    assert record.moved["identities"]  # the ids stay: they say nothing about the person
    suggestion.refresh_from_db()
    assert (suggestion.reason, suggestion.status) == ("", SuggestionStatus.DISMISSED)
    message = OutboxMessage.objects.get(event="test.notify")
    assert message.payload == {"customer_id": ana.pk}


def test_the_erasure_is_audited_with_ids_and_counts_and_earlier_events_stay(api_as, manager_user, ana):
    api = api_as(manager_user)
    api.get(f"/api/customers/{ana.pk}/export/")
    erase(api, ana)
    [event] = AuditEvent.objects.filter(action=AuditAction.ERASURE)
    assert (event.actor, event.object_type, event.object_id) == (manager_user, "customers.customer", str(ana.pk))
    assert event.details["counts"]["interactions"] == 7 and event.details["repeat"] is False
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT, object_id=str(ana.pk)).exists()
    assert AuditEvent.objects.filter(action=AuditAction.MERGE, object_id=str(ana.pk)).exists()


def test_erasing_twice_answers_200_and_says_so(api_as, manager_user, ana):
    api = api_as(manager_user)
    first = erase(api, ana).json()
    second = erase(api, ana)
    assert second.status_code == 200
    assert second.json()["already_erased"] is True
    assert second.json()["erased_at"] == first["erased_at"]
    assert second.json()["counts"]["identities"] == 0
    assert Customer.objects.get(pk=ana.pk).erased


def test_a_folded_customers_id_erases_its_survivor(api_as, manager_user, ana):
    benedita = Customer.objects.get(first_name="Benedita")
    assert erase(api_as(manager_user), benedita).json()["customer"] == ana.pk
    assert Customer.objects.filter(pk__in=[ana.pk, benedita.pk], erased=True).count() == 2


def test_the_service_refuses_a_folded_customer(ana):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.customer_erase(customer=Customer.objects.get(first_name="Benedita"))


# --------------------------------------------------------------------------- never found again


def test_search_lists_and_suggestions_leave_the_erased_customer_out(api_as, manager_user, rep_user, ana):
    api = api_as(manager_user)
    erase(api, ana)
    for q in ("Ana", "ana@example.com", "912345678", f"#{ana.pk}", str(ana.pk)):
        assert ana.pk not in [c["id"] for c in api.get("/api/customers/", {"q": q}).json()["results"]], q
    assert ana.pk not in [c["id"] for c in api.get("/api/customers/").json()["results"]]
    assert api.get("/api/merge-suggestions/").json()["results"] == []
    client = Client()
    client.force_login(rep_user)
    page = client.get(reverse("customers:customer_list"), {"q": str(ana.pk)}).content.decode()
    assert f"/customers/{ana.pk}/" not in page
    assert "Ana" not in client.get(reverse("customers:customer_list")).content.decode()


def test_an_identity_that_comes_again_makes_a_new_customer(api_as, manager_user, integration_user, ana):
    erase(api_as(manager_user), ana)
    body = {
        "channel": "email",
        "occurred_at": "2026-02-01T10:00:00Z",
        "summary": "Hello again",
        "identities": [{"kind": "email", "value": "ana@example.com"}],
        "customer": {"first_name": "Ana"},
    }
    response = api_as(integration_user).post("/api/interactions/", body, format="json")
    assert response.status_code == 201, response.content
    new = Customer.objects.get(pk=response.json()["customer"])
    assert new.pk != ana.pk and not new.erased and new.first_name == "Ana"
    assert new.identities.get().value == "ana@example.com"


def test_nothing_personal_is_written_to_an_erased_customer_again(api_as, manager_user, integration_user, ana):
    from django.core.exceptions import ValidationError

    api = api_as(manager_user)
    erase(api, ana)
    ana.refresh_from_db()
    patched = api.patch(f"/api/customers/{ana.pk}/", {"first_name": "Ana"}, format="json")
    assert patched.status_code == 400
    with pytest.raises(ValidationError):
        services.identity_add(customer=ana, kind="email", value="ana@example.com")
    # An integration naming the erased customer's id is told it is unknown, as for any unknown id.
    body = {"channel": "chat", "occurred_at": "2026-02-01T10:00:00Z", "summary": "Hi", "customer_id": ana.pk}
    refused = api_as(integration_user).post("/api/interactions/", body, format="json")
    assert refused.status_code == 400 and "customer_id" in refused.json()
    assert Customer.objects.get(pk=ana.pk).first_name == "" and not Identity.objects.filter(customer=ana).exists()


def test_notes_and_cases_naming_an_erased_customer_are_refused_with_a_400(api_as, manager_user, ana):
    api = api_as(manager_user)
    erase(api, ana)
    notes, cases = Note.objects.count(), Case.objects.count()
    note = api.post("/api/notes/", {"customer": ana.pk, "body": "Called back"}, format="json")
    assert note.status_code == 400
    assert f"Customer #{ana.pk} was erased: its personal data is not written again." in json.dumps(note.json())
    case = api.post("/api/cases/", {"customer": ana.pk, "subject": "Router broke again"}, format="json")
    assert case.status_code == 400 and "was erased" in json.dumps(case.json())
    assert (Note.objects.count(), Case.objects.count()) == (notes, cases)


def test_the_admin_page_of_an_erased_customer_is_read_only_with_a_note(client, superuser, ana):
    services.customer_erase(customer=ana)
    client.force_login(superuser)
    url = reverse("admin:customers_customer_change", args=[ana.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert f"Customer #{ana.pk} was erased: its personal data is not written again" in page.content.decode()
    assert 'name="first_name"' not in page.content.decode()  # shown, not editable
    posted = client.post(
        url,
        {
            "first_name": "Ana",
            "last_name": "Silva",
            "identities-TOTAL_FORMS": "1",
            "identities-INITIAL_FORMS": "0",
            "identities-0-kind": "email",
            "identities-0-value": "ana@example.com",
            "notes-TOTAL_FORMS": "0",
            "notes-INITIAL_FORMS": "0",
        },
    )
    assert posted.status_code == 403
    ana.refresh_from_db()
    assert (ana.first_name, ana.last_name) == ("", "") and not Identity.objects.filter(customer=ana).exists()
    # The standalone admins refuse the erased customer too.
    added = client.post(
        reverse("admin:customers_identity_add"), {"customer": ana.pk, "kind": "email", "value": "ana@example.com"}
    )
    assert added.status_code == 200 and "was erased" in added.content.decode()
    assert not Identity.objects.filter(customer=ana).exists()
    noted = client.post(reverse("admin:customers_note_add"), {"customer": ana.pk, "body": "Ana Silva called"})
    assert noted.status_code == 200 and "was erased" in noted.content.decode()


def test_the_services_open_no_case_and_write_no_note_for_an_erased_customer(ana):
    services.customer_erase(customer=ana)
    ana.refresh_from_db()
    with pytest.raises(ValidationError):
        services.case_create(customer=ana, subject="Follow-up")
    with pytest.raises(ValidationError):
        services.note_create(customer=ana, body="Called")


def test_an_erased_customer_cannot_be_merged(ana, others):
    from django.core.exceptions import ValidationError

    services.customer_erase(customer=ana)
    with pytest.raises(ValidationError):
        services.customer_merge(survivor=others, other=Customer.objects.get(pk=ana.pk))


# --------------------------------------------------------------------------- who may erase


@pytest.mark.parametrize("role", ["rep_user", "marketer_user", "integration_user"])
def test_roles_without_erase_customer_get_403_and_nothing_changes(api_as, request, ana, role):
    assert erase(api_as(request.getfixturevalue(role)), ana).status_code == 403
    assert Customer.objects.get(pk=ana.pk).first_name == "Ana"


def test_anonymous_gets_401_and_an_unknown_id_404(api_client, api_as, superuser, ana):
    assert erase(api_client, ana).status_code == 401
    assert api_as(superuser).post("/api/customers/999999/erase/").status_code == 404
    assert erase(api_as(superuser), ana).status_code == 200


def test_the_page_confirms_with_counts_then_erases(manager_user, rep_user, ana):
    manager, rep = Client(), Client()
    manager.force_login(manager_user)
    rep.force_login(rep_user)
    detail = reverse("customers:customer_detail", args=[ana.pk])
    confirm = reverse("customers:customer_erase", args=[ana.pk])
    assert 'data-testid="personal-data-erase"' in manager.get(detail).content.decode()
    assert 'data-testid="personal-data-erase"' not in rep.get(detail).content.decode()
    assert rep.get(confirm).status_code == 403
    assert rep.post(confirm).status_code == 403

    page = manager.get(confirm)
    assert page.status_code == 200
    assert page.context["counts"]["identities"] == 3
    assert page.context["counts"]["interactions"] == 7
    assert page.context["counts"]["survey_responses"] == 3
    assert 'data-count="notes">1<' in page.content.decode()
    assert Customer.objects.get(pk=ana.pk).first_name == "Ana"  # GET changes nothing

    # Erasing cannot be undone: without the customer's number typed again nothing happens.
    for typed in ({}, {"confirm": ""}, {"confirm": str(ana.pk + 1)}, {"confirm": "yes"}):
        refused = manager.post(confirm, typed)
        assert refused.status_code == 400
        assert refused.context["form"].errors["confirm"]
        assert Customer.objects.get(pk=ana.pk).first_name == "Ana"
    assert f"Type {ana.pk}, this customer" in manager.post(confirm, {"confirm": "1x"}).content.decode()

    response = manager.post(confirm, {"confirm": f"#{ana.pk}"})
    assert response.status_code == 302 and response["Location"] == detail
    after = manager.get(detail).content.decode()
    assert 'data-testid="erased"' in after and "ana@example.com" not in after
    assert 'data-testid="personal-data-erase"' not in after


def test_the_admin_action_leads_to_the_confirmation(superuser, ana):
    client = Client()
    client.force_login(superuser)
    response = client.post(
        reverse("admin:customers_customer_changelist"),
        {"action": "erase_personal_data", "_selected_action": [ana.pk]},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:customer_erase", args=[ana.pk])


def test_the_admin_action_is_offered_to_holders_of_erase_customer_only(rf, manager_user, rep_user):
    admin = site._registry[Customer]
    for user, offered in ((manager_user, True), (rep_user, False)):
        request = rf.get("/")
        request.user = user
        assert ("erase_personal_data" in admin.get_actions(request)) is offered


# --------------------------------------------------------------------------- cost


@pytest.mark.parametrize("interactions", [10, 200])
def test_the_erasure_query_count_does_not_grow_with_the_history(django_assert_max_num_queries, interactions):
    customer = CustomerFactory()
    IdentityFactory(customer=customer)
    Interaction.objects.bulk_create(
        Interaction(customer=customer, channel="chat", occurred_at=at(2026, 1, 1) + timedelta(minutes=i), summary="x")
        for i in range(interactions)
    )
    case(customer=customer, opened=at(2026, 1, 1), status=CaseStatus.OPEN)
    for _ in range(3):
        ResponseFactory(customer=customer, comment="Fine", answers={"1": "text"})
    with django_assert_max_num_queries(30):
        services.customer_erase(customer=customer)


def test_the_erasure_takes_the_same_queries_for_10_and_200_interactions():
    used = []
    for n in (10, 200):
        customer = CustomerFactory()
        Interaction.objects.bulk_create(
            Interaction(customer=customer, channel="chat", occurred_at=at(2026, 1, 1), summary="x") for _ in range(n)
        )
        with CaptureQueriesContext(connection) as queries:
            services.customer_erase(customer=customer)
        used.append(len(queries))
    assert used[0] == used[1]
