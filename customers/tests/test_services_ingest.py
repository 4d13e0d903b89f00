import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from customers.models import Customer, Identity, Interaction, LifecycleChange, MergeSuggestion
from customers.services import interaction_ingest, interaction_input_parse
from customers.signals import interaction_recorded
from customers.tests.factories import CaseFactory, CustomerFactory, IdentityFactory

pytestmark = pytest.mark.django_db


def ingest(live=True, **fields):
    data = {"channel": "email", "occurred_at": timezone.now(), "summary": "Hello"}
    data.update(fields)
    return interaction_ingest(data=interaction_input_parse(data), live=live)


def test_new_identity_creates_customer_with_details_and_initial_stage():
    result = ingest(
        identities=[{"kind": "email", "value": " Ana@Example.com "}],
        customer={"first_name": "Ana", "last_name": "Silva", "language": "pt-br", "country": "br"},
    )
    customer = result.interaction.customer
    assert result.created and result.customer_created
    assert (customer.first_name, customer.language, customer.country) == ("Ana", "pt-br", "BR")
    assert list(customer.identities.values_list("kind", "value")) == [("email", "ana@example.com")]
    assert LifecycleChange.objects.get(customer=customer).to_stage == "lead"
    assert customer.first_contact_at == customer.last_contact_at == result.interaction.occurred_at


def test_known_identity_in_another_format_lands_on_the_same_customer():
    first = ingest(identities=[{"kind": "phone", "value": "(11) 91234-5678"}])
    second = ingest(identities=[{"kind": "phone", "value": "+55 11 91234 5678"}], channel="sms")
    assert second.interaction.customer_id == first.interaction.customer_id
    assert not second.customer_created
    assert Customer.objects.count() == 1


def test_unknown_identities_are_attached_to_the_found_customer():
    customer = IdentityFactory(value="ana@example.com").customer
    ingest(
        identities=[
            {"kind": "email", "value": "ana@example.com"},
            {"kind": "handle", "value": "@Ana", "network": "instagram"},
        ]
    )
    assert set(customer.identities.values_list("kind", "value")) == {("email", "ana@example.com"), ("handle", "ana")}


def test_ingest_same_external_id_twice_returns_existing_and_changes_nothing():
    first = ingest(identities=[{"kind": "email", "value": "a@example.com"}], source="shop", external_id="o-1")
    again = ingest(
        identities=[{"kind": "email", "value": "other@example.com"}],
        source="shop",
        external_id="o-1",
        summary="Changed",
    )
    assert again.created is False
    assert again.interaction.pk == first.interaction.pk
    assert Interaction.objects.get().summary == "Hello"
    assert Customer.objects.count() == 1 and Identity.objects.count() == 1


def test_conflicting_identities_go_to_first_customer_and_record_a_suggestion():
    ana = IdentityFactory(value="ana@example.com").customer
    other = IdentityFactory(kind="phone", value="+5511912345678").customer
    result = ingest(
        identities=[{"kind": "email", "value": "ana@example.com"}, {"kind": "phone", "value": "11912345678"}]
    )
    assert result.interaction.customer == ana
    suggestion = MergeSuggestion.objects.get()
    assert (suggestion.customer, suggestion.other, suggestion.status) == (ana, other, "open")
    assert Identity.objects.get(value="+5511912345678").customer == other  # nothing merged silently
    ingest(identities=[{"kind": "phone", "value": "11912345678"}, {"kind": "email", "value": "ana@example.com"}])
    assert MergeSuggestion.objects.count() == 1


def test_folded_customer_id_resolves_to_survivor():
    survivor = CustomerFactory()
    folded = CustomerFactory(merged_into=survivor)
    result = ingest(customer_id=folded.pk)
    assert result.interaction.customer == survivor


def test_outbound_agent_message_on_case_is_first_response(rep_user):
    case = CaseFactory()
    at = timezone.now() - timedelta(minutes=5)
    ingest(customer_id=case.customer_id, case=case.pk, direction="outbound", agent=rep_user, occurred_at=at)
    case.refresh_from_db()
    assert case.first_response_at == at


def test_interaction_recorded_is_sent_after_commit_with_live_flag(django_capture_on_commit_callbacks):
    received = []

    def receiver(sender, interaction, live, **kwargs):
        received.append((sender, interaction.pk, live))

    interaction_recorded.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            result = ingest(identities=[{"kind": "email", "value": "a@example.com"}], live=False)
        assert received == []
        for callback in callbacks:
            callback()
        assert received == [(Interaction, result.interaction.pk, False)]
        received.clear()
        with django_capture_on_commit_callbacks(execute=True):
            ingest(identities=[{"kind": "email", "value": "a@example.com"}], source="x", external_id="1")
            ingest(identities=[{"kind": "email", "value": "a@example.com"}], source="x", external_id="1")
        assert [live for _, _, live in received] == [True]
    finally:
        interaction_recorded.disconnect(receiver)


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"identities": []}, "identities"),
        ({"identities": [{"kind": "fax", "value": "1"}]}, "identities"),
        ({"identities": "a@example.com"}, "identities"),
        ({"customer_id": 999999}, "customer_id"),
        ({"customer_id": "abc"}, "customer_id"),
        ({"customer_id": 1, "channel": "pigeon"}, "channel"),
        ({"customer_id": 1, "occurred_at": "yesterday"}, "occurred_at"),
        ({"customer_id": 1, "touchpoint": "nope"}, "touchpoint"),
        ({"customer_id": 1, "case": 999999}, "case"),
        ({"customer_id": 1, "metadata": [1]}, "metadata"),
        ({"customer_id": 1, "customer": {"timezone": "Mars/Base"}}, "customer"),
    ],
)
def test_bad_input_is_rejected_by_field(kwargs, field):
    CustomerFactory(pk=1)
    with pytest.raises(ValidationError) as exc:
        ingest(**kwargs)
    assert field in exc.value.message_dict
    assert Interaction.objects.count() == 0


def test_case_of_another_customer_is_rejected():
    case = CaseFactory()
    with pytest.raises(ValidationError) as exc:
        ingest(customer_id=CustomerFactory().pk, case=case.pk)
    assert "belongs to another customer" in exc.value.message_dict["case"][0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real concurrent transactions (PostgreSQL)")
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_ingestions_of_one_new_identity_end_with_one_customer():
    for round_ in range(3):
        barrier = threading.Barrier(2)
        errors = []

        def worker(n, round_=round_, barrier=barrier, errors=errors):
            try:
                barrier.wait()
                ingest(
                    identities=[{"kind": "email", "value": f"race{round_}@example.com"}], external_id=f"r{round_}-{n}"
                )
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        identity = Identity.objects.get(value=f"race{round_}@example.com")
        assert (
            Interaction.objects.filter(external_id__startswith=f"r{round_}-", customer=identity.customer).count() == 2
        )
    assert Customer.objects.count() == 3
