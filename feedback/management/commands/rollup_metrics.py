"""python manage.py rollup_metrics --since DATE [--until DATE] — backfill the daily metric rollups and the
journey analytics of the published maps."""

from datetime import date, datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from feedback.journey_analytics.compute import journey_analytics_refresh_all
from feedback.metrics.definitions import METRICS
from feedback.metrics.rollup import metric_rollups_backfill


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"Not a date (YYYY-MM-DD): {value}") from exc


class Command(BaseCommand):
    help = (
        "Recompute the daily metric rollups for a range of days and the journey analytics of the customers whose "
        "history changed since its first day (re-running replaces them)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--since", required=True, help="First day, YYYY-MM-DD")
        parser.add_argument("--until", help="Last day, YYYY-MM-DD (default: today)")
        parser.add_argument("--metric", action="append", choices=sorted(METRICS), help="Only this metric (repeatable)")
        parser.add_argument("--no-progress", action="store_true", help="Do not draw the progress bar")
        parser.add_argument(
            "--no-journeys", action="store_true", help="Do not recompute the journey analytics (implied by --metric)"
        )

    def handle(self, *args, since, until, metric, no_progress, no_journeys=False, **options):
        start = _date(since)
        end = _date(until) if until else timezone.localdate()
        if start > end:
            raise CommandError("--since is after --until.")
        stream = self.stderr._out if not no_progress else None

        def progress(done: int, total: int, last: date) -> None:
            if stream:
                filled = int(30 * done / total)
                stream.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{total} chunks, up to {last}")
                stream.flush()

        stored = metric_rollups_backfill(start=start, end=end, metrics=metric, progress=progress)
        if stream:
            stream.write("\n")
        days = (end - start).days + 1
        self.stdout.write(
            f"Stored {sum(stored.values())} daily rows for {len(stored)} metrics over {days} days ({start} to {end})."
        )
        if metric or no_journeys:
            return
        # Journeys are whole histories: every customer with a change since the first day is recomputed whole.
        summary = journey_analytics_refresh_all(
            since=datetime.combine(start, time.min, tzinfo=timezone.get_default_timezone())
        )
        journeys = sum(counts["journeys"] for counts in summary.values())
        customers = sum(counts["customers"] for counts in summary.values())
        self.stdout.write(
            f"Journey analytics: {journeys} journeys of {customers} customers on {len(summary)} published maps."
        )
