"""The line of a timeline entry the product writes itself (a case update, a survey answer) in the reader's
language, built when it is read from the codes and values the entry keeps in `metadata["summary_values"]`; the
pages and the API show it (Interaction.summary_display). Entries written by integrations, and the product's
entries stored before the values were kept (or erased), show their stored `summary`.

`metadata["summary_values"]` is {"key": <one of SUMMARY_KEYS>, ...the values its line needs}:

- case_update: case_id, subject, changes ([{field, from, to, from_label, to_label}], as the case's history
  rows keep them: a status, priority or origin by its code, an assignee by their name);
- survey_answered: survey (the survey's name).

A merge suggestion's reason is read the same way (suggestion_reason), from the sentence conflict_reason wrote.
"""

from django.utils.translation import gettext, pgettext

from .choices import OPEN_CASE_STATUSES, CaseOrigin, CasePriority, CaseStatus, IdentityKind, InteractionType

SUMMARY_KEYS = ("case_update", "survey_answered")
# The type of the entries the product writes with each key: other entries keep the summary they were given.
_ENTRY_TYPES = {"case_update": InteractionType.CASE_UPDATE, "survey_answered": InteractionType.SURVEY_RESPONSE}
SUMMARY_VALUES = "summary_values"
_VOCABULARIES = {"status": CaseStatus, "priority": CasePriority, "origin": CaseOrigin}
_FINISHED = (CaseStatus.RESOLVED, CaseStatus.CLOSED)


def _status_line(status: str, subject: str) -> str:
    # One sentence per status, so each language can agree the word with "case".
    lines = {
        CaseStatus.NEW: pgettext("case moved to", "Case new: %(subject)s"),
        CaseStatus.OPEN: pgettext("case moved to", "Case open: %(subject)s"),
        CaseStatus.PENDING: pgettext("case moved to", "Case pending: %(subject)s"),
        CaseStatus.RESOLVED: pgettext("case moved to", "Case resolved: %(subject)s"),
        CaseStatus.CLOSED: pgettext("case moved to", "Case closed: %(subject)s"),
    }
    return lines[status] % {"subject": subject}


def change_value_label(field: str, value: str, stored_label: str) -> str:
    """A changed field's value as the reader reads it: a status, priority or origin by its label in the active
    language, anything else (an assignee's name, a topic) by the label stored with the change; "" for none."""
    vocabulary = _VOCABULARIES.get(field)
    if vocabulary is not None and value in vocabulary.values:
        return str(vocabulary(value).label)
    return stored_label


def case_field_label(field: str) -> str:
    """A case field's name in the active language (its verbose_name); the name as stored for a field gone."""
    from django.core.exceptions import FieldDoesNotExist

    from .models import Case

    try:
        return str(Case._meta.get_field(field).verbose_name)
    except FieldDoesNotExist:  # a field no longer on the model: its name as stored
        return field


def case_update_line(values: dict) -> str:
    """A case update's line: "Case resolved: <subject>" for a status move, then the other changes
    ("Priority Normal → High"), each value by its label in the active language."""
    lead, parts = "", []
    for change in values["changes"]:
        field, old, new = change["field"], change["from"], change["to"]
        if field == "status":
            if new in OPEN_CASE_STATUSES and old in _FINISHED:
                lead = gettext("Case reopened: %(subject)s") % {"subject": values["subject"]}
            else:
                lead = _status_line(new, values["subject"])
        else:
            parts.append(
                gettext("%(field)s %(from)s → %(to)s")
                % {
                    "field": case_field_label(field),
                    "from": change_value_label(field, old, change.get("from_label", "")) or "—",
                    "to": change_value_label(field, new, change.get("to_label", "")) or "—",
                }
            )
    changes = "; ".join(parts)
    if not lead:
        return gettext("Case #%(case)s changed: %(changes)s") % {"case": values["case_id"], "changes": changes}
    if parts:
        return gettext("%(status_line)s (%(changes)s)") % {"status_line": lead, "changes": changes}
    return lead


def summary_line(values: dict) -> str:
    """The line of `values` (an entry's metadata["summary_values"]) in the active language.

    Raises KeyError, TypeError or ValueError when a value its key needs is missing or of the wrong type."""
    if values["key"] == "case_update":
        return case_update_line(values)
    if values["key"] == "survey_answered":
        return gettext("Survey answered · %(survey)s") % {"survey": values["survey"]}
    raise KeyError(values["key"])


def interaction_summary(interaction) -> str:
    """The entry's line in the active language; its stored `summary` when it keeps no values to build it from."""
    metadata = interaction.metadata if isinstance(interaction.metadata, dict) else {}
    values = metadata.get(SUMMARY_VALUES)
    if not isinstance(values, dict) or values.get("key") not in SUMMARY_KEYS:
        return interaction.summary
    if interaction.type != _ENTRY_TYPES[values["key"]]:
        # An integration's entry whose free-form metadata happens to hold the key shows the summary it gave.
        return interaction.summary
    try:
        return summary_line(values)
    except (KeyError, TypeError, ValueError, AttributeError):
        return interaction.summary


# --------------------------------------------------------------------------- merge suggestions

# A merge suggestion's reason is stored as one fixed English sentence (MergeSuggestion.reason, 300 characters,
# searched in the admin) that this pair of functions writes and reads back: its identities are the values.
_GIVEN_TOGETHER = "Given together on one interaction: "


def conflict_reason(identities) -> str:
    """The stored reason of a suggestion made when an interaction names identities of two customers (the first
    four, "email ana@example.com, phone +5511912345678")."""
    shown = ", ".join(f"{i.kind} {i.value}" for i in identities[:4])
    return f"{_GIVEN_TOGETHER}{shown}"


def suggestion_reason(reason: str) -> str:
    """A suggestion's reason in the active language, the identities' kinds by their labels; a reason not written
    by conflict_reason as it is."""
    if not reason.startswith(_GIVEN_TOGETHER):
        return reason
    shown = []
    for item in reason[len(_GIVEN_TOGETHER) :].split(", "):
        kind, _space, value = item.partition(" ")
        if kind not in IdentityKind.values or not value:
            return reason
        shown.append(f"{IdentityKind(kind).label} {value}")
    return gettext("Given together on one interaction: %(identities)s") % {"identities": ", ".join(shown)}
