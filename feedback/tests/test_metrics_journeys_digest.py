"""The journeys figures provider (the map overlay), the weekly digest, and rollup_metrics."""

from datetime import date

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse

from customers.tests.factories import InteractionFactory
from cxcrm.choices import Role
from cxcrm.tests.factories import UserFactory
from feedback.metrics import rollup
from feedback.metrics.digest import metrics_digest_send
from feedback.metrics.journeys import journey_figures
from feedback.models import MetricDigest, MetricRollup
from feedback.tests.metrics_factories import ResponseFactory, at, case
from journeys.choices import MapStatus
from journeys.tests.factories import build_map

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop_map():
    """Stage 0 with two touchpoints (targets CSAT 80, TTR 4 h), stage 1 with one; answers in January."""
    journey_map = build_map(stages=2, touchpoints_per_stage=2, status=MapStatus.PUBLISHED, key_prefix="shop")
    tps = {tp.key: tp for tp in journey_map.touchpoints.select_related("stage")}

    def answer(key, kind, score, day=9):
        tp = tps[key]
        ResponseFactory(
            kind=kind,
            score=score,
            touchpoint=tp,
            touchpoint_key=key,
            stage=tp.stage,
            stage_name=tp.stage.name,
            journey_map=journey_map,
            submitted_at=at(2026, 1, day),
        )

    for score in (5, 4, 1):
        answer("shop-0-0", "csat", score)  # 2 of 3 satisfied
    answer("shop-0-1", "nps", 10)
    answer("shop-0-1", "nps", 0)
    answer("shop-0-1", "csat", 3)
    answer("shop-1-0", "ces", 7)
    answer("shop-1-0", "csat", 5, day=20)  # outside the 1–15 January window below
    for hours in (2, 10):
        kase = case(opened=at(2026, 1, 9, 8), resolved=at(2026, 1, 9, 8 + hours))
        InteractionFactory(case=kase, touchpoint=tps["shop-0-0"], touchpoint_key="shop-0-0", occurred_at=at(2026, 1, 9))
    InteractionFactory(touchpoint=tps["shop-0-1"], touchpoint_key="shop-0-1", occurred_at=at(2026, 1, 9))
    rollup.metric_rollups_recompute(start=date(2026, 1, 1), end=date(2026, 1, 31))
    return journey_map


def test_provider_gives_touchpoint_and_stage_figures_from_the_rollups(shop_map):
    stage0, stage1 = shop_map.stages.order_by("position")

    figures = journey_figures(shop_map, date(2026, 1, 1), date(2026, 1, 15))

    assert figures["touchpoints"]["shop-0-0"] == {
        "volume": 2,
        "csat": 66.67,
        "nps": None,
        "ces": None,
        "ttr_hours": 6.0,
        "responses": 3,
        "samples": {"csat": 3, "nps": 0, "ces": 0, "ttr_hours": 2},
    }
    assert figures["touchpoints"]["shop-0-1"]["nps"] == 0.0
    assert figures["touchpoints"]["shop-1-0"]["csat"] is None  # its answer came on the 20th
    s0 = figures["stages"][stage0.pk]
    # CSAT over both touchpoints: 5, 4, 1, 3 → 2 of 4; NPS 10, 0 → 0.
    assert (s0["csat"], s0["nps"], s0["responses"], s0["volume"]) == (50.0, 0.0, 6, 3)
    assert s0["samples"] == {"csat": 4, "nps": 2, "ces": 0, "ttr_hours": 2}
    assert figures["small_sample"] == 30
    # Emotion: CSAT 5→+2, 4→+1, 1→−2, 3→0; NPS 10→+2, 0→−2 → mean 1/6.
    assert s0["emotion"] == 0.17
    assert figures["stages"][stage1.pk]["emotion"] == 2.0  # CES 7 → +2


def test_provider_without_data_leaves_figures_out():
    empty = build_map(stages=1, touchpoints_per_stage=1, status=MapStatus.PUBLISHED)

    figures = journey_figures(empty, date(2026, 1, 1), date(2026, 1, 31))
    assert figures == {"touchpoints": {}, "stages": {}, "small_sample": 30}


def test_the_map_page_overlay_is_filled_by_the_provider(client, manager_user, shop_map):
    client.force_login(manager_user)

    page = client.get(
        reverse("journeys:map_detail", args=[shop_map.pk]),
        {"period": "custom", "start": "2026-01-01", "end": "2026-01-15"},
    ).content.decode()

    assert "No data connected" not in page
    assert "Figures unavailable" not in page
    assert "66.7" in page or "66.67" in page
    assert 'data-testid="measured-curve"' in page
    # every score here rests on a handful of answers: flagged, with its n, and the legend says why
    assert 'data-testid="small-sample-legend"' in page and "fewer than 30 answers" in page
    assert 'data-metric="csat" data-n="3" title="n = 3"' in page
    assert "only 3: read with care" in page


def test_the_journeys_report_lists_stage_figures_beside_the_designed_emotion(client, marketer_user, shop_map):
    client.force_login(marketer_user)

    page = client.get(reverse("feedback:report_journeys"), {"start": "2026-01-01", "end": "2026-01-15"})

    text = page.content.decode()
    assert "Stage 0" in text and "0.2" in text  # measured emotion 0.17 shown with one decimal
    assert reverse("journeys:map_detail", args=[shop_map.pk]) in text


# --------------------------------------------------------------------------- digest


