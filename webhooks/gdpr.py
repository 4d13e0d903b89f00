"""webhooks' part of a customer's erasure (customers/services/erasure.py, through settings.CUSTOMER_ERASURE_HOOKS):
the deliveries whose body is about the customer (an interaction, case or survey response of theirs, a merge
they were part of) hold the resource as the API showed it, personal data included."""

from django.db.models import Q

from .choices import DeliveryStatus
from .models import WebhookDelivery

ERASED_PAYLOAD = {"erased": True}


def customer_erase_rows(customer_ids: list[int], *, commit: bool) -> dict[str, int]:
    """Scrub the deliveries about the customers, in the erasure's transaction; returns {label: rows}.

    Their body becomes ERASED_PAYLOAD (the row keeps its event id and type, status and attempts) and their
    error text is emptied; those not delivered yet (pending, or failed and to be tried again) are given up,
    so the personal data is never sent after the erasure (the receiver gets `customer.erased` instead).
    Two set-based updates. With commit=False nothing is written: the deliveries concerned are counted.
    """
    about = (
        Q(payload__data__customer__in=customer_ids)
        | Q(payload__data__survivor__in=customer_ids)
        | Q(payload__data__merged__in=customer_ids)
    )
    deliveries = WebhookDelivery.objects.filter(about).exclude(payload=ERASED_PAYLOAD)
    if not commit:
        return {"webhook_deliveries": deliveries.count()}
    ids = list(deliveries.values_list("pk", flat=True))
    WebhookDelivery.objects.filter(pk__in=ids, status__in=[DeliveryStatus.PENDING, DeliveryStatus.FAILED]).update(
        status=DeliveryStatus.GAVE_UP, next_attempt_at=None
    )
    count = WebhookDelivery.objects.filter(pk__in=ids).update(payload=ERASED_PAYLOAD, last_error="")
    return {"webhook_deliveries": count}
