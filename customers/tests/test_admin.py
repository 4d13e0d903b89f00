"""The customers admin: every model listed and searchable, identities normalised, audit read-only."""

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.choices import CasePriority, IdentityKind, LifecycleStage
from customers.models import (
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
)
from customers.services import customer_merge
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


def test_customer_form_uses_autocomplete_for_persona_and_owner(admin_client, ana):
    html = admin_client.get(_url(Customer, "change", ana.pk)).content.decode()
    for field in ("persona", "owner", "tags"):
        assert f'id="id_{field}"' in html
        assert "admin-autocomplete" in html
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


def test_stage_change_in_the_admin_is_recorded(admin_client, superuser):
    customer = CustomerFactory(lifecycle_stage=LifecycleStage.ACTIVE)
    persona = PersonaFactory()
    data = _customer_post(customer, lifecycle_stage=LifecycleStage.CHURNED, persona=persona.pk, owner=superuser.pk)
    response = admin_client.post(_url(Customer, "change", customer.pk), data)
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.lifecycle_stage, customer.persona, customer.owner) == ("churned", persona, superuser)
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
