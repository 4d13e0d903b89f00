"""Receivers of customers' domain events and handlers of the outbox events feedback handles
(connected and registered in FeedbackConfig.ready()).

Rule evaluation and the follow-up email are background work that must not be lost: customers (for an
interaction or a resolved case) and feedback's own services (for an answer) record an outbox row in the
write's transaction (cxcrm/outbox.py), and the worker runs the handler registered here for its event.
Merge moves are small updates done in place by the signals, which customers sends inside the merge's
transaction, so a merge and its undo see them at once; the rollup recompute they cause is an outbox row
recorded in that same transaction. Every handler is idempotent.
"""

from cxcrm.outbox import outbox_record

from . import services
from .metrics import tasks as metric_tasks
from .metrics.rollup import metric_rollups_history_rewritten

ROLLUPS_AFTER_MERGE = "feedback.rollups_after_merge"


# --------------------------------------------------------------------------- outbox handlers


def handle_interactions_recorded(payload: dict) -> int:
    """{"interaction_ids": [...]}: one rule evaluation for the whole batch. Returns invitations made or found."""
    return len(services.survey_rules_evaluate_interactions(interaction_ids=payload["interaction_ids"]))


def handle_case_resolved(payload: dict) -> int:
    """{"case_id": n}: the case-resolved rules. Returns invitations made or found."""
    return len(services.survey_rules_evaluate_case(case_id=payload["case_id"]))


def handle_followup_notify(payload: dict) -> bool:
    """{"response_id": n}: email the follow-up case's assignee (once: followup_notify claims a stamp)."""
    return services.followup_notify(response_id=payload["response_id"])


def handle_rollups_after_merge(payload: dict) -> int:
    """{"merge_id": n}: recompute the metric rollups the merge (or its undo) changed."""
    return metric_tasks.rollup_metrics_after_merge(payload["merge_id"])


# --------------------------------------------------------------------------- signal receivers


def on_customers_merged(sender, merge, **kwargs):
    services.invitations_move_on_merge(merge=merge)
    services.responses_move_on_merge(merge=merge)
    _refresh_rollups(merge)


def on_merge_undone(sender, merge, **kwargs):
    services.invitations_move_back_on_undo(merge=merge)
    services.responses_move_back_on_undo(merge=merge)
    _refresh_rollups(merge)


def _refresh_rollups(merge):
    # The moved history changes past figures (by persona, churn, unique customers): recompute them on the worker.
    outbox_record(event=ROLLUPS_AFTER_MERGE, payload={"merge_id": merge.pk})


def on_history_rewritten(sender, **kwargs):
    # customers' history_rewritten, or a user deleted (their rows lose their agent): sent inside the change's
    # transaction, so the stamp commits, or rolls back, with it.
    metric_rollups_history_rewritten()


def on_merge_preview(sender, survivor, other, **kwargs):
    from .models import Invitation, Response

    return {
        "survey invitations": Invitation.objects.filter(customer=other).count(),
        "survey responses": Response.objects.filter(customer=other).count(),
    }
