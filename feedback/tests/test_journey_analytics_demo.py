"""The demo's customers walk the retail map: the funnel narrows, many drop before the purchase, some skip a stage
or go back, and the journeys are computed once."""

import io
from datetime import timedelta

import pytest
from django.utils import timezone

from customers.demo import load_demo as load_customers_demo
from cxcrm.demo import demo_users_create
from feedback.journey_analytics.demo import load_demo
from feedback.journey_analytics.models import CustomerJourney
from feedback.journey_analytics.selectors import journey_funnel, journey_paths
from journeys.demo import RETAIL_MAP
from journeys.demo import load_demo as load_journeys_demo
from journeys.models import JourneyMap

pytestmark = pytest.mark.django_db


def test_demo_journeys_tell_a_story_and_load_once():
    demo_users_create()
    load_journeys_demo(seed=42, scale=1)
    load_customers_demo(seed=42, scale=1)
    out = io.StringIO()
    load_demo(seed=42, scale=1, stdout=out)
    assert "journeys on" in out.getvalue()
    journeys = CustomerJourney.objects.count()
    load_demo(seed=42, scale=1, stdout=io.StringIO())
    assert CustomerJourney.objects.count() == journeys > 0

    retail = JourneyMap.objects.published().get(name=RETAIL_MAP)
    end = timezone.localdate()
    stages = journey_funnel(retail, start=end - timedelta(days=364), end=end)["stages"]
    reached = [s["reached"] for s in stages]
    assert reached == sorted(reached, reverse=True) and reached[0] > reached[-1] > 0
    consideration, purchase = stages[1], stages[2]
    assert consideration["skipped"] > 0
    assert consideration["drop_off_rate"] > purchase["drop_off_rate"]  # many leave before buying
    paths = journey_paths(retail, start=end - timedelta(days=364), end=end, limit=100)["paths"]
    assert any(p["follows_design"] for p in paths)
    assert {"skipped", "reversed"} <= {d for p in paths for d in p["deviations"]}
