"""The names the admin gives a lifecycle change and an identity (its list's row labels, page titles and
breadcrumbs) read in the reader's language: stages and kinds by their labels, the day in the locale's format."""

from datetime import UTC, datetime

import pytest
from django.utils import translation

from customers.choices import IdentityKind, LifecycleStage
from customers.models import LifecycleChange
from customers.tests.factories import CustomerFactory, IdentityFactory

pytestmark = pytest.mark.django_db


def test_a_lifecycle_change_is_named_by_its_stages_labels_and_a_local_day():
    customer = CustomerFactory()
    change = LifecycleChange(
        customer=customer,
        from_stage=LifecycleStage.ACTIVE,
        to_stage=LifecycleStage.AT_RISK,
        changed_at=datetime(2026, 5, 15, 12, 0, tzinfo=UTC),
    )

    with translation.override("pt-br"):
        assert str(change) == f"{customer.pk}: Ativo → Em risco @ 15/05/2026"
    with translation.override("pl"):
        assert str(change) == f"{customer.pk}: Aktywny → Zagrożony @ 15.05.2026"


def test_an_identity_is_named_by_its_kinds_label():
    identity = IdentityFactory(kind=IdentityKind.PHONE, value="+5511912345678")

    with translation.override("pt-br"):
        assert str(identity) == "Telefone +5511912345678"
