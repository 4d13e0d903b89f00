"""python manage.py rollup_metrics --since DATE [--until DATE] — backfill the daily metric rollups."""

from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from feedback.metrics.definitions import METRICS
from feedback.metrics.rollup import metric_rollups_recompute

CHUNK_DAYS = 31


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
        chunks, cursor = [], start
        while cursor <= end:
            last = min(cursor + timedelta(days=CHUNK_DAYS - 1), end)
            chunks.append((cursor, last))
            cursor = last + timedelta(days=1)
        stream = self.stderr._out if not no_progress else None
        stored: dict[str, int] = {}
        for index, (first, last) in enumerate(chunks, 1):
            # Each chunk is replaced in its own transaction, so a long backfill holds no long lock.
            for name, rows in metric_rollups_recompute(start=first, end=last, metrics=metric).items():
                stored[name] = stored.get(name, 0) + rows
            if stream:
                filled = int(30 * index / len(chunks))
                stream.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {index}/{len(chunks)} chunks, up to {last}")
                stream.flush()
        if stream:
            stream.write("\n")
        days = (end - start).days + 1
        self.stdout.write(
            f"Stored {sum(stored.values())} daily rows for {len(stored)} metrics over {days} days ({start} to {end})."
        )
