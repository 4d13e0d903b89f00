"""The JSON document of a journey map: export and import.

The export is the API representation (`JourneyMapSerializer`) without ids
(`id` of map, stages and touchpoints, and `cloned_from`). Import reads the same
document (`journey_gap_days` included, 1–365, 30 when absent) and creates a
*draft*, the next version of its name; it ignores what
belongs to a version rather than to the map's content (`status`, `version`,
`owner`, `published_at`, `created_at`, `updated_at`). Errors name the field and
its position, e.g. ``stages[1].touchpoints[0].channel``.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from .api.serializers import JourneyMapSerializer
from .models import DEFAULT_JOURNEY_GAP_DAYS, JourneyMap
from .services import journey_map_create

ID_FIELDS = ("id", "cloned_from")
VERSION_FIELDS = ("status", "version", "owner", "published_at", "created_at", "updated_at")


def _strip_ids(value):
    if isinstance(value, dict):
        return {k: _strip_ids(v) for k, v in value.items() if k not in ID_FIELDS}
    if isinstance(value, list):
        return [_strip_ids(v) for v in value]
    return value


def journey_map_export(*, journey_map: JourneyMap) -> dict:
    """The map as a JSON-ready dict (pass a map from `journey_map_get` to keep it to four queries)."""
    return _strip_ids(JourneyMapSerializer(journey_map).data)


def flatten_errors(errors, path: str = "") -> dict[str, list[str]]:
    """DRF's nested error structure as {"stages[1].touchpoints[0].key": [messages]}."""
    flat: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        for name, value in errors.items():
            if isinstance(name, int):  # some list fields report errors by index
                flat.update(flatten_errors(value, f"{path}[{name}]"))
            else:
                flat.update(flatten_errors(value, f"{path}.{name}" if path else str(name)))
    elif isinstance(errors, list) and errors and all(isinstance(e, str) for e in errors):
        flat[path or "non_field_errors"] = [str(e) for e in errors]
    elif isinstance(errors, list):
        for index, value in enumerate(errors):
            if value:
                flat.update(flatten_errors(value, f"{path}[{index}]"))
    elif errors:
        flat[path or "non_field_errors"] = [str(errors)]
    return flat


def journey_map_import(*, data, owner=None) -> JourneyMap:
    """Create a draft map from an exported document (or an API create payload).

    Raises ValidationError whose keys name the field and position
    (``stages[0].touchpoints[2].key``) when the document is invalid.
    """
    if not isinstance(data, dict):
        raise ValidationError({"non_field_errors": [gettext("Expected a JSON object describing one journey map.")]})
    serializer = JourneyMapSerializer(data=data)
    if not serializer.is_valid():
        raise ValidationError(flatten_errors(serializer.errors))
    validated = serializer.validated_data
    return journey_map_create(
        name=validated["name"],
        description=validated.get("description", ""),
        persona=validated.get("persona"),
        journey_gap_days=validated.get("journey_gap_days", DEFAULT_JOURNEY_GAP_DAYS),
        stages=[dict(stage) for stage in validated.get("stages", [])],
        owner=owner,
    )
