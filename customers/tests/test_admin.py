"""The customers admin: every model listed and searchable, identities normalised, audit read-only,
cases opened and moved through the case services, customers' time zone and country checked."""

import re
from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from customers.choices import CasePriority, IdentityKind, LifecycleStage
from customers.models import (
    Case,
    CaseChange,
    Customer,
    Identity,
    Interaction,
    LifecycleChange,
    MergeRecord,
    MergeSuggestion,
    Note,
    SlaPolicy,
    Tag,
    WorkspaceVisit,
)
from customers.services import case_create, customer_merge
from customers.signals import case_resolved
from journeys.tests.factories import PersonaFactory

from .factories import CaseFactory, CustomerFactory, IdentityFactory, InteractionFactory, NoteFactory

pytestmark = pytest.mark.django_db

MODELS = [
    Case,
    Customer,
    Identity,
    Interaction,
    LifecycleChange,
    MergeRecord,
    MergeSuggestion,
    Note,
    SlaPolicy,
    Tag,
    WorkspaceVisit,
]


@pytest.fixture
def ana():
    customer = CustomerFactory(first_name="Ana", last_name="Silva")
    IdentityFactory(customer=customer, kind=IdentityKind.PHONE, value="+5511912345678")
    IdentityFactory(customer=customer, kind=IdentityKind.EMAIL, value="ana@example.com")
    return customer


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def _url(model, action="changelist", *args):
    return reverse(f"admin:customers_{model._meta.model_name}_{action}", args=args)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_model_has_a_working_changelist(admin_client, ana, model):
    case = CaseFactory(customer=ana)
    InteractionFactory(customer=ana, case=case)
    NoteFactory(customer=ana)
    response = admin_client.get(_url(model))
    assert response.status_code == 200


def test_customer_search_finds_by_identity_without_duplicate_rows(admin_client, ana):
    CustomerFactory(first_name="Bruno", last_name="Costa")
    response = admin_client.get(_url(Customer), {"q": "+5511912345678"})
    rows = list(response.context["cl"].result_list)
    assert rows == [ana]
    response = admin_client.get(_url(Customer), {"q": "example.com"})
    assert list(response.context["cl"].result_list) == [ana]


def test_customer_autocomplete_answers_by_name(admin_client, ana):
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "customers", "model_name": "case", "field_name": "customer", "term": "Silva"},
    )
    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [str(ana.pk)]


def test_customer_form_uses_autocomplete_for_persona_and_tags_and_offers_reps_as_owner(
    admin_client, ana, rep_user, marketer_user
):
    html = admin_client.get(_url(Customer, "change", ana.pk)).content.decode()
    for field in ("persona", "tags"):
        assert f'id="id_{field}"' in html
        assert "admin-autocomplete" in html
    owner = re.search(r'<select name="owner".*?</select>', html, re.S).group(0)
    assert f'value="{rep_user.pk}"' in owner and f'value="{marketer_user.pk}"' not in owner
    assert 'name="identities-0-value"' in html and 'name="notes-__prefix__-body"' in html


def _customer_post(customer, **extra):
    data = {
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "lifecycle_stage": customer.lifecycle_stage,
        "persona": "",
        "owner": "",
        "language": customer.language,
        "timezone": customer.timezone,
        "country": customer.country,
        "preferred_channel": "",
        "identities-TOTAL_FORMS": "0",
        "identities-INITIAL_FORMS": "0",
        "identities-MIN_NUM_FORMS": "0",
        "identities-MAX_NUM_FORMS": "1000",
        "notes-TOTAL_FORMS": "0",
        "notes-INITIAL_FORMS": "0",
        "notes-MIN_NUM_FORMS": "0",
        "notes-MAX_NUM_FORMS": "1000",
    }
    data.update(extra)
    return data


