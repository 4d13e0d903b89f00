"""One parser for interaction input: the API, its bulk endpoint and the file import refuse the same input
with the same messages, check a batch with a constant number of queries and parse each phone once."""

import io
import json
from datetime import UTC, datetime

import phonenumbers
import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import include, path
from drf_spectacular.generators import SchemaGenerator

from customers.models import Customer, Interaction
from customers.services import (
    InteractionInput,
    inputs_read,
    interaction_input_parse,
    interaction_inputs_parse,
    interactions_import,
)
from cxcrm.choices import CHANNEL_ALIASES, channel_unknown
from cxcrm.tests.factories import UserFactory
from journeys.tests.factories import JourneyMapFactory, StageFactory, TouchpointFactory

pytestmark = pytest.mark.django_db

GOOD = {"channel": "chat", "occurred_at": "2024-05-01T14:30:00Z", "summary": "Where is my order?"}
EMAIL = [{"kind": "email", "value": "ana@example.com"}]
NAIVE_MESSAGE = "Give the time zone: a UTC offset (+02:00, -03:00) or Z; a time without one is not taken as UTC."
RANGE_MESSAGE = "Give a time between 1970-01-01 and 2100-12-31 (UTC)."
# Inside an object or a list (cxcrm.validators.json_storable_check).
UNSTORABLE = "Remove the character {}: text may not hold NUL (U+0000) or a lone surrogate (U+D800 to U+DFFF)."


@pytest.fixture
def integration(api_as, integration_user):
    return api_as(integration_user)


def jsonl(tmp_path, *rows) -> str:
    file = tmp_path / "rows.jsonl"
    file.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return str(file)


# --------------------------------------------------------------------------- every door, the same messages

BAD_INPUTS = {
    "a bad phone": (
        {**GOOD, "identities": [{"kind": "phone", "value": "12"}]},
        {
            "identities": [
                "“12” is not a valid phone number in the region BR; give it in international format, "
                "e.g. +55 11 91234-5678."
            ]
        },
    ),
    "an unknown channel": (
        {**GOOD, "channel": "pigeon", "identities": EMAIL},
        {"channel": [channel_unknown("pigeon")]},
    ),
    "no identity nor customer id": (GOOD, {"identities": ["Give at least one identity or a customer_id."]}),
    "a bad date": (
        {**GOOD, "occurred_at": "yesterday", "identities": EMAIL},
        {
            "occurred_at": [
                "Datetime has wrong format. Use one of these formats instead: "
                "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
            ]
        },
    ),
    "an unknown touchpoint key": (
        {**GOOD, "touchpoint": "nope", "identities": EMAIL},
        {"touchpoint": ["Unknown touchpoint key “nope” (not in a published journey map)."]},
    ),
    "an unknown customer id": ({**GOOD, "customer_id": 999999}, {"customer_id": ["No customer with id 999999."]}),
    "metadata that is not an object": (
        {**GOOD, "metadata": [1], "identities": EMAIL},
        {"metadata": ['Expected a dictionary of items but got type "list".']},
    ),
    "a time without a zone": (
        {**GOOD, "occurred_at": "2026-01-05T10:00:00", "identities": EMAIL},
        {"occurred_at": [NAIVE_MESSAGE]},
    ),
    "the poison date (year 9999 at -12:00)": (
        {**GOOD, "occurred_at": "9999-12-31T23:59:59-12:00", "identities": EMAIL},
        {"occurred_at": [RANGE_MESSAGE]},
    ),
    "a year before 1970": (
        {**GOOD, "occurred_at": "0001-01-01T00:00:00+01:00", "identities": EMAIL},
        {"occurred_at": [RANGE_MESSAGE]},
    ),
    "an offset beyond 14 hours": (
        {**GOOD, "occurred_at": "2024-01-01T00:00:00-21:00", "identities": EMAIL},
        {"occurred_at": ["The UTC offset -21:00 is outside -14:00 to +14:00."]},
    ),
    "a NUL in metadata": (
        {**GOOD, "metadata": {"note": "a\x00b"}, "identities": EMAIL},
        {"metadata": [UNSTORABLE.format("U+0000")]},
    ),
    "a NUL deep in metadata": (
        {**GOOD, "metadata": {"order": {"lines": ["ok", "\x00"]}}, "identities": EMAIL},
        {"metadata": [UNSTORABLE.format("U+0000")]},
    ),
    "a NUL in a metadata key": (
        {**GOOD, "metadata": {"a\x00": 1}, "identities": EMAIL},
        {"metadata": [UNSTORABLE.format("U+0000")]},
    ),
    "a lone surrogate in metadata": (
        {**GOOD, "metadata": {"note": "\ud800"}, "identities": EMAIL},
        {"metadata": [UNSTORABLE.format("U+D800")]},
    ),
    "a NUL in the summary": (
        {**GOOD, "summary": "Hi\x00", "identities": EMAIL},
        {"summary": ["Null characters are not allowed."]},
    ),
    "a NUL in the body": (
        {**GOOD, "body": "\x00", "identities": EMAIL},
        {"body": ["Null characters are not allowed."]},
    ),
    "a NUL in the customer's name": (
        {**GOOD, "customer": {"first_name": "Ana\x00"}, "identities": EMAIL},
        {"customer": [UNSTORABLE.format("U+0000")]},
    ),
    "a NUL in an identity": (
        {**GOOD, "identities": [{"kind": "email", "value": "ana\x00@example.com"}]},
        {"identities": [UNSTORABLE.format("U+0000")]},
    ),
    "a lone surrogate in the external id": (
        {**GOOD, "external_id": "x\udfff", "identities": EMAIL},
        {"external_id": ["Surrogate characters are not allowed: U+DFFF."]},
    ),
}


