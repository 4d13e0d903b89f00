"""Celery tasks of the feedback app: ids in, one service call, a log line.

The import goes one way: tasks import the services, never the reverse. A service that needs a task
run after its transaction commits enqueues it by the name given here (see
feedback/services/responses.py), so renaming a task means changing that name too.
"""

import logging

from celery import shared_task

from . import services

logger = logging.getLogger(__name__)

TASK_OPTIONS = {"acks_late": True, "reject_on_worker_lost": True, "ignore_result": True}


@shared_task(
    name="feedback.evaluate_interaction_rules",
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=3,
    **TASK_OPTIONS,
)
def evaluate_interaction_rules(interaction_id: int) -> int:
    """Idempotent: invitations are unique per survey and source event."""
    invitations = services.survey_rules_evaluate_interaction(interaction_id=interaction_id)
    logger.info("interaction %s: %s survey invitations", interaction_id, len(invitations))
    return len(invitations)


@shared_task(
    name="feedback.evaluate_case_rules", autoretry_for=(Exception,), retry_backoff=True, max_retries=3, **TASK_OPTIONS
)
def evaluate_case_rules(case_id: int) -> int:
    invitations = services.survey_rules_evaluate_case(case_id=case_id)
    logger.info("case %s: %s survey invitations", case_id, len(invitations))
    return len(invitations)


@shared_task(name="feedback.send_due_invitations", **TASK_OPTIONS)
def send_due_invitations(batch_size: int | None = None) -> dict:
    """Beat: first hand back the claims of a dead worker (lease expired), then claim and send a batch of due ones.

    Idempotent: a redelivered or concurrent run claims only rows still scheduled."""
    services.invitations_release_expired_claims()
    return services.invitations_send_due(batch_size=batch_size)


@shared_task(name="feedback.send_survey_reminders", **TASK_OPTIONS)
def send_survey_reminders(batch_size: int | None = None) -> int:
    return services.invitations_send_reminders(batch_size=batch_size)


@shared_task(name="feedback.expire_invitations", **TASK_OPTIONS)
def expire_invitations(batch_size: int | None = None) -> int:
    return services.invitations_expire(batch_size=batch_size)


@shared_task(
    name="feedback.notify_followup_assignee",
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=5,
    **TASK_OPTIONS,
)
def notify_followup_assignee(response_id: int) -> bool:
    """Idempotent: the response's followup_notified_at stamp is claimed before the email goes out.

    Enqueued by name (services.responses.FOLLOWUP_NOTIFY_TASK) when a detractor's follow-up case opens.
    """
    sent = services.followup_notify(response_id=response_id)
    logger.info("response %s: follow-up assignee %s", response_id, "emailed" if sent else "not emailed")
    return sent


@shared_task(name="feedback.refresh_health_scores", **TASK_OPTIONS)
def refresh_health_scores() -> int:
    """Beat: recompute every listed customer's health score (set-based, in batches), then prune old history.

    Idempotent: a second run at the same time moves nothing."""
    from . import health

    moved = health.customer_health_refresh()
    pruned = health.health_history_prune()
    logger.info("health scores: %s moved, %s old changes pruned", moved, pruned)
    return moved
