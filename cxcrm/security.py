"""Who is asking: the client's IP address behind the trusted reverse proxies, the keys the login
lockout (django-axes) and the public pages' rate limiter (django-ratelimit) count by, and what
happens when a login is locked out. docs/security.md describes the settings."""

import logging

from django.conf import settings
from django.shortcuts import render

logger = logging.getLogger(__name__)


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


def login_lockout_recorded(sender, request=None, username=None, ip_address=None, **kwargs) -> None:
    """Receiver of axes.signals.user_locked_out: a (username, IP) pair reached the failure limit.
    Logged as a warning and written to the audit log (the username tried, the address; no actor)."""
    from .audit import audit_record
    from .models import AuditAction

    logger.warning("login locked out: username=%r ip=%s", username, ip_address)
    audit_record(
        action=AuditAction.LOGIN_LOCKOUT,
        object_type="auth.user",
        actor=None,
        request=None,
        ip_address=ip_address or None,
        details={"username": username or ""},
    )
