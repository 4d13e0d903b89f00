"""alerts' part of a customer's erasure (customers/services/erasure.py, through settings.CUSTOMER_ERASURE_HOOKS):
an alert's message names the customer ("Ana Lima is a detractor…") and its detail may name a touchpoint or topic."""

from .models import Alert

ERASED_MESSAGE = "[erased]"


def customer_erase_rows(customer_ids: list[int], *, commit: bool) -> dict[str, int]:
    """Scrub the alerts about the customers, in the erasure's transaction; returns {label: rows}.

    Their message becomes ERASED_MESSAGE and their detail is emptied; the rule, reason, times and who received
    them are kept. One set-based update. With commit=False nothing is written: the alerts are counted.
    """
    alerts = Alert.objects.filter(customer_id__in=customer_ids).exclude(message=ERASED_MESSAGE)
    if not commit:
        return {"alerts": alerts.count()}
    return {"alerts": alerts.update(message=ERASED_MESSAGE, detail={})}