@pytest.mark.parametrize("payload, expected", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_every_door_refuses_the_same_input_with_the_same_message(integration, tmp_path, payload, expected):
    # Sent as JSON text with escapes ("\\u0000", "\\ud800"), as a client sends them.
    single = integration.post("/api/interactions/", json.dumps(payload), content_type="application/json")
    bulk = integration.post("/api/interactions/bulk/", json.dumps([payload]), content_type="application/json")
    bulk = bulk.json()["results"]
    imported = interactions_import(inputs_read(jsonl(tmp_path, payload)))

    assert (single.status_code, single.json()) == (400, expected)
    assert bulk == [{"index": 0, "status": "error", "errors": expected}]
    assert imported.errors == [(1, expected)]
    assert not Interaction.objects.exists() and not Customer.objects.exists()


def test_the_import_report_names_the_line_and_the_message(tmp_path):
    out = io.StringIO()
    rows = [{**GOOD, "identities": EMAIL}, {**GOOD, "channel": "pigeon", "identities": EMAIL}]
    call_command("import_interactions", jsonl(tmp_path, *rows), "--no-progress", stdout=out)

    assert "Created 1 interactions" in out.getvalue()
    assert 'line 2: channel: "pigeon" is not a valid choice.' in out.getvalue()


def test_all_of_an_items_field_errors_are_given_at_once(integration):
    response = integration.post(
        "/api/interactions/", {"channel": "pigeon", "summary": " ", "touchpoint": "nope", "customer_id": "x"}
    )
    assert response.status_code == 400
    assert response.json() == {
        "channel": [channel_unknown("pigeon")],
        "occurred_at": ["This field is required."],
        "summary": ["Give a short summary."],
        "customer_id": ["A valid integer is required."],
        "touchpoint": ["Unknown touchpoint key “nope” (not in a published journey map)."],
    }


@pytest.mark.parametrize(
    "item, field, message",
    [
        ({**GOOD, "summary": "a\x00b"}, "summary", "Null characters are not allowed."),
        ({**GOOD, "summary": "x" * 301}, "summary", "Ensure this field has no more than 300 characters."),
        ({**GOOD, "customer_id": 1, "occurred_at": 12}, "occurred_at", None),
        ({**GOOD, "customer_id": 0}, "customer_id", "Ensure this value is greater than or equal to 1."),
        ({**GOOD, "customer_id": True}, "customer_id", "A valid integer is required."),
        ({**GOOD, "customer_id": 1, "agent": 999999}, "agent", 'Invalid pk "999999" - object does not exist.'),
        ({**GOOD, "customer_id": 1, "agent": "x"}, "agent", "Incorrect type. Expected pk value, received str."),
        ({**GOOD, "customer_id": 1, "source": ""}, "source", "This field may not be blank."),
        (
            {**GOOD, "customer_id": 1, "customer": "Ana"},
            "customer",
            "Invalid data. Expected a dictionary, but got str.",
        ),
        (["not", "an", "object"], "non_field_errors", "Invalid data. Expected a dictionary, but got list."),
        (
            {**GOOD, "customer_id": 1, "metadata": {"x": float("nan")}},
            "metadata",
            "NaN and Infinity are not JSON numbers.",
        ),
        (
            {**GOOD, "customer_id": 1, "metadata": {"x": [float("inf")]}},
            "metadata",
            "NaN and Infinity are not JSON numbers.",
        ),
    ],
)
def test_bad_values_are_refused_by_field(item, field, message):
    with pytest.raises(ValidationError) as exc:
        interaction_input_parse(item)
    assert field in exc.value.message_dict
    if message:
        assert exc.value.message_dict[field] == [message]


# --------------------------------------------------------------------------- typed values


def test_a_valid_item_becomes_a_typed_normalised_input(rep_user):
    touchpoint = TouchpointFactory(stage=StageFactory(journey_map=JourneyMapFactory(status="published")), key="chat")
    (data,) = interaction_inputs_parse(
        [
            {
                "channel": " chat ",
                "occurred_at": "2024-05-01T11:30:00-03:00",
                "summary": "  Where is my order?  ",
                "identities": [
                    {"kind": "phone", "value": "(11) 91234-5678"},
                    {"kind": "email", "value": " Ana@Example.com "},
                    {"kind": "phone", "value": "+55 11 91234 5678"},  # the same phone again
                ],
                "customer": {"first_name": "Ana", "country": "br", "colour": "red"},
                "touchpoint": "chat",
                "case": "7",
                "agent": str(rep_user.pk),
            }
        ]
    )
    assert isinstance(data, InteractionInput)
    assert data.occurred_at == datetime(2024, 5, 1, 14, 30, tzinfo=UTC)
    assert data.summary == "Where is my order?" and data.channel == "chat"
    assert [(i.kind, i.value) for i in data.identities] == [("phone", "+5511912345678"), ("email", "ana@example.com")]
    assert data.customer_details == {"first_name": "Ana", "country": "BR"}  # unknown detail keys are ignored
    assert (data.touchpoint, data.touchpoint_key, data.case_id, data.agent) == (touchpoint, "chat", 7, rep_user)
    assert (data.direction, data.type, data.source, data.metadata) == ("inbound", "message", "api", {})


@pytest.mark.parametrize("naive", ["2024-05-01T11:30:00", datetime(2024, 5, 1, 11, 30)])
def test_a_time_without_a_zone_is_refused_not_read_as_utc_or_local(settings, naive):
    settings.TIME_ZONE = "America/Sao_Paulo"
    with pytest.raises(ValidationError) as refused:
        interaction_input_parse({**GOOD, "occurred_at": naive, "customer_id": 1})
    assert refused.value.message_dict == {"occurred_at": [NAIVE_MESSAGE]}


# --------------------------------------------------------------------------- a batch in one pass


@pytest.mark.parametrize("size", [1, 200])
def test_a_batch_is_checked_with_a_constant_number_of_queries(size, django_assert_max_num_queries):
    journey_map = JourneyMapFactory(status="published")
    keys = [TouchpointFactory(stage=StageFactory(journey_map=journey_map)).key for _ in range(5)]
    agents = [UserFactory().pk for _ in range(3)]
    items = [
        {
            **GOOD,
            "summary": f"Message {n}",
            "identities": [
                {"kind": "phone", "value": f"+55 11 9{n:04d}-5678"},
                {"kind": "email", "value": f"p{n}@x.org"},
            ],
            "touchpoint": keys[n % 5] if n % 7 else "unknown-key",
            "agent": agents[n % 3],
        }
        for n in range(size)
    ]

    with django_assert_max_num_queries(2):  # the touchpoints, the agents
        results = interaction_inputs_parse(items)

    refused = [n for n, result in enumerate(results) if not isinstance(result, InteractionInput)]
    assert refused == list(range(0, size, 7))
    assert results[0] == {"touchpoint": ["Unknown touchpoint key “unknown-key” (not in a published journey map)."]}
    accepted = [results[n] for n in range(size) if n not in refused]
    assert all(data.touchpoint.key == data.touchpoint_key and data.agent.is_staff for data in accepted)


def test_a_bulk_request_of_200_invalid_items_takes_a_few_queries(integration, django_assert_max_num_queries):
    items = [{**GOOD, "touchpoint": f"key-{n}", "identities": EMAIL} for n in range(200)]
    with django_assert_max_num_queries(4):  # the token, the permissions, the touchpoint keys
        results = integration.post("/api/interactions/bulk/", items, format="json").json()["results"]
    assert {r["status"] for r in results} == {"error"}


# --------------------------------------------------------------------------- each phone parsed once


@pytest.fixture
def phone_parses(monkeypatch):
    """The numbers given to phonenumbers.parse, in order."""
    calls = []
    parse = phonenumbers.parse

    def counting(number, *args, **kwargs):
        calls.append(number)
        return parse(number, *args, **kwargs)

    monkeypatch.setattr(phonenumbers, "parse", counting)
    return calls


def phone_item(n: int) -> dict:
    return {**GOOD, "external_id": f"p-{n}", "identities": [{"kind": "phone", "value": f"(11) 9{n:04d}-5678"}]}


def test_the_api_parses_each_phone_once(integration, phone_parses):
    assert integration.post("/api/interactions/", phone_item(1), format="json").status_code == 201
    assert phone_parses == ["(11) 90001-5678"]


def test_the_bulk_api_parses_each_phone_once(integration, phone_parses):
    results = integration.post("/api/interactions/bulk/", [phone_item(n) for n in range(30)], format="json")
    assert {r["status"] for r in results.json()["results"]} == {"created"}
    assert sorted(phone_parses) == sorted(f"(11) 9{n:04d}-5678" for n in range(30))


def test_a_batch_that_falls_back_to_one_by_one_still_parses_each_phone_once(integration, phone_parses, monkeypatch):
    from django.db import IntegrityError

    from customers.services import ingest

    def collide(fresh, attempt):
        raise IntegrityError("identity taken meanwhile")

    monkeypatch.setattr(ingest, "_ingest_resolved", collide)
    results = integration.post("/api/interactions/bulk/", [phone_item(n) for n in range(5)], format="json")
    assert {r["status"] for r in results.json()["results"]} == {"created"}
    assert len(phone_parses) == 5


def test_the_import_parses_each_phone_once(tmp_path, phone_parses):
    file = tmp_path / "calls.csv"
    file.write_text(
        "channel,occurred_at,summary,phone\n"
        + "".join(f"phone,2024-01-01T10:00:00Z,Call {n},(11) 9{n:04d}-5678\n" for n in range(40))
    )
    summary = interactions_import(inputs_read(file, chunk_size=15), chunk_size=15)
    assert (summary.created, summary.errors) == (40, [])
    assert len(phone_parses) == 40


def test_creating_a_customer_through_the_api_parses_its_phone_once(api_as, rep_user, phone_parses):
    body = {"first_name": "Ana", "identities": [{"kind": "phone", "value": "(11) 91234-5678"}]}
    response = api_as(rep_user).post("/api/customers/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["identities"][0]["value"] == "+5511912345678"
    assert phone_parses == ["(11) 91234-5678"]


# --------------------------------------------------------------------------- the file import keeps its keys


def test_a_file_imported_by_an_earlier_version_reimports_to_nothing(tmp_path):
    """Rows without an external_id are keyed by a hash of their content: the same hash as before."""
    file = tmp_path / "old.csv"
    file.write_text(
        "channel,occurred_at,summary,phone,first_name,metadata,email,external_id\n"
        'sms,2024-01-02T10:00:00Z,Delivery,(11) 91234-5678,Bob,"{""order"": 9}",,\n'
    )
    ((line, data),) = inputs_read(file)
    assert (line, data.source, data.external_id) == (2, "import", "row-dde607978b5c14a849f847e2e2da562853a87714")
    assert data.customer_details == {"first_name": "Bob"} and data.metadata == {"order": 9}


# --------------------------------------------------------------------------- the schema documents the parser's rules


def test_the_schema_documents_the_limits_and_choices_the_parser_applies():
    generator = SchemaGenerator(patterns=[path("api/", include("customers.api.urls"))])
    schemas = generator.get_schema(request=None, public=True)["components"]["schemas"]
    body = schemas["InteractionIngestRequest"]["properties"]
    for name, field in [
        ("summary", "summary"),
        ("source", "source"),
        ("external_id", "external_id"),
        ("touchpoint", "touchpoint_key"),
        ("campaign", "campaign"),
        ("network", "network"),
    ]:
        assert body[name]["maxLength"] == Interaction._meta.get_field(field).max_length, name
    for name in ("channel", "direction", "type"):
        ref = body[name].get("$ref") or body[name]["allOf"][0]["$ref"]
        enum = schemas[ref.rsplit("/", 1)[1]]["enum"]
        # A channel may also be given as a messaging app or social network (cxcrm.choices.CHANNEL_ALIASES).
        aliases = set(CHANNEL_ALIASES) if name == "channel" else set()
        assert set(enum) == {value for value, _ in Interaction._meta.get_field(name).choices} | aliases, name
    assert set(body) == {
        "channel",
        "network",
        "occurred_at",
        "summary",
        "body",
        "direction",
        "type",
        "identities",
        "customer_id",
        "customer",
        "source",
        "external_id",
        "touchpoint",
        "case",
        "campaign",
        "metadata",
        "agent",
    }
