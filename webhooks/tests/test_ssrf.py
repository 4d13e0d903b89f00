"""The SSRF guard: no webhook to a private, loopback, link-local or reserved address unless allowed, the
addresses checked are the ones connected to, and the URL is checked when the endpoint is saved."""

import socket
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from webhooks import services, transport
from webhooks.models import WebhookDelivery
from webhooks.validators import webhook_url_validate

pytestmark = pytest.mark.django_db


def fake_dns(mapping):
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host in mapping:
            family = socket.AF_INET6 if ":" in mapping[host][0] else socket.AF_INET
            return [(family, socket.SOCK_STREAM, 6, "", (a, port)) for a in mapping[host]]
        return real(host, port, *args, **kwargs)

    return mock.patch("webhooks.transport.socket.getaddrinfo", side_effect=getaddrinfo)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
        "http://224.0.0.1/hook",
        "http://localhost/hook",
    ],
)
def test_private_and_loopback_addresses_are_refused_before_any_connection(settings, url):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    with mock.patch("urllib3.HTTPConnectionPool.urlopen") as urlopen, pytest.raises(transport.AddressRefused):
        transport.post(url, body=b"{}", headers={}, timeout=1)
    urlopen.assert_not_called()


def test_a_hostname_resolving_to_loopback_is_refused_and_the_receiver_gets_nothing(settings, receiver):
    endpoint = services.webhook_endpoint_create(
        url=f"http://hooks.example.test:{receiver.port}/in", events=["case.opened"]
    )
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    now = timezone.now()
    services.deliveries_fan_out_event(
        event_type="case.opened", event_id="msg_1", occurred_at=now, resources=lambda: [("", {"id": 1})], now=now
    )
    with fake_dns({"hooks.example.test": ["127.0.0.1"]}):
        assert services.deliveries_send_due(now=now) == {"failed": 1}
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.last_error.startswith("refused: hooks.example.test resolves to 127.0.0.1 is a loopback address")
    assert delivery.last_status_code is None
    assert receiver.received == []


def test_every_resolved_address_is_checked_not_only_the_first(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    with (
        fake_dns({"mixed.example.test": ["93.184.216.34", "10.0.0.7"]}),
        pytest.raises(transport.AddressRefused, match="10.0.0.7"),
    ):
        transport.checked_address("mixed.example.test", 443)


def test_the_connection_goes_to_the_address_checked_with_the_urls_host_header(receiver):
    # DNS answers once; a second lookup (a rebinding attacker's chance) would point elsewhere.
    answers = iter([["127.0.0.1"], ["10.9.9.9"]])
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host == "hooks.example.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in next(answers)]
        return real(host, port, *args, **kwargs)

    with mock.patch("webhooks.transport.socket.getaddrinfo", side_effect=getaddrinfo) as lookup:
        result = transport.post(f"http://hooks.example.test:{receiver.port}/in?x=1", body=b"{}", headers={}, timeout=2)
    assert result.status in (200, 400)
    # The name is looked up once; the connection is made to the address (a literal, no lookup).
    assert [c.args[0] for c in lookup.call_args_list if c.args[0] != "127.0.0.1"] == ["hooks.example.test"]
    [got] = receiver.received
    assert got["headers"]["host"] == f"hooks.example.test:{receiver.port}" and got["path"] == "/in?x=1"


def test_https_connects_to_the_checked_address_with_the_host_name_as_sni():
    with (
        fake_dns({"hooks.example.com": ["93.184.216.34"]}),
        mock.patch("webhooks.transport.urllib3.HTTPSConnectionPool") as pool,
    ):
        pool.return_value.urlopen.return_value.status = 204
        pool.return_value.urlopen.return_value.read.return_value = b""
        transport.post("https://hooks.example.com/in", body=b"{}", headers={}, timeout=5)
    args, kwargs = pool.call_args
    assert args[:2] == ("93.184.216.34", 443)
    assert kwargs["server_hostname"] == kwargs["assert_hostname"] == "hooks.example.com"
    assert kwargs["cert_reqs"] == "CERT_REQUIRED"
    sent = pool.return_value.urlopen.call_args.kwargs
    assert sent["headers"]["Host"] == "hooks.example.com" and sent["redirect"] is False


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://hooks.example.com/x", "https://"),
        ("http://hooks.example.com/x", "must use https"),
        ("https://user:pw@hooks.example.com/x", "user name or password"),
        ("https://127.0.0.1/x", "loopback"),
        ("https://10.0.0.1/x", "private"),
        ("https://169.254.169.254/x", "link-local"),
        ("https://[::1]/x", "loopback"),
        ("https://localhost:8000/x", "localhost"),
    ],
)
def test_a_refused_url_is_a_validation_error_when_saved(settings, url, message):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    settings.WEBHOOKS_ALLOW_HTTP = False
    settings.DEBUG = False
    with pytest.raises(ValidationError, match=message):
        webhook_url_validate(url)


def test_https_to_a_public_host_is_accepted(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    settings.WEBHOOKS_ALLOW_HTTP = False
    webhook_url_validate("https://hooks.example.com/in?token=abc")


def test_an_internationalised_host_is_looked_up_and_sent_as_its_a_label(receiver):
    with fake_dns({"xn--bcher-kva.example.test": ["127.0.0.1"]}):
        result = transport.post(f"http://bücher.example.test:{receiver.port}/in", body=b"{}", headers={}, timeout=2)
    assert result.status == 400  # unsigned: the receiver refuses it, but it got there
    assert receiver.received[0]["headers"]["host"] == f"xn--bcher-kva.example.test:{receiver.port}"
