"""DirectReadModelSerializer gives DRF's output, field for field, for every kind of value an interaction holds."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation
from rest_framework import serializers

from customers.api.serializers import InteractionSerializer
from customers.models import Interaction
from customers.tests.factories import CaseFactory, CustomerFactory, InteractionFactory
from cxcrm.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def drf_output(instance):
    """What DRF's own Serializer.to_representation gives for the same fields."""
    return dict(serializers.ModelSerializer.to_representation(InteractionSerializer(), instance))


def test_every_field_of_a_full_and_of_a_sparse_interaction_reads_as_drf_reads_it():
    customer = CustomerFactory()
    full = InteractionFactory(
        customer=customer,
        agent=UserFactory(),
        case=CaseFactory(customer=customer),
        touchpoint_key="checkout",
        campaign="spring",
        network="whatsapp",
        channel="chat",
        body="Olá, ação & <b>",
        metadata={"amount": "12.50", "currency": "BRL", "items": [1, {"a": None}]},
        occurred_at=timezone.now() - timedelta(days=3, microseconds=1234),
        external_id="x-1",
    )
    sparse = InteractionFactory(customer=customer, agent=None, case=None, touchpoint=None, metadata={})
    rows = list(Interaction.objects.filter(pk__in=[full.pk, sparse.pk]).order_by("pk"))
    for language in ("en", "pl"):
        with translation.override(language):
            assert [InteractionSerializer(row).data for row in rows] == [drf_output(row) for row in rows]
    listed = InteractionSerializer(rows, many=True).data
    assert listed == [drf_output(row) for row in rows]
    assert listed[0]["case"] == full.case_id and listed[1]["agent"] is None
    assert listed[0]["occurred_at"].endswith("Z") or "+" in listed[0]["occurred_at"]
