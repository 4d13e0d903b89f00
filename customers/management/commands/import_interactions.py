"""python manage.py import_interactions FILE — import history from CSV or JSONL (see customers.services.importfile).

Options: --encoding (default utf-8, read with or without a BOM), --chunk-size, --source, --no-progress,
--workers (worker processes on PostgreSQL; 1 by default).
Every valid row is imported whatever its neighbours hold; each bad one is reported as "line N: field: message".
A file of an unknown type or encoding, or whose CSV header cannot be read, is refused before any row
(CommandError).
"""

import sys
import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from customers.models import Customer, Identity, Interaction
from customers.services.importfile import ENCODING_HINT, FIELD_MAX_CHARS, interactions_import_file, rows_count
from cxcrm.db import tables_analyze


class ProgressBar:
    """A one-line progress bar on stderr, redrawn at most every 0.2 s."""

    def __init__(self, total: int, stream=None, width: int = 30):
        self.total, self.stream, self.width = max(total, 1), stream or sys.stderr, width
        self.last = 0.0

    def __call__(self, done: int, force: bool = False):
        now = time.monotonic()
        if not force and now - self.last < 0.2:
            return
        self.last = now
        fraction = min(done / self.total, 1)
        filled = int(self.width * fraction)
        self.stream.write(f"\r[{'#' * filled}{'.' * (self.width - filled)}] {fraction:4.0%} {done}/{self.total} rows")
        self.stream.flush()

    def finish(self, done: int):
        self(done, force=True)
        self.stream.write("\n")


class Command(BaseCommand):
    help = "Import interactions (history: they start no surveys) from a CSV or JSONL file."

    def add_arguments(self, parser):
        parser.add_argument("file", help="A .csv or .jsonl file")
        parser.add_argument("--chunk-size", type=int, default=500, help="Rows resolved per transaction")
        parser.add_argument("--source", default="import", help="Source of rows that name none")
        parser.add_argument("--no-progress", action="store_true", help="Do not draw the progress bar")
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="Worker processes importing chunks of the file at once (PostgreSQL; e.g. the number of cores). "
            "SQLite imports in one process.",
        )
        parser.add_argument(
            "--encoding",
            default="utf-8",
            help="The file's text encoding, e.g. latin-1 or cp1252 (default utf-8, with or without a BOM). "
            f"A field holds at most {FIELD_MAX_CHARS:,} characters.",
        )

    def handle(self, *args, file, chunk_size, source, no_progress, encoding, workers, **options):
        if chunk_size < 1 or workers < 1:
            raise CommandError("--chunk-size and --workers take a whole number of at least 1.")
        try:
            total = rows_count(file)
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}.") from exc
        progress = None if no_progress else ProgressBar(total, self.stderr._out)
        try:
            summary = interactions_import_file(
                file, source=source, chunk_size=chunk_size, encoding=encoding, workers=workers, progress=progress
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        if progress:
            progress.finish(summary.processed)
        if summary.created or summary.customers_created:
            # The tables grew in bulk: fresh planner statistics for the queries that follow (PostgreSQL).
            tables_analyze(Interaction, Customer, Identity)
        self.stdout.write(
            f"Created {summary.created} interactions, {summary.existing} already present, "
            f"{summary.customers_created} new customers, {len(summary.errors)} errors."
        )
        for line, errors in summary.errors:
            messages = "; ".join(f"{field}: {' '.join(map(str, msgs))}" for field, msgs in errors.items())
            self.stdout.write(self.style.ERROR(f"line {line}: {messages}"))
        undecodable = sum(any(ENCODING_HINT in str(m) for m in errors.get("row", ())) for _, errors in summary.errors)
        if undecodable:
            self.stdout.write(
                self.style.WARNING(
                    f"{undecodable} line{'s are' if undecodable > 1 else ' is'} not {encoding} text: run the import "
                    "again with the file's --encoding "
                    "(for example --encoding latin-1); the rows imported now are recognised and not imported twice."
                )
            )
