"""python manage.py rollup_metrics --since DATE [--until DATE] — backfill the daily metric rollups."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from feedback.metrics.definitions import METRICS
from feedback.metrics.rollup import metric_rollups_backfill


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"Not a date (YYYY-MM-DD): {value}") from exc


class Command(BaseCommand):
    help = "Recompute the daily metric rollups for a range of days (re-running replaces them)."

    def add_arguments(self, parser):
        parser.add_argument("--since", required=True, help="First day, YYYY-MM-DD")
        parser.add_argument("--until", help="Last day, YYYY-MM-DD (default: today)")
        parser.add_argument("--metric", action="append", choices=sorted(METRICS), help="Only this metric (repeatable)")
        parser.add_argument("--no-progress", action="store_true", help="Do not draw the progress bar")

    def handle(self, *args, since, until, metric, no_progress, **options):
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
