"""Demo: roll up the metrics over the demo's history so the reports have figures at once."""

from datetime import timedelta

from django.db.models import Min
from django.utils import timezone

from customers.models import Interaction

from .rollup import metric_rollups_recompute

DEMO_DAYS = 400


def load_demo(*, seed: int = 42, scale: int = 1, stdout=None) -> None:
    """Compute the daily rollups from the first demo interaction (at most DEMO_DAYS back) to today.

    Skipped when rollups exist already: a second `make run` reloads nothing, and beat keeps
    the recent days fresh.
    """
    from feedback.models import MetricRollup

    if MetricRollup.objects.exists():
        return
    today = timezone.localdate()
    first = Interaction.objects.aggregate(first=Min("occurred_at"))["first"]
    if first is None:
        return
    start = max(timezone.localdate(first), today - timedelta(days=DEMO_DAYS))
    stored = metric_rollups_recompute(start=start, end=today)
    if stdout:
        stdout.write(f"  feedback: metric rollups from {start} to {today}: {sum(stored.values())} daily rows")
