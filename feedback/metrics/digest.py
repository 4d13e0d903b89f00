"""The weekly digest managers get: the week's KPI tiles with their change against the
week before, and the three worst touchpoints against their targets, with links."""

import logging
from datetime import date, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from cxcrm.choices import Role
from cxcrm.i18n import user_language

from ..models import MetricDigest
from ..reports.drill import drill_url
from ..reports.figures import OVERVIEW_METRICS, kpi_tiles, worst_touchpoints
from ..scales import SMALL_SAMPLE
from . import query

logger = logging.getLogger(__name__)


def _absolute(name: str, **params) -> str:
    return f"{settings.SITE_URL}{reverse(name)}" + (f"?{urlencode(params)}" if params else "")


def digest_week(today: date) -> tuple[date, date]:
    """The last full week (Monday to Sunday) before `today`."""
    week_end = today - timedelta(days=today.weekday() + 1)
    return week_end - timedelta(days=6), week_end


def digest_recipients():
    return (
        get_user_model()
        .objects.filter(groups__name=Role.MANAGER, is_active=True)
        .exclude(email="")
        .select_related("preference")
        .distinct()
        .order_by("pk")
    )


def metrics_digest_build(*, week_start: date, week_end: date) -> dict:
    """The digest's context: the week's tiles and its three worst touchpoints, each with the absolute link to
    the rows behind it (as of the moment its figure was computed, so the rows number its n), and the links to
    the full reports over the week."""
    span = {"start": week_start.isoformat(), "end": week_end.isoformat()}
    now = timezone.now()
    rollups_as_of = query.rollups_as_of(start=week_start, end=week_end)

    def as_of(metric: str):
        return rollups_as_of.get(metric) if query.uses_rollups(metric, granularity=None, filters={}) else now

    tiles = kpi_tiles(OVERVIEW_METRICS, start=week_start, end=week_end, as_of=now)
    for tile in tiles:
        tile["url"] = settings.SITE_URL + drill_url(
            tile["metric"], start=week_start, end=week_end, as_of=as_of(tile["metric"])
        )
    worst = worst_touchpoints(start=week_start, end=week_end, limit=3)
    for row in worst:
        row["url"] = settings.SITE_URL + drill_url(
            row["metric"],
            start=week_start,
            end=week_end,
            dimension="touchpoint",
            value=row["key"],
            as_of=as_of(row["metric"]),
        )
    return {
        "week_start": week_start,
        "week_end": week_end,
        "tiles": tiles,
        "worst": worst,
        "small_sample": SMALL_SAMPLE,
        "overview_url": _absolute("feedback:report_overview", granularity="day", **span),
        "touchpoints_url": _absolute("feedback:report_touchpoints", granularity="day", **span),
    }


def metrics_digest_send(*, today: date | None = None) -> int:
    """Email the last full week's digest to every active manager with an email, once per week.

    Returns the number of emails sent (0 if this week's digest already went out).
    """
    week_start, week_end = digest_week(today or timezone.localdate())
    try:
        with transaction.atomic():
            digest = MetricDigest.objects.create(week_start=week_start)
    except IntegrityError:
        logger.info("metrics digest of %s already sent", week_start)
        return 0
    context = metrics_digest_build(week_start=week_start, week_end=week_end)
    sent = 0
    for user in digest_recipients():
        with translation.override(user_language(user)):  # each manager's language (UserPreference)
            subject = _("CX weekly digest: %(start)s – %(end)s") % {
                "start": date_format(week_start, "SHORT_DATE_FORMAT"),
                "end": date_format(week_end, "SHORT_DATE_FORMAT"),
            }
            body = render_to_string("feedback/email/metrics_digest.txt", {**context, "user": user})
            message = EmailMultiAlternatives(subject, body, to=[user.email])
            message.attach_alternative(
                render_to_string("feedback/email/metrics_digest.html", {**context, "user": user}), "text/html"
            )
        message.send()
        sent += 1
    MetricDigest.objects.filter(pk=digest.pk).update(recipients=sent)
    logger.info("metrics digest of %s sent to %s managers", week_start, sent)
    return sent
