from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "feedback"
    verbose_name = "Feedback (CX)"

    def ready(self):
        from customers import signals

        from . import receivers
        from .metrics import tasks as metrics_tasks  # noqa: F401  (registers the metrics' Celery tasks)

        signals.interaction_recorded.connect(receivers.on_interaction_recorded, dispatch_uid="feedback.interaction")
        signals.case_resolved.connect(receivers.on_case_resolved, dispatch_uid="feedback.case_resolved")
        signals.customers_merged.connect(receivers.on_customers_merged, dispatch_uid="feedback.merged")
        signals.merge_undone.connect(receivers.on_merge_undone, dispatch_uid="feedback.merge_undone")
        signals.merge_preview.connect(receivers.on_merge_preview, dispatch_uid="feedback.merge_preview")
