"""Writes of the feedback app, one module per job; import them from here (`from feedback import services`).

- surveys.py      creating and changing surveys (the question rules are Survey.questions_check), a test email
- invitations.py  which survey goes to whom and when: rule evaluation, scheduling, link-only invitations,
                  the first visit, opt-out
- sending.py      getting invitations and reminders out in batches, retries, send leases, expiry
- responses.py    recording an answer, the detractor's follow-up case and its assignee's email
- merges.py       invitations and responses following a customer merge and its undo

The helpers the services call hold no database writes and stay at the app root: delivery.py renders
the email and SMS, scheduling.py is the quiet-hours, sampling and backoff arithmetic, sms.py the SMS
backends (SMS_BACKEND), tokens.py the signed survey links, sentiment.py the comment analyser
(SENTIMENT_ANALYSER). Reads are in selectors.py; tasks.py and receivers.py call these services and
nothing here imports them back (a task is enqueued by its name).
"""

from .invitations import (
    customer_survey_opt_out,
    interaction_starts_surveys,
    invitation_create_link,
    invitation_mark_opened,
    invitation_schedule,
    source_key_for,
    survey_rules_evaluate_case,
    survey_rules_evaluate_interaction,
    survey_rules_evaluate_interactions,
)
from .merges import (
    invitations_move_back_on_undo,
    invitations_move_on_merge,
    responses_move_back_on_undo,
    responses_move_on_merge,
)
from .responses import (
    InvitationClosed,
    answers_clean,
    comment_max_length,
    followup_assignee,
    followup_notify,
    invitation_answer_state,
    response_submit,
)
from .sending import (
    invitations_claim_due,
    invitations_expire,
    invitations_release_expired_claims,
    invitations_send_due,
    invitations_send_reminders,
)
from .surveys import survey_create, survey_delete, survey_send_test, survey_update

__all__ = [
    "InvitationClosed",
    "answers_clean",
    "comment_max_length",
    "customer_survey_opt_out",
    "followup_assignee",
    "followup_notify",
    "interaction_starts_surveys",
    "invitation_answer_state",
    "invitation_create_link",
    "invitation_mark_opened",
    "invitation_schedule",
    "invitations_expire",
    "invitations_claim_due",
    "invitations_move_back_on_undo",
    "invitations_move_on_merge",
    "invitations_release_expired_claims",
    "invitations_send_due",
    "invitations_send_reminders",
    "response_submit",
    "responses_move_back_on_undo",
    "responses_move_on_merge",
    "source_key_for",
    "survey_create",
    "survey_delete",
    "survey_rules_evaluate_case",
    "survey_rules_evaluate_interaction",
    "survey_rules_evaluate_interactions",
    "survey_send_test",
    "survey_update",
]
