"""Daily rollups: weeks, months and quarters summed from days equal a direct computation;
re-runs replace rows in one transaction; filters combined live; drill-down returns exactly
the rows behind a figure."""

from datetime import date, timedelta

import pytest

from customers.choices import InteractionType, LifecycleStage
from customers.tests.factories import CustomerFactory, InteractionFactory
from cxcrm.choices import Role
from cxcrm.tests.factories import UserFactory
from feedback.metrics import compute, query, rollup
from feedback.metrics.definitions import METRICS
from feedback.models import MetricRollup, Response
from feedback.tests.metrics_factories import (
    ResponseFactory,
    SentInvitationFactory,
    at,
    campaign_event,
    case,
    lifecycle,
)
from journeys.choices import MapStatus
from journeys.tests.factories import PersonaFactory, build_map

pytestmark = pytest.mark.django_db

START, END = date(2025, 12, 1), date(2026, 2, 28)


@pytest.fixture
def dataset():
    """Three months of mixed rows across personas, channels, touchpoints, agents and campaigns."""
    personas = [PersonaFactory(name="Pat"), PersonaFactory(name="Sam")]
    journey_map = build_map(stages=2, touchpoints_per_stage=2, status=MapStatus.PUBLISHED)
    touchpoints = list(journey_map.touchpoints.select_related("stage"))
    agents = [UserFactory(role=Role.SUPPORT_REP), UserFactory(role=Role.SUPPORT_REP)]
    channels = ["chat", "email", "phone"]
    customers = [CustomerFactory(persona=personas[i % 2]) for i in range(6)]
    for customer in customers[:4]:
        lifecycle(customer, LifecycleStage.ACTIVE, at(2025, 11, 1))
    lifecycle(customers[0], LifecycleStage.CHURNED, at(2025, 12, 30), LifecycleStage.ACTIVE)
    lifecycle(customers[1], LifecycleStage.CHURNED, at(2026, 2, 2), LifecycleStage.ACTIVE)
    day = START
    i = 0
    while day <= END:
        if day.day % 3 == 0 or day.day in (1, 31):
            i += 1
            tp = touchpoints[i % len(touchpoints)]
            customer = customers[i % len(customers)]
            agent = agents[i % 2]
            when = at(day.year, day.month, day.day, 8 + i % 12)
            kase = case(
                opened=when - timedelta(hours=5 + i % 7),
                resolved=when if i % 4 else None,
                first_response=when - timedelta(hours=i % 5),
                due=when + timedelta(hours=(i % 3) - 1),
                customer=customer,
                assignee=agent,
                topic=["billing", "delivery"][i % 2],
                origin=channels[i % 3],
            )
            interaction = InteractionFactory(
                customer=customer,
                case=kase,
                channel=channels[i % 3],
                touchpoint=tp,
                touchpoint_key=tp.key,
                agent=agent,
                occurred_at=when - timedelta(hours=5 + i % 7),
            )
            for kind, score in (("nps", i % 11), ("csat", 1 + i % 5), ("ces", 1 + i % 7)):
                ResponseFactory(
                    kind=kind,
                    score=score if i % 9 else None,
                    submitted_at=when,
                    customer=customer,
                    persona=customer.persona,
                    channel=channels[i % 3],
                    touchpoint=tp,
                    touchpoint_key=tp.key,
                    journey_map=journey_map,
                    stage=tp.stage,
                    stage_name=tp.stage.name,
                    case=kase,
                    interaction=interaction,
                    agent=agent,
                )
            SentInvitationFactory(scheduled_for=when, customer=customer)
            campaign_event(customer, InteractionType.EMAIL_SENT, when, campaign=["spring", "summer"][i % 2])
            if i % 2:
                campaign_event(customer, InteractionType.EMAIL_OPEN, when + timedelta(hours=1))
            if i % 3 == 0:
                campaign_event(customer, InteractionType.EMAIL_CLICK, when + timedelta(hours=2))
                InteractionFactory(
                    customer=customer, type=InteractionType.PURCHASE, occurred_at=when + timedelta(days=2)
                )
        day += timedelta(days=1)
    return {"personas": personas, "journey_map": journey_map, "agents": agents, "touchpoints": touchpoints}


def _without_floats_noise(rows):
    return [{k: round(v, 6) if isinstance(v, float) else v for k, v in row.items()} for row in rows]


def test_every_metric_by_every_dimension_and_granularity_from_days_equals_a_direct_computation(dataset):
    rollup.metric_rollups_recompute(start=START, end=END)
    mismatches = []
    for name, metric in METRICS.items():
        for dimension in metric.dimensions:
            for granularity in ("day", "week", "month", "quarter"):
                kwargs = {"granularity": granularity, "start": date(2025, 12, 10), "end": END, "dimension": dimension}
                stored = query.metric_series(name, source="auto", **kwargs)
                direct = query.metric_series(name, source="live", **kwargs)
                if _without_floats_noise(stored) != _without_floats_noise(direct):
                    mismatches.append((name, dimension, granularity))
    assert mismatches == []
    assert query.metric_series("nps", granularity="month", start=START, end=END)[0]["n"] > 5


