"""Amounts in order summaries: `metadata.amount` in `metadata.currency` (ISO 4217; DEFAULT_CURRENCY when
absent), formatted in the reader's language; a bad amount or currency is refused on ingestion."""

import json

import pytest
from django.urls import reverse

from customers.choices import InteractionType
from customers.models import Interaction
from customers.money import metadata_amount
from customers.services import interaction_input_parse
from cxcrm.choices import Channel

from .factories import CustomerFactory, InteractionFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "metadata,language,shown",
    [
        ({"amount": 1234.5, "currency": "BRL"}, "pt-br", "R$\xa01.234,50"),
        ({"amount": "1234.5", "currency": "EUR"}, "en", "€1,234.50"),
        ({"amount": 1234.5, "currency": "eur"}, "es", "1.234,50\xa0€"),
        ({"amount": 1234, "currency": "JPY"}, "en", "¥1,234"),
        ({"amount": 19.9, "currency": "PLN"}, "pl", "19,90\xa0zł"),
        ({"amount": 19.9}, "en", "R$19.90"),  # DEFAULT_CURRENCY (BRL)
        ({"amount": 19.9, "currency": "XYZ"}, "en", "R$19.90"),  # stored before the check: the default
        ({"amount": "lots"}, "en", ""),
        ({"amount": True}, "en", ""),
        ({"currency": "EUR"}, "en", ""),
        ({}, "en", ""),
        ("not a dict", "en", ""),
    ],
)
def test_amount_is_formatted_in_its_currency_for_the_language(settings, metadata, language, shown):
    settings.DEFAULT_CURRENCY = "BRL"
    assert metadata_amount(metadata, language=language) == shown


def test_default_currency_setting_is_used(settings):
    settings.DEFAULT_CURRENCY = "USD"
    assert metadata_amount({"amount": 5}, language="en") == "$5.00"


def test_the_timeline_shows_the_amount_in_the_readers_language(client, rep_user, settings):
    settings.CUSTOMER_PAGE_PANELS = []
    customer = CustomerFactory()
    InteractionFactory(
        customer=customer,
        channel=Channel.WEB,
        type=InteractionType.PURCHASE,
        summary="Order placed online",
        metadata={"amount": 249.9, "currency": "EUR"},
    )
    client.force_login(rep_user)
    html = client.get(reverse("customers:customer_detail", args=[customer.pk])).content.decode()
    assert 'data-testid="amount">€249.90<' in html
    html = client.get(
        reverse("customers:customer_detail", args=[customer.pk]), HTTP_ACCEPT_LANGUAGE="es"
    ).content.decode()
    assert 'data-testid="amount">249,90\xa0€<' in html


@pytest.mark.parametrize(
    "metadata,message",
    [
        ({"amount": "lots"}, "amount: “lots” is not an amount"),
        ({"amount": 10, "currency": "XYZ"}, "currency: “XYZ” is not an ISO 4217 currency code"),
        ({"amount": 10, "currency": 978}, "currency: “978” is not an ISO 4217 currency code"),
    ],
)
def test_ingestion_refuses_a_bad_amount_or_currency(metadata, message):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        interaction_input_parse(
            {"customer_id": CustomerFactory().pk, "channel": "web", "summary": "Order", "metadata": metadata}
        )
    assert any(message in m for m in error.value.message_dict["metadata"])


def test_ingestion_upper_cases_the_currency_and_keeps_other_keys():
    data = interaction_input_parse(
        {
            "customer_id": CustomerFactory().pk,
            "channel": "web",
            "summary": "Order",
            "occurred_at": "2026-01-05T10:00:00Z",
            "metadata": {"amount": "10.50", "currency": "eur", "order": "A-1"},
        }
    )
    assert data.metadata == {"amount": "10.50", "currency": "EUR", "order": "A-1"}


@pytest.mark.parametrize("amount", [1e28, 1e30, 1e300, 1e15, -1e15, "1e28", 0.0000001, 59.97000000000001])
def test_the_api_refuses_an_out_of_range_amount_single_and_bulk(api_as, integration_user, amount):
    api = api_as(integration_user)
    item = {
        "channel": "web",
        "type": "purchase",
        "occurred_at": "2026-01-05T10:00:00Z",
        "summary": "Order",
        "identities": [{"kind": "email", "value": "big@example.com"}],
        "metadata": {"amount": amount, "currency": "EUR"},
    }
    response = api.post("/api/interactions/", item, format="json")
    assert response.status_code == 400
    assert any(message.startswith("amount: ") for message in response.json()["metadata"])
    response = api.post("/api/interactions/bulk/", [item], format="json")
    assert response.json()["results"][0]["status"] == "error"
    assert "metadata" in response.json()["results"][0]["errors"]
    assert not Interaction.objects.exists()


@pytest.mark.parametrize("amount", [999_999_999_999.99, "999999999999999.999999", -12.5, "0.000001"])
def test_the_api_takes_an_amount_within_the_bound(api_as, integration_user, amount):
    item = {
        "channel": "web",
        "occurred_at": "2026-01-05T10:00:00Z",
        "summary": "Order",
        "identities": [{"kind": "email", "value": "ok@example.com"}],
        "metadata": {"amount": amount, "currency": "EUR"},
    }
    response = api_as(integration_user).post("/api/interactions/", item, format="json")
    assert response.status_code == 201
    assert Interaction.objects.get().metadata["amount"] == amount


@pytest.mark.parametrize(
    "amount,shown",
    [
        (1e25, "€10,000,000,000,000,000,000,000,000.00"),
        (1e28, "1E+28 EUR"),
        (1e30, "1E+30 EUR"),
        (1e300, "1E+300 EUR"),
        ("1e300", "1E+300 EUR"),
    ],
)
def test_a_stored_amount_beyond_the_bound_never_takes_the_customer_page_down(client, rep_user, settings, amount, shown):
    settings.CUSTOMER_PAGE_PANELS = []
    customer = CustomerFactory()
    InteractionFactory(
        customer=customer,
        channel=Channel.WEB,
        type=InteractionType.PURCHASE,
        summary="Order stored before the bound",
        metadata={"amount": amount, "currency": "EUR"},
    )
    assert metadata_amount({"amount": amount, "currency": "EUR"}, language="en") == shown
    client.force_login(rep_user)
    for name in ("customers:customer_detail", "customers:timeline"):
        response = client.get(reverse(name, args=[customer.pk]))
        assert response.status_code == 200
        assert f'data-testid="amount">{shown}<' in response.content.decode()


def test_the_import_refuses_an_out_of_range_amount_by_line(tmp_path):
    from .test_import import run

    path = tmp_path / "amounts.jsonl"
    rows = [
        {
            "channel": "web",
            "type": "purchase",
            "occurred_at": "2026-01-02T10:00:00Z",
            "summary": "ok",
            "email": "a1@example.com",
            "metadata": {"amount": 12.5, "currency": "EUR"},
        },
        {
            "channel": "web",
            "type": "purchase",
            "occurred_at": "2026-01-02T10:00:00Z",
            "summary": "huge",
            "email": "a2@example.com",
            "metadata": {"amount": 1e300, "currency": "EUR"},
        },
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    out, _ = run(path)
    assert "Created 1 interactions" in out and "line 2: metadata: amount: “1e+300” is out of range" in out
    assert list(Interaction.objects.values_list("summary", flat=True)) == ["ok"]
