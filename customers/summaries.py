"""The line of a timeline entry the product writes itself (a case update, a survey answer) in the reader's
language, built when it is read from the codes and values the entry keeps in `metadata["summary_values"]`; the
pages and the API show it (Interaction.summary_display). Entries written by integrations, and the product's
entries stored before the values were kept (or erased), show their stored `summary`.

`metadata["summary_values"]` is {"key": <one of SUMMARY_KEYS>, ...the values its line needs}:

- case_update: case_id, subject, changes ([{field, from, to, from_label, to_label}], as the case's history
  rows keep them: a status, priority or origin by its code, an assignee by their name);
- survey_answered: survey (the survey's name).
"""

from django.utils.translation import gettext, pgettext

from .choices import OPEN_CASE_STATUSES, CaseOrigin, CasePriority, CaseStatus

SUMMARY_KEYS = ("case_update", "survey_answered")
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


def _value_label(field: str, value: str, stored_label: str) -> str:
    vocabulary = _VOCABULARIES.get(field)
    if vocabulary is not None and value in vocabulary.values:
        return str(vocabulary(value).label)
    return stored_label or "—"


def _field_label(field: str) -> str:
    from .models import Case

    try:
        return str(Case._meta.get_field(field).verbose_name)
    except Exception:  # a field no longer on the model: its name as stored
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
                    "field": _field_label(field),
                    "from": _value_label(field, old, change.get("from_label", "")),
                    "to": _value_label(field, new, change.get("to_label", "")),
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
    try:
        return summary_line(values)
    except (KeyError, TypeError, ValueError, AttributeError):
        return interaction.summary
