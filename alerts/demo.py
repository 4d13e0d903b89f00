"""Demo: alert rules a CX team starts with, and the alerts of the latest detractors, so the bell and the
alerts page have something to show on a fresh `make run`."""

from django.contrib.auth.models import Group

from cxcrm.choices import Role
from feedback.models import Response
from feedback.scales import is_detractor

from .choices import Condition
from .models import AlertRule
from .services import alerts_raise_for_response

RECENT_DETRACTORS = 5


def load_demo(*, seed: int = 42, scale: int = 1, stdout=None) -> dict | None:
    """Create the demo alert rules once (skipped when any rule exists), then raise the alerts of the
    RECENT_DETRACTORS latest detractors' answers (whenever the demo's history put them, so there always are
    some). In-app only: the demo sends no email. Returns the counts."""
    if AlertRule.objects.exists():
        return None
    managers = Group.objects.filter(name=Role.MANAGER)
    detractors = AlertRule.objects.create(name="Detractor answers", condition=Condition.DETRACTOR)
    detractors.roles.set(managers)
    breaches = AlertRule.objects.create(name="SLA breaches", condition=Condition.SLA_BREACH, notify_owner=True)
    breaches.roles.set(managers)
    AlertRule.objects.create(name="Health fell below 40", condition=Condition.HEALTH_BELOW, health_below=40)
    AlertRule.objects.create(name="VIP in touch", condition=Condition.VIP)
    latest = Response.objects.order_by("-submitted_at", "-pk").values_list("pk", "kind", "score")[:500]
    detractors = [pk for pk, kind, score in latest if is_detractor(kind, score)][:RECENT_DETRACTORS]
    raised = 0
    for response_id in detractors:
        raised += len(alerts_raise_for_response(response_id=response_id))
    if stdout:
        stdout.write(f"  alerts: 4 rules, {raised} alerts from the latest {len(detractors)} detractors' answers")
    return {"rules": 4, "alerts": raised}
