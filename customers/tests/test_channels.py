"""Channel names as integrations send them: any case, and messaging apps or social networks read as their
channel with a `network` (cxcrm.choices.channel_parse); a WhatsApp identity is the customer's phone."""

import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from customers.models import Identity, Interaction
from customers.services import identity_add
from customers.tests.factories import CustomerFactory
from cxcrm.choices import CHANNEL_ALIASES, Channel

pytestmark = pytest.mark.django_db

WHEN = (timezone.now() - timedelta(hours=1)).isoformat()

# (channel as sent, channel stored, network stored)
CHANNELS = [
    ("whatsapp", "chat", "whatsapp"),
    ("WhatsApp", "chat", "whatsapp"),
    ("telegram", "chat", "telegram"),
    ("messenger", "chat", "messenger"),
    ("line", "chat", "line"),
    ("wechat", "chat", "wechat"),
    ("instagram", "social", "instagram"),
    ("Facebook", "social", "facebook"),
    ("tiktok", "social", "tiktok"),
    ("x", "social", "x"),
    ("twitter", "social", "x"),
    ("linkedin", "social", "linkedin"),
    ("Chat", "chat", ""),
    ("EMAIL", "email", ""),
    (" sms ", "sms", ""),
    ("mobile_app", "mobile_app", ""),
]


@pytest.fixture
def integration(api_as, integration_user):
    return api_as(integration_user)


def payload(channel, n=1, **extra):
    return {
        "channel": channel,
        "occurred_at": WHEN,
        "summary": "Hi",
        "identities": [{"kind": "email", "value": f"p{n}@example.com"}],
        **extra,
    }


@pytest.mark.parametrize(("sent", "channel", "network"), CHANNELS)
def test_post_interaction_reads_the_channel_and_its_network(integration, sent, channel, network):
    response = integration.post("/api/interactions/", payload(sent), format="json")
    assert response.status_code == 201, response.json()
    stored = Interaction.objects.get(pk=response.json()["id"])
    assert (stored.channel, stored.network) == (channel, network)
    shown = integration.get(f"/api/interactions/{stored.pk}/").json()
    assert (shown["channel"], shown["network"]) == (channel, network)


@pytest.mark.parametrize("sent", ["pigeon", "fax", "", "whats app", "e-mail"])
def test_an_unknown_channel_is_a_400_listing_the_channels_and_the_aliases(integration, sent):
    response = integration.post("/api/interactions/", payload(sent), format="json")
    assert response.status_code == 400
    message = " ".join(response.json()["channel"])
    for accepted in [*Channel.values, *CHANNEL_ALIASES]:
        assert accepted in message
    assert not Interaction.objects.exists()


def test_a_chat_or_social_interaction_may_name_its_network(integration):
    response = integration.post("/api/interactions/", payload("chat", network="Viber"), format="json")
    assert response.status_code == 201, response.json()
    assert Interaction.objects.get().network == "viber"
    response = integration.post("/api/interactions/", payload("whatsapp", 2, network="whatsapp"), format="json")
    assert response.status_code == 201


def test_an_alias_and_another_network_contradict_each_other(integration):
    response = integration.post("/api/interactions/", payload("whatsapp", network="telegram"), format="json")
    assert response.status_code == 400
    assert "network" in response.json()
    assert not Interaction.objects.exists()


def test_bulk_and_import_read_aliases_the_same(integration, tmp_path):
    items = [payload("whatsapp", 1), payload("Instagram", 2), payload("Chat", 3), payload("carrier pigeon", 4)]
    results = integration.post("/api/interactions/bulk/", items, format="json").json()["results"]
    assert [r["status"] for r in results] == ["created", "created", "created", "error"]
    path = tmp_path / "history.jsonl"
    path.write_text("\n".join(json.dumps(payload(c, 10 + n)) for n, c in enumerate(["telegram", "LinkedIn"])))
    call_command("import_interactions", str(path), "--no-progress", stdout=io.StringIO())
    stored = sorted(Interaction.objects.values_list("channel", "network"))
    assert stored == [
        ("chat", ""),
        ("chat", "telegram"),
        ("chat", "whatsapp"),
        ("social", "instagram"),
        ("social", "linkedin"),
    ]


def test_interactions_can_be_filtered_by_network(integration):
    for n, channel in enumerate(["whatsapp", "telegram", "whatsapp", "chat"]):
        integration.post("/api/interactions/", payload(channel, n), format="json")
    results = integration.get("/api/interactions/", {"network": "WhatsApp"}).json()["results"]
    assert len(results) == 2 and {r["network"] for r in results} == {"whatsapp"}


@pytest.mark.parametrize(
    "kind, value, network",
    [
        ("whatsapp", "+55 41 98799-1234", "whatsapp"),
        ("WhatsApp", "+55 41 98799-1234", "whatsapp"),
        ("sms", "+55 41 98799-1234", ""),
        ("mobile", "+55 41 98799-1234", ""),
        ("PHONE", "+55 41 98799-1234", ""),
        # A handle or an external id (the Business API's wa_id) on WhatsApp is the phone number too.
        ("handle", "+55 41 98799-1234", "WhatsApp"),
        ("handle", "554187991234", "whatsapp"),
        ("external_id", "5541987991234", "whatsapp"),
    ],
)
def test_a_whatsapp_identity_is_the_customers_phone(integration, kind, value, network):
    first = {**payload("whatsapp"), "identities": [{"kind": kind, "value": value, "network": network}]}
    second = {**payload("phone"), "identities": [{"kind": "phone", "value": "+5541987991234"}]}
    one = integration.post("/api/interactions/", first, format="json").json()["customer"]
    two = integration.post("/api/interactions/", second, format="json").json()["customer"]
    assert one == two
    assert list(Identity.objects.values_list("kind", "network", "value")) == [("phone", "", "+5541987991234")]