def test_rerunning_a_period_replaces_its_rows_and_leaves_others(dataset):
    first = rollup.metric_rollups_recompute(start=START, end=END)
    snapshot = sorted(MetricRollup.objects.values_list("metric", "day", "dimension", "dimension_value", "n"))

    again = rollup.metric_rollups_recompute(start=START, end=END)

    assert again == first
    assert sorted(MetricRollup.objects.values_list("metric", "day", "dimension", "dimension_value", "n")) == snapshot

    # A response removed on Jan 3: re-running January only updates January.
    removed = Response.objects.filter(kind="nps", submitted_at__date=date(2026, 1, 3)).first()
    before_dec = MetricRollup.objects.filter(day__lt=date(2026, 1, 1)).count()
    Response.objects.filter(pk=removed.pk).delete()
    rollup.metric_rollups_recompute(start=date(2026, 1, 1), end=date(2026, 1, 31), metrics=["nps"])

    day = MetricRollup.objects.filter(metric="nps", day=date(2026, 1, 3), dimension="overall").first()
    assert (
        day is None
        or day.n == 0
        or day.n
        == (Response.objects.filter(kind="nps", score__isnull=False, submitted_at__date=date(2026, 1, 3)).count())
    )
    assert MetricRollup.objects.filter(day__lt=date(2026, 1, 1)).count() == before_dec


def test_a_failed_rerun_keeps_the_old_rows(dataset, monkeypatch):
    rollup.metric_rollups_recompute(start=START, end=END, metrics=["csat"])
    count = MetricRollup.objects.count()

    def boom(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(MetricRollup.objects, "bulk_create", boom)
    with pytest.raises(RuntimeError):
        rollup.metric_rollups_recompute(start=START, end=END, metrics=["csat"])

    assert MetricRollup.objects.count() == count


def test_unknown_metric_or_reversed_range_is_refused():
    with pytest.raises(ValueError, match="unknown metric"):
        rollup.metric_rollups_recompute(start=START, end=END, metrics=["nope"])
    with pytest.raises(ValueError, match="after"):
        rollup.metric_rollups_recompute(start=END, end=START)


def test_recent_rollup_covers_each_metric_over_its_settle_window():
    today = date(2026, 3, 10)

    rollup.metric_rollups_recent(recent_days=3, today=today)
    SentInvitationFactory(scheduled_for=at(2026, 2, 20))  # 18 days before: inside response_rate's 30
    ResponseFactory(kind="nps", score=10, submitted_at=at(2026, 3, 8))
    ResponseFactory(kind="nps", score=10, submitted_at=at(2026, 3, 1))  # outside the 3-day window
    rollup.metric_rollups_recent(recent_days=3, today=today)

    response_rate_days = MetricRollup.objects.filter(metric="response_rate", dimension="overall")
    assert date(2026, 2, 20) in set(response_rate_days.values_list("day", flat=True))
    assert list(MetricRollup.objects.filter(metric="nps", dimension="overall").values_list("day", flat=True)) == [
        date(2026, 3, 8)
    ]


def test_several_filters_are_computed_live_and_match_a_hand_count(dataset):
    rollup.metric_rollups_recompute(start=START, end=END)
    persona = dataset["personas"][0]
    expected = Response.objects.filter(
        kind="csat", score__isnull=False, persona=persona, channel="chat", submitted_at__date__gte=START
    )
    satisfied = expected.filter(score__gte=4).count()

    row = query.metric_total("csat", start=START, end=END, filters={"persona": persona.pk, "channel": "chat"})

    assert row["n"] == expected.count() > 0
    assert row["satisfied"] == satisfied
    assert row["value"] == round(100 * satisfied / expected.count(), 2)


DRILLS = [
    ("nps", "touchpoint", "detractors"),
    ("csat", "persona", None),
    ("ces", "agent", "promoters"),
    ("ttr_hours", "topic", None),
    ("sla_breach_rate", "channel", "numerator"),
    ("response_rate", "overall", None),
    ("open_rate", "campaign", "numerator"),
    ("churn_rate", "overall", "numerator"),
    ("interaction_volume", "journey", None),
]


def test_drill_down_returns_exactly_the_rows_counted_in_the_figure(dataset):
    rollup.metric_rollups_recompute(start=START, end=END)
    for metric, dimension, bucket in DRILLS:
        breakdown = query.metric_breakdown(metric, start=START, end=END, dimension=dimension)
        assert breakdown, metric
        for row in breakdown:
            rows = compute.drill_queryset(
                metric, start=START, end=END, dimension=dimension, value=row["dimension_value"], bucket=bucket
            )
            if bucket is None:
                expected = row["n"]
            elif bucket == "numerator":
                expected = row.get("numerator", row.get("churned"))
            else:
                expected = row[{"detractors": "detractors", "promoters": "easy"}[bucket]]
            assert rows.count() == expected, (metric, row)


def test_drill_down_of_a_touchpoint_lists_those_responses_and_no_others(dataset):
    tp = dataset["touchpoints"][0]
    expected = set(
        Response.objects.filter(kind="nps", score__lte=6, touchpoint_key=tp.key).values_list("pk", flat=True)
    )

    rows = compute.drill_queryset(
        "nps", start=START, end=END, dimension="touchpoint", value=tp.key, bucket="detractors"
    )

    assert set(rows.values_list("pk", flat=True)) == expected
    assert expected


def test_the_after_merge_task_of_a_merge_deleted_since_does_nothing():
    from feedback.metrics.tasks import rollup_metrics_after_merge

    assert rollup_metrics_after_merge(merge_id=987654) == 0
