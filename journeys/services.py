"""Writes of the journeys app: personas, and the life cycle of a journey map
(create, clone, publish, archive, delete). Each function is atomic; events are
sent after commit (see signals.py)."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, ProtectedError, Q
from django.utils import timezone
from django.utils.text import get_text_list
from django.utils.translation import gettext

from cxcrm.deletion import delete_or_refuse

from .choices import MapStatus
from .models import DEFAULT_JOURNEY_GAP_DAYS, JourneyMap, Persona, Stage, Touchpoint
from .selectors import journey_map_versions_to_replace, touchpoint_key_conflicts
from .signals import journey_map_archived, journey_map_published

STAGE_FIELDS = (
    "name",
    "position",
    "customer_goal",
    "actions",
    "thoughts",
    "emotion_score",
    "emotion_label",
    "pain_points",
    "opportunities",
)
TOUCHPOINT_FIELDS = (
    "name",
    "key",
    "position",
    "channel",
    "department",
    "kind",
    "description",
    "target_csat",
    "target_nps",
    "target_ces",
    "target_ttr_hours",
)
PERSONA_FIELDS = ("name", "summary", "goals", "frustrations", "motivations", "demographics", "preferred_channels")


# --------------------------------------------------------------------------- messages


def key_conflict_message(key: str, touchpoint: Touchpoint) -> str:
    """The message naming the map and stage that already use a key."""
    return (
        f"Key “{key}” is already used by the published map “{touchpoint.journey_map.label}”, "
        f"stage “{touchpoint.stage.name}” (touchpoint “{touchpoint.name}”)."
    )


def _raise_on_key_conflicts(journey_map: JourneyMap, keys: Iterable[str]) -> None:
    conflicts = touchpoint_key_conflicts(journey_map=journey_map, keys=keys)
    if conflicts:
        raise ValidationError({"key": [key_conflict_message(k, tp) for k, tp in sorted(conflicts.items())]})


# --------------------------------------------------------------------------- personas


def _persona_save(persona: Persona) -> Persona:
    if not persona.picture:
        persona.picture = ""
    persona.full_clean(validate_unique=False)
    try:
        with transaction.atomic():
            persona.save()
    except IntegrityError:
        raise ValidationError({"name": gettext("A persona named “%(name)s” already exists.") % {"name": persona.name}})
    return persona


def persona_create(**fields) -> Persona:
    """Create a persona. Raises ValidationError (duplicate name, unknown channel…)."""
    return _persona_save(Persona(**{k: v for k, v in fields.items() if k in (*PERSONA_FIELDS, "picture")}))


def persona_update(*, persona: Persona, **fields) -> Persona:
    """Change a persona's fields. Raises ValidationError."""
    for name, value in fields.items():
        if name in (*PERSONA_FIELDS, "picture"):
            setattr(persona, name, value)
    return _persona_save(persona)


def persona_delete(*, persona: Persona) -> None:
    """Delete a persona; maps drawn for it keep existing without one.

    Raises ValidationError naming what still uses it, with counts (customers and survey
    responses point at it with on_delete=PROTECT): reassign those records first.
    """
    delete_or_refuse(persona, advice="Reassign those records first.")


# --------------------------------------------------------------------------- journey maps


# Concurrent creates of one name each read the same max(version); all but one insert loses on the
# (name, version) unique constraint and tries again with the number the winner left.
VERSION_ATTEMPTS = 50


def _next_version(name: str) -> int:
    return (JourneyMap.objects.filter(name=name).aggregate(v=Max("version"))["v"] or 0) + 1