def test_weekly_digest_emails_managers_the_tiles_and_worst_touchpoints_with_links(shop_map, settings):
    UserFactory(role=Role.MANAGER, email="boss@example.com", first_name="Bea", last_name="Boss")
    UserFactory(role=Role.MANAGER, email="")  # no address: skipped
    UserFactory(role=Role.SUPPORT_REP, email="rep@example.com")  # not a manager
    rollup.metric_rollups_recompute(start=date(2025, 12, 1), end=date(2026, 1, 31))

    sent = metrics_digest_send(today=date(2026, 1, 12))  # a Monday: the week of 5–11 January

    assert sent == 1
    [message] = mail.outbox
    assert message.to == ["boss@example.com"]
    assert message.subject == "CX weekly digest: 5 Jan 2026 – 11 Jan 2026"
    body = message.body
    assert "Hello Bea Boss" in body
    assert "- CSAT: 50.0%" in body  # 5, 4, 1, 3 on the 9th
    assert "- NPS: 0.0" in body
    # shop-0-1: CSAT 0 of a target of 80 (one answer of 3); shop-0-0: its worst is 6 h to resolve against 4 h.
    assert "1. Touchpoint 0.1 (Journey" in body and "CSAT 0.0 against a target of 80.0, n = 1" in body
    assert "2. Touchpoint 0.0 (Journey" in body and "Time to resolution 6.0 against a target of 4.0, n = 2" in body
    drill = "/reports/drill/?metric=ttr_hours&start=2026-01-05&end=2026-01-11&dimension=touchpoint&value=shop-0-0"
    assert f"{settings.SITE_URL}{drill}" in body
    assert f"{settings.SITE_URL}/reports/?granularity=day&start=2026-01-05&end=2026-01-11" in body
    html = message.alternatives[0][0]
    assert "Worst touchpoints against their targets" in html and "https://" in html
    assert "\n3. " not in body  # only two touchpoints with targets had data


def test_the_digest_of_a_week_goes_out_once(shop_map):
    UserFactory(role=Role.MANAGER, email="boss@example.com")

    assert metrics_digest_send(today=date(2026, 1, 14)) == 1
    assert metrics_digest_send(today=date(2026, 1, 15)) == 0

    assert len(mail.outbox) == 1
    assert MetricDigest.objects.get().recipients == 1


# --------------------------------------------------------------------------- command


def test_rollup_metrics_command_backfills_with_progress_and_summary(capsys):
    ResponseFactory(kind="nps", score=10, submitted_at=at(2026, 1, 9))
    ResponseFactory(kind="nps", score=10, submitted_at=at(2026, 3, 9))

    call_command("rollup_metrics", "--since", "2026-01-01", "--until", "2026-02-28")

    out, err = capsys.readouterr()
    assert "daily rows for 14 metrics over 59 days (2026-01-01 to 2026-02-28)" in out
    assert "2/2 chunks" in err
    days = set(MetricRollup.objects.filter(metric="nps", dimension="overall").values_list("day", flat=True))
    assert days == {date(2026, 1, 9)}


def test_rollup_metrics_command_for_one_metric_twice_is_idempotent(capsys):
    ResponseFactory(kind="csat", score=5, submitted_at=at(2026, 1, 9))

    for _ in range(2):
        call_command(
            "rollup_metrics", "--since", "2026-01-01", "--until", "2026-01-31", "--metric", "csat", "--no-progress"
        )

    assert set(MetricRollup.objects.values_list("metric", flat=True)) == {"csat"}
    assert MetricRollup.objects.get(dimension="overall").top_box == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "2026-02-30"], "Not a date"),
        (["--since", "2026-02-01", "--until", "2026-01-01"], "after"),
    ],
)
def test_rollup_metrics_command_refuses_bad_dates(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("rollup_metrics", *args)


# --------------------------------------------------------------------------- admin


def test_rollups_are_read_only_in_the_admin(client, superuser):
    MetricRollup.objects.create(metric="nps", day=date(2026, 1, 9), n=3, top_box=2, bottom_box=1)
    client.force_login(superuser)

    listing = client.get(reverse("admin:feedback_metricrollup_changelist"))
    row = MetricRollup.objects.get()

    assert listing.status_code == 200 and "2026" in listing.content.decode()
    assert client.get(reverse("admin:feedback_metricrollup_add")).status_code == 403
    change = client.post(reverse("admin:feedback_metricrollup_change", args=[row.pk]), {"n": 99})
    assert change.status_code == 403
    row.refresh_from_db()
    assert row.n == 3


def test_demo_loader_rolls_up_the_history():
    from io import StringIO

    from feedback.metrics.demo import load_demo

    today = date.today()
    InteractionFactory(occurred_at=at(today.year, today.month, today.day, 0, 1))
    out = StringIO()

    load_demo(stdout=out)

    assert MetricRollup.objects.filter(metric="interaction_volume", dimension="overall").get().n == 1
    assert "metric rollups" in out.getvalue()


def test_demo_loader_does_not_recompute_existing_rollups():
    from io import StringIO

    from feedback.metrics.demo import load_demo

    today = date.today()
    InteractionFactory(occurred_at=at(today.year, today.month, today.day, 0, 1))
    load_demo(stdout=StringIO())
    InteractionFactory(occurred_at=at(today.year, today.month, today.day, 0, 2))

    load_demo(stdout=StringIO())  # a second `make run`

    assert MetricRollup.objects.filter(metric="interaction_volume", dimension="overall").get().n == 1