def test_the_customers_api_and_the_service_take_a_whatsapp_identity(api_as, rep_user):
    response = api_as(rep_user).post(
        "/api/customers/",
        {"first_name": "Ana", "identities": [{"kind": "whatsapp", "value": "+30 694 123 4567"}]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["identities"][0]["kind"] == "phone"
    customer = CustomerFactory()
    identity = identity_add(customer=customer, kind="whatsapp", value="+48 512 345 678")
    assert (identity.kind, identity.network, identity.value) == ("phone", "", "+48512345678")


def test_the_rep_sees_the_network_of_a_whatsapp_message_on_the_timeline(client, rep_user, api_as):
    body = {"channel": "whatsapp", "type": "message", "occurred_at": WHEN, "summary": "Where is my order?"}
    body["identities"] = [{"kind": "phone", "value": "+5511912345678"}]
    created = api_as(rep_user).post("/api/interactions/", body, format="json")
    assert created.status_code == 201, created.content
    customer_id = Interaction.objects.get(pk=created.json()["id"]).customer_id
    client.force_login(rep_user)

    page = client.get(f"/customers/{customer_id}/").content.decode()

    item = page.split('data-testid="timeline-item"', 1)[1].split("</li>", 1)[0]
    assert 'data-channel="chat"' in page and 'data-testid="timeline-network">whatsapp<' in item


# --------------------------------------------------------------------------- every door that takes a channel


def test_every_body_field_that_names_a_channel_reads_it_as_integrations_send_it(api_as, rep_user, marketer_user):
    from feedback.tests.factories import SurveyFactory

    rep, marketer = api_as(rep_user), api_as(marketer_user)
    customer = CustomerFactory()

    case = rep.post("/api/cases/", {"customer": customer.pk, "subject": "Late", "origin": "WhatsApp"}, format="json")
    assert case.status_code == 201, case.json()
    assert case.json()["origin"] == "chat"
    survey_case = rep.post("/api/cases/", {"customer": customer.pk, "subject": "x", "origin": "Survey"}, format="json")
    assert survey_case.json()["origin"] == "survey"
    profile = rep.patch(f"/api/customers/{customer.pk}/", {"preferred_channel": "Chat"}, format="json")
    assert profile.status_code == 200 and profile.json()["preferred_channel"] == "chat"
    rule = marketer.post(
        "/api/survey-rules/",
        {"survey": SurveyFactory().pk, "name": "After chats", "channel": "whatsapp"},
        format="json",
    )
    assert rule.status_code == 201, rule.json()
    assert rule.json()["channel"] == "chat"
    persona = marketer.post(
        "/api/personas/", {"name": "Mobile first", "preferred_channels": ["whatsapp", "Instagram"]}, format="json"
    )
    assert persona.status_code == 201, persona.json()
    assert persona.json()["preferred_channels"] == ["chat", "social"]

    refused = rep.post("/api/cases/", {"customer": customer.pk, "subject": "x", "origin": "pigeon"}, format="json")
    assert refused.status_code == 400
    message = refused.json()["origin"][0]
    assert '"pigeon" is not a valid choice' in message and "email" in message and "whatsapp" in message


def test_channel_filters_read_any_case_and_an_alias_narrows_to_its_network(integration, rep_user, api_as):
    for n, channel in enumerate(["whatsapp", "telegram", "chat", "email"]):
        integration.post("/api/interactions/", payload(channel, n), format="json")
    rep = api_as(rep_user)

    assert len(rep.get("/api/interactions/", {"channel": "CHAT"}).json()["results"]) == 3
    whatsapp = rep.get("/api/interactions/", {"channel": "WhatsApp"}).json()["results"]
    assert [(r["channel"], r["network"]) for r in whatsapp] == [("chat", "whatsapp")]
    assert rep.get("/api/customers/", {"channel": "whatsapp"}).json()["count"] == 1
    assert rep.get("/api/customers/", {"channel": "Chat"}).json()["count"] == 3
    customer_id = whatsapp[0]["customer"]
    timeline = rep.get(f"/api/customers/{customer_id}/timeline/", {"channel": "telegram"}).json()
    assert timeline["results"] == []

    refused = rep.get("/api/interactions/", {"channel": "pigeon"})
    assert refused.status_code == 400 and "whatsapp" in refused.json()["channel"][0]


@pytest.mark.parametrize(
    "channel, network, stored",
    [
        ("chat", "WhatsApp", ("chat", "whatsapp")),
        ("social", "twitter", ("social", "x")),
        ("social", "fb", ("social", "facebook")),
        ("twitter", "twitter", ("social", "x")),
    ],
)
def test_a_given_network_is_read_by_its_documented_name(integration, channel, network, stored):
    response = integration.post("/api/interactions/", payload(channel, network=network), format="json")
    assert response.status_code == 201, response.json()
    assert Interaction.objects.values_list("channel", "network").get() == stored