def _map_insert_next_version(**fields) -> JourneyMap:
    """Insert a map as the next version of `fields["name"]`, retrying in a savepoint when another
    transaction took that number first (never an IntegrityError for a version clash)."""
    for attempt in range(VERSION_ATTEMPTS):
        version = _next_version(fields["name"])
        try:
            with transaction.atomic():
                return JourneyMap.objects.create(version=version, **fields)
        except IntegrityError:
            clash = JourneyMap.objects.filter(name=fields["name"], version=version).exists()
            if not clash or attempt == VERSION_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _duplicate_keys(stages: list[dict]) -> None:
    seen: dict[str, tuple[str, str]] = {}
    errors: dict[str, list[str]] = {}
    for s, stage in enumerate(stages):
        for t, touchpoint in enumerate(stage.get("touchpoints", [])):
            key = touchpoint.get("key")
            if key in seen:
                other_stage, other_name = seen[key]
                errors[f"stages[{s}].touchpoints[{t}].key"] = [
                    gettext(
                        "Key “%(key)s” is already used in this map by touchpoint “%(touchpoint)s” in stage “%(stage)s”."
                    )
                    % {"key": key, "touchpoint": other_name, "stage": other_stage}
                ]
            else:
                seen[key] = (stage.get("name"), touchpoint.get("name"))
    if errors:
        raise ValidationError(errors)


def positions_renumbered(items: list[dict]) -> list[dict]:
    """`items` (stage or touchpoint dicts) in their order, each with `position` 0…n−1.

    The order is the given `position` (an item without one takes its list index), ties kept in
    list order; so two stages sent with the same position keep the order they were listed in.
    """
    ordered = sorted(enumerate(items), key=lambda pair: (pair[1].get("position", pair[0]), pair[0]))
    return [{**item, "position": index} for index, (_, item) in enumerate(ordered)]


def _structure_create(journey_map: JourneyMap, stages: list[dict]) -> None:
    """Insert `stages` (export-shaped dicts, each with a "touchpoints" list) into a map, positions
    renumbered 0…n−1 (positions_renumbered) for stages and for the touchpoints of each stage."""
    stages = positions_renumbered(stages)
    stage_rows = [Stage(journey_map=journey_map, **{f: s[f] for f in STAGE_FIELDS if f in s}) for s in stages]
    Stage.objects.bulk_create(stage_rows)
    touchpoints = [
        Touchpoint(journey_map=journey_map, stage=stage, **{f: tp[f] for f in TOUCHPOINT_FIELDS if f in tp})
        for stage, data in zip(stage_rows, stages, strict=True)
        for tp in positions_renumbered(list(data.get("touchpoints", [])))
    ]
    Touchpoint.objects.bulk_create(touchpoints)


@transaction.atomic
def journey_map_positions_renumber(*, journey_map: JourneyMap) -> None:
    """Renumber a map's stored stages, and the touchpoints of each stage, 0…n−1 in their order
    (position, then id: rows saved with the same position keep the order they were saved in).

    For editors that save rows one at a time with the positions typed or dragged (the admin).
    """
    stages = list(Stage.objects.filter(journey_map=journey_map).order_by("position", "id"))
    touchpoints = list(Touchpoint.objects.filter(journey_map=journey_map).order_by("stage_id", "position", "id"))
    changed_stages = [s for i, s in enumerate(stages) if s.position != i]
    for i, stage in enumerate(stages):
        stage.position = i
    changed_touchpoints, index, current = [], 0, None
    for touchpoint in touchpoints:
        if touchpoint.stage_id != current:
            current, index = touchpoint.stage_id, 0
        if touchpoint.position != index:
            touchpoint.position = index
            changed_touchpoints.append(touchpoint)
        index += 1
    Stage.objects.bulk_update(changed_stages, ["position"])
    Touchpoint.objects.bulk_update(changed_touchpoints, ["position"])


@transaction.atomic
def journey_map_stages_replace(*, journey_map: JourneyMap, stages: list[dict]) -> JourneyMap:
    """Replace a draft map's stages and touchpoints with `stages` (the export shape).

    Raises ValidationError when the map is not a draft (published and archived
    versions are history: clone to edit) or when two touchpoints share a key.
    """
    if journey_map.status != MapStatus.DRAFT:
        message = gettext("“%(map)s” is not a draft: clone it and edit the new version.") % {"map": journey_map.label}
        raise ValidationError({"stages": [message]})
    _duplicate_keys(stages)
    journey_map.touchpoints.all().delete()
    journey_map.stages.all().delete()
    _structure_create(journey_map, stages)
    journey_map.save(update_fields=["updated_at"])
    return journey_map


