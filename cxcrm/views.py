"""Shared pages: the per-role home and the health check; base view mixins."""

import logging

from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.db import connection
from django.http import HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from .celery import app as celery_app
from .i18n import user_language_set
from .models import Heartbeat
from .navigation import nav_for
from .roles import ROLE_HOME, is_api_only, user_roles

logger = logging.getLogger(__name__)


class StaffPermissionMixin(LoginRequiredMixin, PermissionRequiredMixin):
    """Base for staff pages: anonymous users go to login, users without the
    permission get 403 (raise_exception once signed in), and so do API-only users
    (integrations), whatever permissions they hold."""

    def has_permission(self):
        return not is_api_only(self.request.user) and super().has_permission()

    def handle_no_permission(self):
        if self.request.user.is_authenticated:
            self.raise_exception = True
        return super().handle_no_permission()


class ClampedPaginationMixin:
    """For ListViews: a page number out of range shows the last page and one that is not
    a number the first (Paginator.get_page), instead of Django's 404."""

    def paginate_queryset(self, queryset, page_size):
        paginator = self.get_paginator(
            queryset, page_size, orphans=self.get_paginate_orphans(), allow_empty_first_page=self.get_allow_empty()
        )
        page = paginator.get_page(self.request.GET.get(self.page_kwarg))
        return paginator, page, page.object_list, page.has_other_pages()


def home(request):
    if not request.user.is_authenticated:
        return redirect("login")
    roles = user_roles(request.user)
    for role in roles:
        for url_name in ROLE_HOME.get(role, ()):
            try:
                return redirect(reverse(url_name))
            except NoReverseMatch:
                continue
    return render(request, "home.html", {"roles": roles, "cards": nav_for(request.user)})


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_broker() -> None:
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=3)
        # A channel proves the transport answers, not just that a socket opened.
        conn.default_channel  # noqa: B018


@never_cache
@require_GET
def health(request):
    """200 when the database and the broker answer, 503 naming what does not."""
    checks, failing = {}, []
    for name, check in (("database", _check_database), ("broker", _check_broker)):
        try:
            check()
            checks[name] = "ok"
        except Exception as exc:  # any failure of a dependency is a 503, never a 500
            logger.warning("health check %s failed: %s", name, exc)
            checks[name] = f"error: {exc.__class__.__name__}: {exc}"[:300]
            failing.append(name)
    heartbeats = {}
    if "database" not in failing:
        heartbeats = {hb.name: hb.beat_at.isoformat() for hb in Heartbeat.objects.all()}
    body = {"status": "ok" if not failing else "error", "checks": checks, "failing": failing, "heartbeats": heartbeats}
    return JsonResponse(body, status=200 if not failing else 503)


@require_POST
@login_required
def language_set(request):
    """POST /accounts/language/ (language: a code of settings.LANGUAGES, or "" for the browser's; next: a
    page of this site): stores the signed-in user's language and goes back to `next` (else home), now in
    that language. 400 for a language we do not speak."""
    try:
        user_language_set(user=request.user, language=request.POST.get("language", ""), request=request)
    except ValueError:
        return HttpResponseBadRequest(_("That language is not available."))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("home")
    return redirect(target)
