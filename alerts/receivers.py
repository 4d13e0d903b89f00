"""The outbox events alerts subscribe to (registered in AlertsConfig.ready()), and alerts' own email event.

Alerts subscribe beside each event's own handler (`subscriber="alerts"`), so their row runs, retries and fails
apart from feedback's and webhooks'. Every handler is idempotent: an alert is unique per rule, customer,
reason and window, and an email claims its recipient's stamp.
"""

from . import services


def handle_response_submitted(payload: dict) -> int:
    """{"response_id": n}: detractor and VIP rules. Returns alerts raised."""
    return len(services.alerts_raise_for_response(response_id=payload["response_id"]))


def handle_interactions_recorded(payload: dict) -> int:
    """{"interaction_ids": [...]}: repeat-contact and VIP rules. Returns alerts raised."""
    return len(services.alerts_raise_for_interactions(interaction_ids=payload["interaction_ids"]))


def handle_case_opened(payload: dict) -> int:
    """{"case_id": n}: VIP rules. Returns alerts raised."""
    return len(services.alerts_raise_for_case_opened(case_id=payload["case_id"]))


def handle_case_breached(payload: dict) -> int:
    """{"case_id": n}: SLA-breach rules. Returns alerts raised."""
    return len(services.alerts_raise_for_case_breached(case_id=payload["case_id"]))


def handle_health_dropped(payload: dict) -> int:
    """{"change_ids": [...]}: health-below rules. Returns alerts raised."""
    return len(services.alerts_raise_for_health_drops(change_ids=payload["change_ids"]))


def handle_alert_email(payload: dict) -> bool:
    """{"recipient_id": n}: email one recipient their alert (once)."""
    return services.alert_email_send(recipient_id=payload["recipient_id"])


def any_rule_enabled() -> bool:
    """Whether an event is worth an outbox row for alerts: without an enabled rule nothing is recorded."""
    from .models import AlertRule

    return AlertRule.objects.filter(enabled=True).exists()


def register() -> None:
    from customers import signals
    from cxcrm.outbox import outbox_register
    from feedback.health import HEALTH_DROPPED
    from feedback.services.responses import RESPONSE_SUBMITTED

    from .models import AlertRule

    for event, handler in (
        (RESPONSE_SUBMITTED, handle_response_submitted),
        (signals.INTERACTIONS_RECORDED, handle_interactions_recorded),
        (signals.CASE_OPENED, handle_case_opened),
        (signals.CASE_BREACHED, handle_case_breached),
        (HEALTH_DROPPED, handle_health_dropped),
    ):
        outbox_register(event, handler, subscriber="alerts", when=any_rule_enabled, when_models=(AlertRule,))
    outbox_register(services.ALERT_EMAIL, handle_alert_email)