def test_identity_inline_normalises_a_national_phone_number(admin_client, superuser):
    customer = CustomerFactory(first_name="Caio")
    data = _customer_post(
        customer,
        **{
            "identities-TOTAL_FORMS": "1",
            "identities-0-kind": "phone",
            "identities-0-network": "",
            "identities-0-value": "(11) 98888-7777",
            "notes-TOTAL_FORMS": "1",
            "notes-0-body": "Called twice.",
            "notes-0-author": "",
        },
    )
    response = admin_client.post(_url(Customer, "change", customer.pk), data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    identity = customer.identities.get()
    assert (identity.kind, identity.value, identity.raw_value) == ("phone", "+5511988887777", "(11) 98888-7777")
    assert customer.notes.get().author == superuser


def test_identity_inline_shows_the_normalisation_error_on_the_value(admin_client):
    customer = CustomerFactory()
    data = _customer_post(
        customer,
        **{"identities-TOTAL_FORMS": "1", "identities-0-kind": "email", "identities-0-value": "not-an-email"},
    )
    response = admin_client.post(_url(Customer, "change", customer.pk), data)
    assert response.status_code == 200
    assert "is not a valid email address" in response.content.decode()
    assert not customer.identities.exists()


def test_identity_admin_refuses_a_value_that_another_customer_owns(admin_client, ana):
    other = CustomerFactory()
    response = admin_client.post(
        _url(Identity, "add"), {"customer": other.pk, "kind": "phone", "network": "", "value": "11 91234 5678"}
    )
    assert response.status_code == 200
    assert "already exists" in response.content.decode()


def test_stage_change_in_the_admin_is_recorded(admin_client, superuser, rep_user):
    customer = CustomerFactory(lifecycle_stage=LifecycleStage.ACTIVE)
    persona = PersonaFactory()
    data = _customer_post(customer, lifecycle_stage=LifecycleStage.CHURNED, persona=persona.pk, owner=rep_user.pk)
    response = admin_client.post(_url(Customer, "change", customer.pk), data)
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.lifecycle_stage, customer.persona, customer.owner) == ("churned", persona, rep_user)
    change = LifecycleChange.objects.get(customer=customer)
    assert (change.from_stage, change.to_stage, change.changed_by) == ("active", "churned", superuser)


def test_sla_policy_is_editable_in_the_list(admin_client):
    policies = list(SlaPolicy.objects.order_by("id"))
    data = {"form-TOTAL_FORMS": str(len(policies)), "form-INITIAL_FORMS": str(len(policies)), "_save": "Save"}
    for i, policy in enumerate(policies):
        data[f"form-{i}-id"] = policy.pk
        data[f"form-{i}-first_response_minutes"] = (
            7 if policy.priority == CasePriority.URGENT else policy.first_response_minutes
        )
        data[f"form-{i}-resolution_minutes"] = policy.resolution_minutes
    response = admin_client.post(_url(SlaPolicy), data)
    assert response.status_code == 302
    assert SlaPolicy.objects.get(priority=CasePriority.URGENT).first_response_minutes == 7


