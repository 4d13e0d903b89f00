"""Checks of a webhook endpoint's URL when it is saved (the delivery checks the resolved addresses again)."""

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# Why an address is refused, by the ipaddress property that says so (checked in this order).
_REFUSED_REASONS = {
    "loopback": _("%(address)s is a loopback address"),
    "link_local": _("%(address)s is a link-local address"),
    "multicast": _("%(address)s is a multicast address"),
    "unspecified": _("%(address)s is an unspecified address"),
    "reserved": _("%(address)s is a reserved address"),
    "private": _("%(address)s is a private address"),
}


def address_refused(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """Why a webhook may not be sent to `address` ("" when it may): private, loopback, link-local,
    multicast, reserved, unspecified or otherwise not globally routable. An IPv4-mapped IPv6 address is
    judged as its IPv4 address. WEBHOOKS_ALLOW_PRIVATE_ADDRESSES lifts the rule."""
    if getattr(settings, "WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", False):
        return ""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for kind, reason in _REFUSED_REASONS.items():
        if getattr(address, f"is_{kind}"):
            return reason % {"address": address}
    if not address.is_global:
        return gettext("%(address)s is not a public address") % {"address": address}
    return ""


def https_required() -> bool:
    return not (settings.DEBUG or getattr(settings, "WEBHOOKS_ALLOW_HTTP", False))


def webhook_url_validate(url: str) -> None:
    """Raise ValidationError unless `url` is an http(s) URL a webhook may be sent to: https (http only
    with DEBUG on or WEBHOOKS_ALLOW_HTTP), a host, no user name or password, and no private or loopback
    address or `localhost` name written in it (unless WEBHOOKS_ALLOW_PRIVATE_ADDRESSES)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ValidationError(gettext("Not a valid URL: %(error)s.") % {"error": exc}) from None
    if parts.scheme not in ("http", "https"):
        raise ValidationError(gettext("The URL must start with https:// (or http://)."))
    if parts.scheme == "http" and https_required():
        raise ValidationError(gettext("The URL must use https."))
    if not parts.hostname:
        raise ValidationError(gettext("The URL must name a host."))
    if parts.username or parts.password:
        raise ValidationError(gettext("The URL must not hold a user name or password."))
    if port == 0:
        raise ValidationError(gettext("The URL's port must be between 1 and 65535."))
    host = parts.hostname.rstrip(".").lower()
    if getattr(settings, "WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", False):
        return
    if host == "localhost" or host.endswith(".localhost"):
        raise ValidationError(_("Webhooks are not sent to localhost."))
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return
    reason = address_refused(address)
    if reason:
        raise ValidationError(gettext("Webhooks are not sent to this address: %(reason)s.") % {"reason": reason})
