"""A journey map whose touchpoints have history (interactions, survey responses) is not deleted: the
reports attribute those rows to its journey. A map without history still is."""

import pytest

from customers.tests.factories import InteractionFactory
from feedback.tests.factories import ResponseFactory
from journeys import services
from journeys.models import JourneyMap, Touchpoint
from journeys.tests.factories import build_map

pytestmark = pytest.mark.django_db


def _archived_by_a_newer_version():
    old = build_map()
    services.journey_map_publish(journey_map=old)
    newer = services.journey_map_clone(journey_map=old)
    services.journey_map_publish(journey_map=newer)
    old.refresh_from_db()
    assert old.status == "archived"
    return old


def test_deleting_an_archived_map_with_history_is_a_400_naming_the_counts(api_as, marketer_user):
    old = _archived_by_a_newer_version()
    touchpoints = list(Touchpoint.objects.filter(journey_map=old).order_by("pk"))
    InteractionFactory(touchpoint=touchpoints[0])
    InteractionFactory(touchpoint=touchpoints[1])
    ResponseFactory(touchpoint=touchpoints[0], journey_map=old)
    answer = api_as(marketer_user).delete(f"/api/journeys/{old.pk}/")
    assert answer.status_code == 400
    text = str(answer.json())
    assert "its touchpoints are still used by 2 interactions and 1 response" in text, text
    assert JourneyMap.objects.filter(pk=old.pk).exists()
    assert Touchpoint.objects.filter(journey_map=old).count() == len(touchpoints)


def test_an_archived_map_without_history_is_deleted(api_as, marketer_user):
    old = _archived_by_a_newer_version()
    assert api_as(marketer_user).delete(f"/api/journeys/{old.pk}/").status_code == 204
    assert not JourneyMap.objects.filter(pk=old.pk).exists()


def test_the_admin_offers_no_delete_for_a_map_with_history(client, superuser):
    old = _archived_by_a_newer_version()
    InteractionFactory(touchpoint=Touchpoint.objects.filter(journey_map=old).first())
    client.force_login(superuser)
    assert client.get(f"/admin/journeys/journeymap/{old.pk}/delete/").status_code == 403
    client.post(
        "/admin/journeys/journeymap/", {"action": "delete_selected", "_selected_action": [old.pk], "post": "yes"}
    )
    assert JourneyMap.objects.filter(pk=old.pk).exists()
