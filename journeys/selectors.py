"""Read queries of the journeys app."""

from collections.abc import Iterable

from django.db.models import Count, Prefetch, Q, QuerySet

from .choices import MapStatus
from .models import JourneyMap, Persona, Stage, Touchpoint


def touchpoint_for_key(key: str) -> Touchpoint | None:
    """The touchpoint with this key in the *published* map, or None."""
    return touchpoints_for_keys([key]).get(key) if key else None


def touchpoints_for_keys(keys: Iterable[str]) -> dict[str, Touchpoint]:
    """{key: touchpoint of the *published* map} for those of `keys` that have one (one query; unknown keys left out)."""
    keys = {key for key in keys if key}
    if not keys:
        return {}
    touchpoints = Touchpoint.objects.select_related("stage", "journey_map").filter(key__in=keys, published=True)
    return {touchpoint.key: touchpoint for touchpoint in touchpoints}


def persona_list() -> QuerySet[Persona]:
    return Persona.objects.order_by("name", "id")


def journey_map_list() -> QuerySet[JourneyMap]:
    """Maps with persona and owner joined and their stage/touchpoint counts annotated."""
    return (
        JourneyMap.objects.select_related("persona", "owner")
        .annotate(
            stage_count=Count("stages", distinct=True),
            touchpoint_count=Count("touchpoints", distinct=True),
        )
        .order_by("name", "-version", "id")
    )


def _stages_prefetch() -> Prefetch:
    touchpoints = Touchpoint.objects.order_by("position", "id")
    stages = Stage.objects.order_by("position", "id").prefetch_related(Prefetch("touchpoints", queryset=touchpoints))
    return Prefetch("stages", queryset=stages)


def journey_map_with_structure() -> QuerySet[JourneyMap]:
    """Maps with persona, owner, ordered stages and, inside each, ordered touchpoints: four queries in all."""
    return JourneyMap.objects.select_related("persona", "owner").prefetch_related(_stages_prefetch())


def journey_map_get(*, pk: int) -> JourneyMap:
    """One map with its structure; raises JourneyMap.DoesNotExist."""
    return journey_map_with_structure().get(pk=pk)


def touchpoint_list_published() -> QuerySet[Touchpoint]:
    """Touchpoints of published maps (the keys integrations may use)."""
    return Touchpoint.objects.published().select_related("stage", "journey_map").order_by("key", "id")


def journey_map_versions_to_replace(*, journey_map: JourneyMap) -> list[int]:
    """Ids of the published maps that publishing `journey_map` archives: the
    published version it was cloned from and any published version of the same name."""
    query = Q(name=journey_map.name)
    if journey_map.cloned_from_id:
        query |= Q(pk=journey_map.cloned_from_id)
    return list(
        JourneyMap.objects.filter(query, status=MapStatus.PUBLISHED)
        .exclude(pk=journey_map.pk)
        .values_list("pk", flat=True)
    )


def touchpoint_key_conflicts(*, journey_map: JourneyMap, keys) -> dict[str, Touchpoint]:
    """Published touchpoints of *other* maps that already use one of `keys`.

    The versions this map replaces when published do not count: a draft cloned
    from a published map carries its keys.
    """
    keys = {k for k in keys if k}
    if not keys:
        return {}
    excluded = journey_map_versions_to_replace(journey_map=journey_map)
    queryset = Touchpoint.objects.published().filter(key__in=keys).select_related("stage", "journey_map")
    if journey_map.pk:
        queryset = queryset.exclude(journey_map_id=journey_map.pk)
    queryset = queryset.exclude(journey_map_id__in=excluded)
    return {tp.key: tp for tp in queryset}
