"""Who is asking: the client's IP address behind the trusted reverse proxies, the keys the login
lockout (django-axes) and the public pages' rate limiter (django-ratelimit) count by, and the page a
locked-out login gets (its audit event: cxcrm.audit.login_lockout_recorded). docs/security.md has the
settings."""

from django.conf import settings
from django.shortcuts import render


def client_ip(request) -> str:
    """The client's IP address as text.

    With TRUSTED_PROXY_COUNT = 0 (nothing in front of the application server) it is the socket's
    peer, REMOTE_ADDR. With N trusted proxies, each appending the address it received the request
    from to X-Forwarded-For, it is the N-th address from the right of that header: the one the
    outermost trusted proxy saw. Addresses further left were written by the client and are never
    believed. A request carrying fewer addresses than N did not come through every proxy, so the
    peer address is kept (a client cannot choose its own key by sending the header).
    """
    peer = request.META.get("REMOTE_ADDR") or ""
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return peer
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < count:
        return peer
    return forwarded[-count]


def ratelimit_ip_key(group: str, request) -> str:
    """django-ratelimit key: the client's IP address (client_ip), whatever proxies stand in front."""
    return client_ip(request)


def login_locked_out_response(request, original_response=None, credentials=None):
    """django-axes' answer to a locked-out login: our page (429) saying when to try again."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "registration/locked_out.html", {"cooloff_minutes": minutes}, status=429)
