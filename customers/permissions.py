"""Who may change which customer record, beyond the model permissions of their role."""

from cxcrm.roles import may_change_record


def note_change_allowed(user, note) -> bool:
    """A note is changed (or deleted) by its author, a manager or a superuser; the model permission
    (customers.change_note) is checked as well, by the API's base permission and the admin."""
    return may_change_record(user, note.author_id)
