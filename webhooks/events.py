"""Which domain events become which webhook events, and the resource each one carries.

Each source is an outbox event a lower app records in the transaction of its write (customers' and
feedback's services); webhooks subscribes to it (cxcrm.outbox.outbox_register with a subscriber name), so
it gets its own outbox row beside the lower app's own handler and runs, retries and fails apart from it.
The handler reads the resource and fans it out as one delivery per enabled endpoint that subscribes
(services.deliveries_fan_out). The event id is the outbox row's id (with the resource's id for a batch),
so running the handler twice makes no second delivery; the event's time is the row's, the write's time.

`alert.raised` comes from the alerts app: a rule with the webhook channel records ALERT_RAISED with the alert's
id when it raises one (alerts.services.alert_raise), and the body carries the alert as GET /api/alerts/ shows it.
`customer.erased` comes from the erasure (customers.services.customer_erase records CUSTOMER_ERASED in its
transaction); the deliveries already made about that customer are scrubbed by webhooks/gdpr.py.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.utils import translation
from rest_framework.renderers import JSONRenderer

from .choices import EventType


def _as_json(data) -> object:
    # The API's own rendering (dates, decimals), read back as plain JSON values.
    import json

    return json.loads(JSONRenderer().render(data))


def _interactions(payload: dict) -> list[tuple[str, dict]]:
    from customers.api.serializers import InteractionSerializer
    from customers.selectors import interaction_list

    rows = interaction_list().filter(pk__in=payload["interaction_ids"]).order_by("pk")
    return [(str(row.pk), _as_json(InteractionSerializer(row).data)) for row in rows]


def _case(payload: dict) -> list[tuple[str, dict]]:
    from customers.api.serializers import CaseSerializer
    from customers.selectors import case_list

    case = case_list().filter(pk=payload["case_id"]).first()
    return [] if case is None else [("", _as_json(CaseSerializer(case).data))]


def _response(payload: dict) -> list[tuple[str, dict]]:
    from feedback.api.serializers import ResponseSerializer
    from feedback.selectors import response_list

    response = response_list().filter(pk=payload["response_id"]).first()
    return [] if response is None else [("", _as_json(ResponseSerializer(response).data))]


def _merge(payload: dict) -> list[tuple[str, dict]]:
    from customers.api.serializers import MergeRecordSerializer
    from customers.models import MergeRecord

    merge = MergeRecord.objects.filter(pk=payload["merge_id"]).first()
    return [] if merge is None else [("", _as_json(MergeRecordSerializer(merge).data))]


def _alert(payload: dict) -> list[tuple[str, dict]]:
    from alerts.api.serializers import AlertSerializer
    from alerts.models import Alert

    alert = Alert.objects.select_related("rule", "customer").filter(pk=payload["alert_id"]).first()
    if alert is None:
        return []
    with translation.override(settings.LANGUAGE_CODE):  # `message` in one language for every receiver
        data = _as_json(AlertSerializer(alert).data)
    data.pop("read_at", None)  # a reader's own state, not the alert's
    return [("", data)]


def _erased(payload: dict) -> list[tuple[str, dict]]:
    # Nothing personal is left to send: the id names the customer the receiver erases too.
    return [("", {"id": payload["customer_id"]})]


@dataclass(frozen=True)
class Source:
    outbox_event: str
    event_type: str
    resources: Callable[[dict], list[tuple[str, dict]]]


def sources() -> list[Source]:
    from alerts.services import ALERT_RAISED
    from customers import signals
    from feedback.services.responses import RESPONSE_SUBMITTED

    return [
        Source(signals.INTERACTIONS_RECORDED, EventType.INTERACTION_RECORDED, _interactions),
        Source(signals.CASE_OPENED, EventType.CASE_OPENED, _case),
        Source(signals.CASE_RESOLVED, EventType.CASE_RESOLVED, _case),
        Source(RESPONSE_SUBMITTED, EventType.RESPONSE_SUBMITTED, _response),
        Source(signals.CUSTOMERS_MERGED, EventType.CUSTOMER_MERGED, _merge),
        Source(signals.CUSTOMER_ERASED, EventType.CUSTOMER_ERASED, _erased),
        Source(ALERT_RAISED, EventType.ALERT_RAISED, _alert),
    ]


def handler_for(source: Source):
    """The outbox handler of one source: `handler(payload, message=row)`; returns deliveries made."""

    def handle(payload: dict, *, message) -> int:
        from . import services

        return services.deliveries_fan_out_event(
            event_type=source.event_type,
            event_id=f"msg_{message.pk}",
            occurred_at=message.created_at,
            resources=lambda: source.resources(payload),
        )

    handle.__name__ = f"handle_{source.event_type.replace('.', '_')}"
    return handle


def any_endpoint_enabled() -> bool:
    """Whether an event is worth an outbox row: without an enabled endpoint nothing is recorded."""
    from .models import WebhookEndpoint

    return WebhookEndpoint.objects.filter(enabled=True).exists()


def register() -> None:
    """Subscribe to every source's outbox event (called from WebhooksConfig.ready())."""
    from cxcrm.outbox import outbox_register

    from .models import WebhookEndpoint

    for source in sources():
        outbox_register(
            source.outbox_event,
            handler_for(source),
            subscriber="webhooks",
            with_message=True,
            when=any_endpoint_enabled,
            when_models=(WebhookEndpoint,),
        )
