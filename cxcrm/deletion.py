"""Refused deletes: what still uses a record, counted and said in words.

A foreign key with ``on_delete=PROTECT`` (or ``RESTRICT``) makes the database refuse to delete a record
that other rows point at; services turn Django's ``ProtectedError``/``RestrictedError`` into a
``ValidationError`` with this message, and the API's exception handler does the same as a safety net,
so a refused delete is always a 400 naming what still uses the record, never a 500.
"""

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import ProtectedError, RestrictedError
from django.db.models.deletion import PROTECT, RESTRICT


def protected_usage(instance: models.Model) -> list[tuple[str, int]]:
    """[(verbose name, count)] of the rows whose PROTECT/RESTRICT foreign keys point at `instance`,
    one COUNT query per such key, only the non-zero ones, in the model's field order."""
    usage: dict[str, int] = {}
    for relation in instance._meta.get_fields(include_hidden=True):
        if not (relation.auto_created and not relation.concrete and (relation.one_to_many or relation.one_to_one)):
            continue
        if relation.on_delete not in (PROTECT, RESTRICT):
            continue
        count = relation.related_model._base_manager.filter(**{relation.field.name: instance}).count()
        if count:
            meta = relation.related_model._meta
            name = str(meta.verbose_name if count == 1 else meta.verbose_name_plural)
            usage[name] = usage.get(name, 0) + count
    return list(usage.items())


def _words(usage: list[tuple[str, int]]) -> str:
    parts = [f"{count} {name}" for name, count in usage] or ["other records"]
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def in_use_message(instance: models.Model, *, advice: str = "") -> str:
    """“Persona “Vera” cannot be deleted: it is still used by 3 customers and 1 survey response.” (+ advice)."""
    label = str(instance._meta.verbose_name).capitalize()
    message = f"{label} “{instance}” cannot be deleted: it is still used by {_words(protected_usage(instance))}."
    return f"{message} {advice}".strip()


def refused_delete_message(error: ProtectedError | RestrictedError) -> str:
    """The message for a refused delete from the error alone (the rows it lists, counted per model)."""
    rows = error.protected_objects if isinstance(error, ProtectedError) else error.restricted_objects
    usage: dict[str, int] = {}
    for row in rows:
        usage[str(row._meta.verbose_name_plural)] = usage.get(str(row._meta.verbose_name_plural), 0) + 1
    return f"This record cannot be deleted: it is still used by {_words(list(usage.items()))}."


def delete_or_refuse(instance: models.Model, *, advice: str = "") -> None:
    """Delete `instance` in a savepoint; raises ValidationError (in_use_message) when protected rows
    still point at it, leaving everything as it was."""
    try:
        with transaction.atomic():
            instance.delete()
    except (ProtectedError, RestrictedError):
        raise ValidationError(in_use_message(instance, advice=advice)) from None
