import io

import pytest
from django.conf import settings

from journeys.choices import MapStatus
from journeys.demo import DEMO_TOUCHPOINT_KEYS, RETAIL_MAP, SUPPORT_MAP, load_demo
from journeys.models import JourneyMap, Persona, Touchpoint
from journeys.selectors import touchpoint_for_key

pytestmark = pytest.mark.django_db


def test_demo_loader_is_registered_first():
    assert settings.DEMO_LOADERS[0] == "journeys.demo.load_demo"


def test_demo_creates_personas_and_two_published_maps_with_the_stable_keys():
    out = io.StringIO()
    load_demo(seed=42, scale=1, stdout=out)

    assert Persona.objects.count() == 3
    maps = JourneyMap.objects.filter(status=MapStatus.PUBLISHED)
    assert set(maps.values_list("name", flat=True)) == {RETAIL_MAP, SUPPORT_MAP}
    assert all(m.persona_id and m.stages.count() >= 4 for m in maps)
    for key, channel in DEMO_TOUCHPOINT_KEYS.items():
        touchpoint = touchpoint_for_key(key)
        assert touchpoint is not None, key
        assert touchpoint.channel == channel
    assert touchpoint_for_key("support-device-diagnostics").channel == "iot"
    assert "2 published maps" in out.getvalue()


def test_demo_is_idempotent():
    load_demo(seed=42, scale=1, stdout=io.StringIO())
    out = io.StringIO()
    load_demo(seed=42, scale=1, stdout=out)
    assert JourneyMap.objects.count() == 2 and Persona.objects.count() == 3
    assert Touchpoint.objects.count() == len(DEMO_TOUCHPOINT_KEYS)
    assert "skipped" in out.getvalue()