def test_case_added_in_the_admin_gets_its_sla_due_times(admin_client, ana):
    opened = timezone.now().replace(microsecond=0)
    policy = SlaPolicy.objects.get(priority=CasePriority.HIGH)
    response = admin_client.post(
        _url(Case, "add"),
        {
            "customer": ana.pk,
            "subject": "Broken",
            "description": "",
            "topic": "device",
            "origin": "chat",
            "priority": "high",
            "status": "new",
            "assignee": "",
            "opened_at_0": opened.strftime("%Y-%m-%d"),
            "opened_at_1": opened.strftime("%H:%M:%S"),
            "resolution_note": "",
            "source": "web",
            "external_id": "",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    case = Case.objects.get(subject="Broken")
    assert (case.resolution_due_at - case.opened_at).total_seconds() == policy.resolution_minutes * 60


def test_merge_records_are_read_only_and_undone_by_the_action(admin_client, ana, superuser):
    twin = CustomerFactory(first_name="Ana", last_name="Silva")
    InteractionFactory(customer=twin)
    record = customer_merge(survivor=ana, other=twin, user=superuser)
    assert admin_client.get(_url(MergeRecord, "add")).status_code == 403
    page = admin_client.get(_url(MergeRecord, "change", record.pk)).content.decode()
    assert 'name="_save"' not in page
    response = admin_client.post(
        _url(MergeRecord), {"action": "undo_merges", "_selected_action": [record.pk]}, follow=True
    )
    assert "Undid 1 merge" in response.content.decode()
    record.refresh_from_db()
    twin.refresh_from_db()
    assert record.undone_at is not None and twin.merged_into is None
    assert twin.interactions.count() == 1


# --------------------------------------------------------------------------- cases through the services


@pytest.fixture
def resolved_events():
    events = []

    def receiver(sender, case, **kwargs):
        events.append(case.pk)

    case_resolved.connect(receiver)
    yield events
    case_resolved.disconnect(receiver)


def _workflow(admin_client, cases, **choices):
    data = {"ids": ",".join(str(case.pk) for case in cases), "status": "", "priority": "", "assignee": ""}
    data.update(choices)
    return admin_client.post(reverse("admin:customers_case_workflow"), data)


def test_case_change_form_shows_status_priority_and_assignee_read_only(admin_client, ana, rep_user):
    case = case_create(customer=ana, subject="Broken", assignee=rep_user)
    html = admin_client.get(_url(Case, "change", case.pk)).content.decode()
    for field in ("status", "priority", "assignee", "customer", "opened_at"):
        assert f'name="{field}"' not in html
    assert f"{reverse('admin:customers_case_workflow')}?ids={case.pk}" in html
    # A status posted with the change form is ignored; the other edits go through case_update.
    response = admin_client.post(
        _url(Case, "change", case.pk),
        {
            "subject": "Broken screen",
            "description": "",
            "topic": "device",
            "origin": "chat",
            "resolution_note": "",
            "status": "resolved",
            "priority": "urgent",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    case.refresh_from_db()
    assert (case.subject, case.topic, case.status, case.priority, case.resolved_at) == (
        "Broken screen",
        "device",
        "new",
        "normal",
        None,
    )


def test_resolving_a_case_in_the_admin_sets_resolved_at_and_sends_case_resolved(
    admin_client, ana, superuser, resolved_events, django_capture_on_commit_callbacks
):
    case = case_create(customer=ana, subject="Broken")
    page = admin_client.get(reverse("admin:customers_case_workflow"), {"ids": case.pk})
    assert page.status_code == 200 and "Broken" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = _workflow(admin_client, [case], status="resolved")
    assert response.status_code == 302 and response.url == _url(Case, "change", case.pk)
    case.refresh_from_db()
    assert case.status == "resolved" and case.resolved_at is not None and case.first_response_at is not None
    assert resolved_events == [case.pk]
    entry = LogEntry.objects.get(object_id=str(case.pk))
    assert (entry.user, entry.is_change()) == (superuser, True)


def test_urgent_priority_set_in_the_admin_recomputes_the_sla_due_times(admin_client, ana):
    opened = timezone.now().replace(microsecond=0) - timedelta(hours=1)
    case = case_create(customer=ana, subject="Broken", priority=CasePriority.NORMAL, opened_at=opened)
    urgent = SlaPolicy.objects.get(priority=CasePriority.URGENT)
    response = _workflow(admin_client, [case], priority="urgent")
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.priority == "urgent"
    assert case.first_response_due_at == opened + timedelta(minutes=urgent.first_response_minutes)
    assert case.resolution_due_at == opened + timedelta(minutes=urgent.resolution_minutes)


def test_assignee_is_changed_in_the_admin_among_reps_only(admin_client, ana, rep_user, marketer_user):
    case = case_create(customer=ana, subject="Broken")
    page = admin_client.get(reverse("admin:customers_case_workflow"), {"ids": case.pk}).content.decode()
    assert f'value="{rep_user.pk}"' in page and f'value="{marketer_user.pk}"' not in page

    response = _workflow(admin_client, [case], assignee=marketer_user.pk)
    assert response.status_code == 200 and "assignee" in response.context["form"].errors
    case.refresh_from_db()
    assert case.assignee is None

    _workflow(admin_client, [case], assignee=rep_user.pk)
    case.refresh_from_db()
    assert case.assignee == rep_user and case.assigned_at is not None

    _workflow(admin_client, [case], unassign="on")
    case.refresh_from_db()
    assert (case.assignee, case.assigned_at) == (None, None)


def test_workflow_form_asks_for_a_change(admin_client, ana):
    case = case_create(customer=ana, subject="Broken")
    response = _workflow(admin_client, [case])
    assert response.status_code == 200 and "Choose what to change." in response.content.decode()


def test_list_action_changes_the_selected_cases_through_the_services(admin_client, ana, rep_user):
    first, second = case_create(customer=ana, subject="One"), case_create(customer=ana, subject="Two")
    case_create(customer=ana, subject="Three")
    response = admin_client.post(_url(Case), {"action": "change_workflow", "_selected_action": [first.pk, second.pk]})
    assert response.status_code == 302
    assert response.url == f"{reverse('admin:customers_case_workflow')}?ids={first.pk},{second.pk}"
    response = _workflow(admin_client, [first, second], status="pending", assignee=rep_user.pk)
    assert response.status_code == 302 and response.url == _url(Case)
    rows = [(c.subject, c.status, c.assignee, c.pending_since is not None) for c in Case.objects.order_by("pk")]
    assert rows == [
        ("One", "pending", rep_user, True),
        ("Two", "pending", rep_user, True),
        ("Three", "new", None, False),
    ]


def test_workflow_page_needs_the_change_permission(client, ana, marketer_user):
    case = case_create(customer=ana, subject="Broken")
    client.force_login(marketer_user)
    response = client.post(reverse("admin:customers_case_workflow"), {"ids": case.pk, "status": "resolved"})
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.status == "new"


def _case_add(customer, **extra):
    opened = timezone.now().replace(microsecond=0)
    data = {
        "customer": customer.pk,
        "subject": "Broken",
        "description": "",
        "topic": "device",
        "origin": "chat",
        "priority": "normal",
        "status": "new",
        "assignee": "",
        "opened_at_0": opened.strftime("%Y-%m-%d"),
        "opened_at_1": opened.strftime("%H:%M:%S"),
        "source": "web",
        "external_id": "",
    }
    data.update(extra)
    return data


def test_case_added_in_the_admin_is_opened_by_case_create(admin_client, ana, rep_user):
    # A pending case has its first response counted and its clock stopped, as from any door.
    response = admin_client.post(_url(Case, "add"), _case_add(ana, status="pending", assignee=rep_user.pk))
    assert response.status_code == 302, response.context["adminform"].form.errors
    case = Case.objects.get()
    assert (case.status, case.assignee) == ("pending", rep_user)
    assert case.pending_since is not None and case.first_response_at is not None and case.assigned_at is not None


@pytest.mark.parametrize("field, value", [("status", "resolved"), ("status", "closed"), ("assignee", "marketer")])
def test_case_add_form_refuses_what_the_services_refuse(admin_client, ana, marketer_user, field, value):
    value = marketer_user.pk if value == "marketer" else value
    response = admin_client.post(_url(Case, "add"), _case_add(ana, **{field: value}))
    assert response.status_code == 200 and field in response.context["adminform"].form.errors
    assert not Case.objects.exists()


# --------------------------------------------------------------------------- customer time zone and country


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("timezone", "Mars/Olympus", "is not a known time zone"),
        ("timezone", "america/sao_paulo", "is not a known time zone"),
        ("country", "XX", "is not a two-letter ISO 3166 country code"),
        ("country", "1A", "is not a two-letter ISO 3166 country code"),
    ],
)
def test_customer_admin_refuses_an_unknown_time_zone_or_country(admin_client, field, value, message):
    customer = CustomerFactory(timezone="Europe/Lisbon", country="PT")
    response = admin_client.post(_url(Customer, "change", customer.pk), _customer_post(customer, **{field: value}))
    assert response.status_code == 200
    assert message in " ".join(response.context["adminform"].form.errors[field])
    customer.refresh_from_db()
    assert (customer.timezone, customer.country) == ("Europe/Lisbon", "PT")


def test_customer_admin_accepts_a_known_time_zone_and_upper_cases_the_country(admin_client):
    customer = CustomerFactory(timezone="UTC", country="")
    data = _customer_post(customer, timezone="America/Sao_Paulo", country="br")
    response = admin_client.post(_url(Customer, "change", customer.pk), data)
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.timezone, customer.country) == ("America/Sao_Paulo", "BR")


def test_admin_workflow_change_with_a_reason_is_in_the_case_history(admin_client, ana, superuser):
    case = case_create(customer=ana, subject="Broken")
    response = _workflow(admin_client, [case], status="pending", reason="Waiting for the courier")
    assert response.status_code == 302
    change = CaseChange.objects.get(case=case)
    assert (change.field, change.from_label, change.to_label, change.reason, change.changed_by) == (
        "status",
        "New",
        "Pending",
        "Waiting for the courier",
        superuser,
    )
    html = admin_client.get(_url(Case, "change", case.pk)).content.decode()
    assert "Waiting for the courier" in html and "Pending" in html


def test_a_case_opened_in_the_future_is_a_form_error_in_the_admin_and_a_400_in_the_api(admin_client, ana):
    """Its SLA due times count from opened_at: a case "opened" next week would sit within its SLA until then.
    A time a few minutes ahead (a clock running fast) is taken as now, as for interactions."""
    later = timezone.localtime() + timedelta(days=7)
    data = _case_add(ana, opened_at_0=later.strftime("%Y-%m-%d"), opened_at_1=later.strftime("%H:%M:%S"))
    response = admin_client.post(_url(Case, "add"), data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["opened_at"]
    assert "in the future" in " ".join(errors) or "ahead" in " ".join(errors)
    assert not Case.objects.exists()

    api = admin_client.post(
        "/api/cases/",
        {"customer": ana.pk, "subject": "x", "opened_at": (timezone.now() + timedelta(days=7)).isoformat()},
        content_type="application/json",
    )
    assert api.status_code == 400 and "opened_at" in api.json()
    assert not Case.objects.exists()

    soon = timezone.now() + timedelta(seconds=60)
    api = admin_client.post(
        "/api/cases/",
        {"customer": ana.pk, "subject": "y", "opened_at": soon.isoformat()},
        content_type="application/json",
    )
    assert api.status_code == 201, api.content
    assert Case.objects.get().opened_at <= timezone.now()


def test_a_merge_suggestion_saved_against_its_rules_is_refused_in_the_readers_language(admin_client):
    customer, other = CustomerFactory(), CustomerFactory()
    MergeSuggestion.objects.create(customer=customer, other=other, reason="Given together on one interaction")
    url = _url(MergeSuggestion, "add")

    itself = admin_client.post(
        url, {"customer": customer.pk, "other": customer.pk, "status": "open"}, HTTP_ACCEPT_LANGUAGE="pl"
    )
    assert "Klient nie może być wskazany jako duplikat samego siebie." in itself.content.decode()
    again = admin_client.post(
        url, {"customer": customer.pk, "other": other.pk, "status": "open"}, HTTP_ACCEPT_LANGUAGE="pt-br"
    )
    assert "Esses dois clientes já têm uma sugestão de mesclagem aberta." in again.content.decode()
    assert "customers_suggestion" not in itself.content.decode() + again.content.decode()
    assert MergeSuggestion.objects.count() == 1
