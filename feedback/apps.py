from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import post_delete
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "feedback"
    verbose_name = _("Feedback (CX)")

    def ready(self):
        from customers import signals
        from cxcrm.outbox import outbox_register

        from . import receivers
        from .journey_analytics import tasks as journey_tasks  # noqa: F401  (registers the beat task)
        from .metrics import tasks as metrics_tasks  # noqa: F401  (registers the metrics' Celery tasks)
        from .services.responses import FOLLOWUP_NOTIFY

        outbox_register(signals.INTERACTIONS_RECORDED, receivers.handle_interactions_recorded)
        outbox_register(signals.CASE_RESOLVED, receivers.handle_case_resolved)
        outbox_register(FOLLOWUP_NOTIFY, receivers.handle_followup_notify)
        outbox_register(receivers.ROLLUPS_AFTER_MERGE, receivers.handle_rollups_after_merge)
        # The health score moves with an answer and a case opened (a breach or a resolution: the hourly run).
        from . import health
        from .services.responses import RESPONSE_SUBMITTED

        outbox_register(RESPONSE_SUBMITTED, health.handle_response_submitted, subscriber="health")
        outbox_register(signals.CASE_OPENED, health.handle_case_changed, subscriber="health")
        signals.customers_merged.connect(receivers.on_customers_merged, dispatch_uid="feedback.merged")
        signals.merge_undone.connect(receivers.on_merge_undone, dispatch_uid="feedback.merge_undone")
        signals.merge_preview.connect(receivers.on_merge_preview, dispatch_uid="feedback.merge_preview")
        signals.history_rewritten.connect(receivers.on_history_rewritten, dispatch_uid="feedback.history_rewritten")
        # A deleted user's interactions, cases and answers lose their agent (SET_NULL), which no row's time shows.
        post_delete.connect(
            receivers.on_history_rewritten, sender=settings.AUTH_USER_MODEL, dispatch_uid="feedback.user_deleted"
        )
