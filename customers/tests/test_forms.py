"""The page forms shape input only; the services' errors land on the fields they name."""

import pytest
from django.core.exceptions import ValidationError

from customers.forms import CaseOpenForm, IdentityForm, InteractionLogForm, ProfileForm
from customers.services import identity_add

from .factories import CaseFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def test_service_errors_go_to_their_field_and_unknown_ones_to_the_form():
    form = IdentityForm(data={"identity-kind": "email", "identity-value": "x"})
    assert form.is_valid()
    form.add_service_errors(ValidationError({"value": ["Bad value."], "customer_id": ["No such customer."]}))
    assert form.errors["value"] == ["Bad value."]
    assert form.non_field_errors() == ["Customer id: No such customer."]


def test_a_plain_service_error_is_a_form_error():
    form = CaseOpenForm(
        data={"case-subject": "x", "case-origin": "chat", "case-priority": "low", "case-status": "open"}
    )
    assert form.is_valid()
    form.add_service_errors(ValidationError("Something went wrong."))
    assert form.non_field_errors() == ["Something went wrong."]


def test_identity_form_carries_the_service_message_for_a_bad_phone():
    customer = CustomerFactory()
    form = IdentityForm(data={"identity-kind": "phone", "identity-value": "12345"})
    assert form.is_valid()
    with pytest.raises(ValidationError) as raised:
        identity_add(customer=customer, **form.service_kwargs())
    form.add_service_errors(raised.value)
    assert "is not a valid phone number" in form.errors["value"][0]


def test_profile_form_starts_from_the_customer_and_splits_tags():
    customer = CustomerFactory(first_name="Ana", lifecycle_stage="active", marketing_consent=True)
    customer.tags.create(name="vip")
    form = ProfileForm(customer=customer)
    assert form.initial["first_name"] == "Ana" and form.initial["tags"] == "vip"
    bound = ProfileForm(
        customer=customer,
        data={"profile-lifecycle_stage": "active", "profile-language": "en", "profile-tags": " vip, ,b2b ,"},
    )
    assert bound.is_valid(), bound.errors
    kwargs = bound.service_kwargs()
    assert kwargs["tags"] == ["vip", "b2b"]
    assert kwargs["marketing_consent"] is False  # an unticked box is a "no"


def test_log_form_offers_the_given_cases_and_optional_time():
    customer = CustomerFactory()
    case = CaseFactory(customer=customer, subject="Broken")
    form = InteractionLogForm(
        cases=[case],
        touchpoints=[],
        data={
            "log-channel": "phone",
            "log-direction": "outbound",
            "log-type": "call",
            "log-summary": "Hi",
            "log-case": case.pk,
        },
    )
    assert form.is_valid(), form.errors
    kwargs = form.service_kwargs()
    assert kwargs["case"] == case.pk and "occurred_at" not in kwargs
    assert (case.pk, f"#{case.pk} Broken") in form.fields["case"].choices
