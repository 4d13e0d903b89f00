"""The audit log's writer: audit_record(), the request it is written from, and the events of Django's
own models (roles and permissions of users and groups, API tokens), which have no service of ours.

Services call audit_record() with what they did; the actor and the client's IP come from the request
being served (AuditRequestMiddleware keeps it for the thread) unless given. Outside a request (a task,
a command, the role sync after migrate) the actor is the system (none).
"""

import contextvars
import logging

from django.db import models as db_models

from .models import AuditAction, AuditEvent
from .security import client_ip

logger = logging.getLogger(__name__)

_current_request: contextvars.ContextVar = contextvars.ContextVar("cxcrm_audit_request", default=None)


class AuditRequestMiddleware:
    """Keeps the request being served, so that audit events written deeper down (services, signal
    receivers) name its user and client IP."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _current_request.reset(token)


def current_request():
    return _current_request.get()


def audit_record(
    *,
    action: str,
    obj: db_models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    actor=None,
    request=None,
    ip_address: str | None = None,
    details: dict | None = None,
    system: bool = False,
) -> AuditEvent:
    """Write one audit event and return it.

    `obj` (or `object_type` "app_label.model" and `object_id`) names what it concerns; `actor` the user
    who did it, else the request's user (the given `request`, else the one being served); `ip_address`
    likewise from the request (cxcrm.security.client_ip, behind TRUSTED_PROXY_COUNT proxies).
    `details` is JSON with ids and counts, never a customer's personal data. `system=True` records the
    system as the actor (background work such as sending surveys) whatever request is being served.
    Raises ValueError for an unknown action.
    """
    if action not in AuditAction.values:
        raise ValueError(f"Unknown audit action {action!r}.")
    request = None if system else (request or current_request())
    if actor is None and request is not None and getattr(request, "user", None) is not None:
        actor = request.user if request.user.is_authenticated else None
    if ip_address is None and request is not None:
        ip_address = client_ip(request) or None
    if obj is not None:
        object_type, object_id = obj._meta.label_lower, obj.pk
    return AuditEvent.objects.create(
        action=action,
        actor=actor,
        actor_label=actor.get_username() if actor is not None else "",
        object_type=object_type,
        object_id="" if object_id in (None, "") else str(object_id),
        ip_address=ip_address,
        details=details or {},
    )


# --------------------------------------------------------------------------- Django's own models


def groups_or_permissions_changed(sender, instance, action, reverse, model, pk_set, **kwargs):
    """m2m_changed of User.groups (a role change), User.user_permissions and Group.permissions (a
    permission change): one event per user or group changed, naming what was added, removed or cleared.
    Adding what is already there changes nothing and writes nothing (Django leaves it out of pk_set)."""
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if action != "post_clear" and not pk_set:
        return
    from django.contrib.auth import get_user_model

    kind = AuditAction.ROLE_CHANGE if sender is get_user_model().groups.through else AuditAction.PERMISSION_CHANGE
    change = {"post_add": "added", "post_remove": "removed", "post_clear": "cleared"}[action]
    if reverse:
        # group.user_set.add(...), permission.group_set.add(...): each of the others changed.
        for target in model.objects.filter(pk__in=pk_set or []):
            audit_record(action=kind, obj=target, details={change: [str(instance)]})
        return
    names = sorted(str(o) for o in model.objects.filter(pk__in=pk_set)) if pk_set else []
    audit_record(action=kind, obj=instance, details={change: names})


def token_saved(sender, instance, created, **kwargs):
    """An API token was created (the key is never written to the log)."""
    if created:
        audit_record(action=AuditAction.TOKEN_CREATED, object_type="auth.user", object_id=instance.user_id, details={})


def token_deleted(sender, instance, **kwargs):
    """An API token was revoked (deleted)."""
    audit_record(action=AuditAction.TOKEN_REVOKED, object_type="auth.user", object_id=instance.user_id, details={})


def login_lockout_recorded(sender, request=None, username=None, ip_address=None, **kwargs) -> None:
    """Receiver of axes.signals.user_locked_out: a (username, IP) pair reached the failure limit.
    Logged as a warning and written to the audit log (the username tried, the address; no actor)."""
    logger.warning("login locked out: username=%r ip=%s", username, ip_address)
    audit_record(
        action=AuditAction.LOGIN_LOCKOUT,
        object_type="auth.user",
        actor=None,
        request=None,
        ip_address=ip_address or None,
        details={"username": username or ""},
    )


def connect_receivers() -> None:
    """Called by cxcrm's AppConfig.ready()."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db.models.signals import m2m_changed, post_delete, post_save
    from rest_framework.authtoken.models import Token

    user_model = get_user_model()
    for through in (user_model.groups.through, user_model.user_permissions.through, Group.permissions.through):
        m2m_changed.connect(groups_or_permissions_changed, sender=through, dispatch_uid=f"cxcrm.audit.{through}")
    post_save.connect(token_saved, sender=Token, dispatch_uid="cxcrm.audit.token_saved")
    post_delete.connect(token_deleted, sender=Token, dispatch_uid="cxcrm.audit.token_deleted")
    from axes.signals import user_locked_out

    user_locked_out.connect(login_lockout_recorded, dispatch_uid="cxcrm.login_lockout_recorded")
