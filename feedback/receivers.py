"""Receivers of customers' domain events (connected in FeedbackConfig.ready()).

Events arrive after the customers transaction committed. Rule evaluation goes to
the worker (enqueued on commit of whatever transaction is open now); merge moves
are small updates done in place so a merge and its undo see them at once.
"""

from django.db import transaction

from customers.choices import InteractionType

from . import services, tasks
from .metrics import tasks as metric_tasks


def on_interaction_recorded(sender, interaction, live=True, **kwargs):
    # History starts no survey, and neither does an answer to one (no task needed to tell).
    if not live or interaction.type == InteractionType.SURVEY_RESPONSE:
        return
    interaction_id = interaction.pk
    transaction.on_commit(lambda: tasks.evaluate_interaction_rules.delay(interaction_id))


def on_case_resolved(sender, case, **kwargs):
    case_id = case.pk
    transaction.on_commit(lambda: tasks.evaluate_case_rules.delay(case_id))


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
    merge_id = merge.pk
    transaction.on_commit(lambda: metric_tasks.rollup_metrics_after_merge.delay(merge_id))


def on_merge_preview(sender, survivor, other, **kwargs):
    from .models import Invitation, Response

    return {
        "survey invitations": Invitation.objects.filter(customer=other).count(),
        "survey responses": Response.objects.filter(customer=other).count(),
    }