@transaction.atomic
def journey_map_create(
    *,
    name: str,
    description: str = "",
    persona: Persona | None = None,
    journey_gap_days: int = DEFAULT_JOURNEY_GAP_DAYS,
    stages: list[dict] | None = None,
    owner=None,
) -> JourneyMap:
    """Create a draft map (the next version of `name`) with its stages and, in
    each stage dict, a "touchpoints" list of dicts (the export shape, validated).

    Positions are renumbered 0…n−1 in the order given (positions_renumbered). Raises
    ValidationError when two touchpoints share a key (naming both positions).
    """
    stages = stages or []
    _duplicate_keys(stages)
    journey_map = _map_insert_next_version(
        name=name,
        description=description,
        persona=persona,
        journey_gap_days=journey_gap_days,
        owner=owner,
        status=MapStatus.DRAFT,
    )
    _structure_create(journey_map, stages)
    return journey_map


def journey_map_update(
    *,
    journey_map: JourneyMap,
    name: str | None = None,
    description: str | None = None,
    persona=...,
    journey_gap_days: int | None = None,
) -> JourneyMap:
    """Change a map's own fields (stages and touchpoints are edited in the admin).
    `journey_gap_days` (1–365, validated by the caller's serializer or form) may change on any status.

    Raises ValidationError when the new name and this version already exist.
    """
    if name is not None:
        journey_map.name = name
    if description is not None:
        journey_map.description = description
    if persona is not ...:
        journey_map.persona = persona
    if journey_gap_days is not None:
        journey_map.journey_gap_days = journey_gap_days
    clash = JourneyMap.objects.filter(name=journey_map.name, version=journey_map.version).exclude(pk=journey_map.pk)
    message = f"Version {journey_map.version} of “{journey_map.name}” already exists."
    if clash.exists():
        raise ValidationError({"name": message})
    try:
        with transaction.atomic():
            journey_map.save()
    except IntegrityError:  # the same name and version saved at the same moment
        raise ValidationError({"name": message}) from None
    return journey_map


@transaction.atomic
def journey_map_clone(*, journey_map: JourneyMap, owner=None) -> JourneyMap:
    """Copy a map with every stage and touchpoint into a new draft, the next
    version of the same name, remembering where it came from. The copy shares
    nothing with the original, so editing it leaves the original unchanged."""
    source = JourneyMap.objects.get(pk=journey_map.pk)
    clone = _map_insert_next_version(
        name=source.name,
        description=source.description,
        persona_id=source.persona_id,
        journey_gap_days=source.journey_gap_days,
        owner=owner or source.owner,
        status=MapStatus.DRAFT,
        cloned_from=source,
    )
    old_stages = list(Stage.objects.filter(journey_map=source).order_by("position", "id"))
    new_stages = [Stage(journey_map=clone, **{f: getattr(s, f) for f in STAGE_FIELDS}) for s in old_stages]
    Stage.objects.bulk_create(new_stages)
    stage_map = {old.pk: new for old, new in zip(old_stages, new_stages, strict=True)}
    Touchpoint.objects.bulk_create(
        Touchpoint(journey_map=clone, stage=stage_map[tp.stage_id], **{f: getattr(tp, f) for f in TOUCHPOINT_FIELDS})
        for tp in Touchpoint.objects.filter(journey_map=source).order_by("position", "id")
    )
    return clone


def journey_map_publish(*, journey_map: JourneyMap) -> JourneyMap:
    """Publish a draft (or archived) map: its touchpoint keys go live and the
    published version it replaces (the one it was cloned from, or another
    published version of the same name) is archived.

    Raises ValidationError when the map is already published, has no stage with
    a touchpoint, or uses a key that another published map uses (naming that map
    and stage).
    """
    try:
        with transaction.atomic():
            journey_map = JourneyMap.objects.select_for_update().get(pk=journey_map.pk)
            if journey_map.status == MapStatus.PUBLISHED:
                raise ValidationError(gettext("“%(map)s” is already published.") % {"map": journey_map.label})
            if not Touchpoint.objects.filter(journey_map=journey_map).exists():
                message = gettext("“%(map)s” cannot be published: it needs at least one stage with one touchpoint.")
                raise ValidationError(message % {"map": journey_map.label})
            keys = Touchpoint.objects.filter(journey_map=journey_map).values_list("key", flat=True)
            _raise_on_key_conflicts(journey_map, keys)
            replaced = journey_map_versions_to_replace(journey_map=journey_map)
            # Archive first: the partial unique index on published keys must never see both.
            Touchpoint.objects.filter(journey_map_id__in=replaced).update(published=False)
            JourneyMap.objects.filter(pk__in=replaced).update(status=MapStatus.ARCHIVED, updated_at=timezone.now())
            journey_map.status = MapStatus.PUBLISHED
            journey_map.published_at = timezone.now()
            journey_map.save(update_fields=["status", "published_at", "updated_at"])
            Touchpoint.objects.filter(journey_map=journey_map).update(published=True)
    except IntegrityError:
        # Another map was published with one of these keys at the same moment.
        raise ValidationError(gettext("A touchpoint key of this map was just published by another map; try again."))
    published = journey_map
    transaction.on_commit(
        lambda: journey_map_published.send(
            sender=JourneyMap, journey_map=published, archived=list(JourneyMap.objects.filter(pk__in=replaced))
        )
    )
    return journey_map


@transaction.atomic
def journey_map_archive(*, journey_map: JourneyMap) -> JourneyMap:
    """Archive a map; if it was published its keys stop resolving.

    Raises ValidationError when it is already archived.
    """
    journey_map = JourneyMap.objects.select_for_update().get(pk=journey_map.pk)
    if journey_map.status == MapStatus.ARCHIVED:
        raise ValidationError(gettext("“%(map)s” is already archived.") % {"map": journey_map.label})
    was_published = journey_map.status == MapStatus.PUBLISHED
    journey_map.status = MapStatus.ARCHIVED
    journey_map.save(update_fields=["status", "updated_at"])
    Touchpoint.objects.filter(journey_map=journey_map).update(published=False)
    if was_published:
        transaction.on_commit(lambda: journey_map_archived.send(sender=JourneyMap, journey_map=journey_map))
    return journey_map


def journey_map_history(journey_map: JourneyMap) -> list[tuple[str, int]]:
    """[(verbose name, count)] of the rows of other apps (interactions, survey responses…) that point
    at the map or at its touchpoints, whatever their on_delete: the history a delete would take their
    journey attribution from. One COUNT per pointing model, only the non-zero ones. Found through the
    models' relations, so this app imports none of the apps above it."""
    filters: dict[type, Q] = {}
    touchpoints = Touchpoint.objects.filter(journey_map=journey_map)
    for model, target in ((Touchpoint, touchpoints), (JourneyMap, [journey_map])):
        for relation in model._meta.get_fields(include_hidden=True):
            if not (relation.auto_created and not relation.concrete and relation.one_to_many):
                continue
            if relation.related_model._meta.app_label == JourneyMap._meta.app_label:
                continue  # its own stages and touchpoints go with it
            lookup = Q(**{f"{relation.field.name}__in": target})
            filters[relation.related_model] = filters.get(relation.related_model, Q()) | lookup
    usage = []
    for related, condition in filters.items():
        count = related._base_manager.filter(condition).count()
        if count:
            meta = related._meta
            usage.append((str(meta.verbose_name if count == 1 else meta.verbose_name_plural), count))
    return sorted(usage)


def journey_map_delete(*, journey_map: JourneyMap) -> None:
    """Delete a draft or archived map.

    Raises ValidationError for a published map (archive it first), and for a map with history: rows of
    other apps (interactions, survey responses) pointing at it or its touchpoints, counted in the message
    (journey_map_history); such a map stays archived, so the reports keep their journey attribution.
    """
    if journey_map.status == MapStatus.PUBLISHED:
        raise ValidationError(
            gettext("“%(map)s” is published; archive it before deleting it.") % {"map": journey_map.label}
        )
    history = journey_map_history(journey_map)
    if history:
        rows = get_text_list([f"{count} {name}" for name, count in history], gettext("and"))
        message = gettext(
            "“%(map)s” cannot be deleted: its touchpoints are still used by %(rows)s (the reports attribute them "
            "to this journey). Keep it archived."
        )
        raise ValidationError(message % {"map": journey_map.label, "rows": rows})
    try:
        with transaction.atomic():
            journey_map.delete()
    except ProtectedError:
        message = gettext("“%(map)s” has touchpoints that interactions point at; archive it instead.")
        raise ValidationError(message % {"map": journey_map.label})
