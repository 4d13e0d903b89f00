"""Reading interaction files (CSV or JSONL) into parsed rows for `interactions_import`.

Columns / keys: channel, network, occurred_at, summary, body, direction, type, source,
external_id, touchpoint, case, campaign, metadata (JSON), customer_id; customer
details first_name, last_name, language, country, timezone (or a JSONL
`customer` object); identities as columns `email`, `phone` (or `whatsapp`, `sms`, `mobile`), `device`,
`handle:<network>`, `external_id:<system>` (or a JSONL `identities` list).
Each row becomes the API's input and goes through the same parser (ingest_input.py).

The file is read in an encoding given by the caller (UTF-8 by default, with or without a byte order mark, in
CSV and JSONL alike). Whatever a line holds, the import goes on with the next: a line that is not text in that
encoding (naming the --encoding option), a cell longer than FIELD_MAX_CHARS, a record the CSV or JSON reader
refuses or a value the parser refuses is an error for its line number; only an unknown file type or encoding
and a header that cannot be read (unknown columns, undecodable) refuse the whole file, before any row.
"""

import codecs
import csv
import hashlib
import json
import re
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from multiprocessing import get_context
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import connection, connections

from ..choices import IDENTITY_KIND_ALIASES
from .ingest import ImportSummary, interactions_import
from .ingest_input import INPUT_FIELDS, NOT_AN_OBJECT, FieldErrors, InteractionInput, interaction_inputs_parse

IMPORT_SOURCE = "import"

# Every field of the API's input but the nested ones (the customer's details and identities have columns of
# their own below) and the agent (a user id means nothing in a file from another system).
INTERACTION_KEYS = INPUT_FIELDS - {"customer", "identities", "agent"}
DETAIL_KEYS = {"first_name", "last_name", "language", "country", "timezone"}
# Identity columns: a kind, or an alias of the phone ("whatsapp", "sms", "mobile").
PLAIN_IDENTITY_KEYS = {"email", "phone", "device", *IDENTITY_KIND_ALIASES}
NETWORK_IDENTITY_KINDS = {"handle", "external_id"}


def _identity_column(name: str) -> tuple[str, str] | None:
    """(kind, network) for an identity column name, else None."""
    if name in PLAIN_IDENTITY_KEYS:
        return name, ""
    kind, sep, network = name.partition(":")
    if sep and kind in NETWORK_IDENTITY_KINDS and network:
        return kind, network
    return None


def _unknown(keys) -> list[str]:
    allowed = INTERACTION_KEYS | DETAIL_KEYS | {"identities", "customer"}
    return sorted(str(k)[:_SHOWN_NAME] for k in keys if k not in allowed and _identity_column(k) is None)


def row_to_input(row: dict) -> dict:
    """Map one row (CSV cells or a JSON object) to the API's input fields (empty cells left out).

    Raises ValidationError({"metadata": [...]}) when a metadata cell is not JSON, {"customer": [...]} when
    `customer` is not an object and {"identities": [...]} when `identities` is not a list (the values inside
    are checked by the parser)."""
    data = {k: v for k, v in row.items() if k in INTERACTION_KEYS and v not in (None, "")}
    metadata = data.get("metadata")
    if isinstance(metadata, str):
        try:
            data["metadata"] = _json(metadata)
        except ValueError as exc:
            raise ValidationError({"metadata": [f"Not valid JSON: {exc}."]}) from None
        except RecursionError:
            raise ValidationError({"metadata": ["Not valid JSON: nested too deeply."]}) from None
    errors = {}
    customer, identities = row.get("customer"), row.get("identities")
    if customer not in (None, "") and not isinstance(customer, dict):
        errors["customer"] = [NOT_AN_OBJECT.format(type=type(customer).__name__)]
    if identities not in (None, "") and not isinstance(identities, list):
        errors["identities"] = [f"Expected a list of identities but got type “{type(identities).__name__}”."]
    if errors:
        raise ValidationError(errors)
    details = dict(customer or {})
    details.update({k: v for k, v in row.items() if k in DETAIL_KEYS and v not in (None, "")})
    if details:
        data["customer"] = details
    identities = list(identities or [])
    for name, value in row.items():
        column = _identity_column(name)
        if column and value not in (None, ""):
            identities.append({"kind": column[0], "value": value, "network": column[1]})
    data["identities"] = identities
    return data


# --------------------------------------------------------------------------- reading the file

# A cell (or a JSON string, however deep) longer than this is an error for its line: the row is not imported.
FIELD_MAX_CHARS = 1_000_000
# What Python's csv module reads of one field before it gives up (its default, 128 KiB, stopped the import at
# the first long cell). Larger than FIELD_MAX_CHARS so that a long cell is read whole, then refused by its line;
# a cell beyond even this (or a JSONL line longer than it) is an error for its line too.
LINE_MAX_CHARS = 64 * 1024 * 1024
# Undecodable bytes, read with errors="surrogateescape" (a text decoded without errors never holds these).
_UNDECODABLE = re.compile("[\udc80-\udcff]")
_SHOWN_NAME = 40  # characters of an unknown column's name repeated in a message
# In the message of every line that is not text in the encoding read (the command counts them).
ENCODING_HINT = "give the file's encoding with --encoding"


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _json(text: str):
    """JSON as PostgreSQL's jsonb takes it: NaN and Infinity are refused (ValueError), as the API refuses them."""
    return json.loads(text, parse_constant=_no_constant)


def _codec(encoding: str) -> tuple[str, str]:
    """(the codec to read with, the name to show) for an --encoding value; UTF-8 is read with or without a BOM.
    Raises ValidationError for an unknown encoding."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise ValidationError(f"Unknown encoding “{encoding}” (give one such as utf-8, latin-1, cp1252).") from None
    if name in ("utf-8", "utf-8-sig"):
        return "utf-8-sig", "UTF-8"
    return name, name


def _undecodable(line_no: int, shown: str) -> FieldErrors:
    return {
        "row": [
            f"Line {line_no} is not {shown} text: {ENCODING_HINT} (for example --encoding latin-1 or "
            "--encoding cp1252)."
        ]
    }


def _too_long(row: Mapping) -> FieldErrors:
    """{field: [message]} for the first text in the row (a cell, or a string inside a JSON value) longer than
    FIELD_MAX_CHARS, else {}."""
    for name, value in row.items():
        stack = [value]
        while stack:
            current = stack.pop()
            if isinstance(current, str) and len(current) > FIELD_MAX_CHARS:
                return {
                    str(name)[:_SHOWN_NAME]: [
                        f"Too long: {len(current):,} characters in one field; the import reads at most "
                        f"{FIELD_MAX_CHARS:,}."
                    ]
                }
            if isinstance(current, Mapping):
                stack.extend(current.keys())
                stack.extend(current.values())
            elif isinstance(current, list):
                stack.extend(current)
    return {}


class _Lines:
    """The physical lines of a file for csv.reader, each remembered with its number from the record's first on,
    so that the lines read ahead for a record that is refused can be read again (`put_back`)."""

    def __init__(self, handle):
        self._lines = enumerate(handle, start=1)
        self._back: list[tuple[int, str]] = []
        self.taken: list[tuple[int, str]] = []

    def __iter__(self):
        return self

    def __next__(self) -> str:
        item = self._back.pop() if self._back else next(self._lines)
        self.taken.append(item)
        return item[1]

    def put_back(self, items: list[tuple[int, str]]) -> None:
        self._back.extend(reversed(items))


UNTERMINATED = (
    "A quoted cell starting on this line is not closed where the record would have {width} cells (a stray "
    '“"”?); the line is skipped and the import goes on with the next one.'
)


# The CSV separators read: spreadsheets in locales whose decimal mark is a comma (pt-BR, es, pl, el, and most of
# Europe) save "CSV" with semicolons, and "Unicode text" exports use tabs.
CSV_DELIMITERS = (",", ";", "\t")


def csv_delimiter(header_line: str) -> str:
    """The separator of a CSV file, read from its header line: the one of CSV_DELIMITERS that splits the header
    into the most known column names (then the most cells; a comma on a tie). A header of one column is read
    with commas."""

    def score(delimiter: str) -> tuple[int, int]:
        try:
            cells = next(csv.reader([header_line.rstrip("\r\n")], delimiter=delimiter), [])
        except csv.Error:
            return (-1, -1)
        known = sum(1 for cell in cells if not _unknown([cell]))
        return (known, len(cells))

    return max(CSV_DELIMITERS, key=lambda d: (*score(d), d == ","))


def _csv_records(
    handle, width: int | None = None, delimiter: str = ","
) -> Iterator[tuple[int, list[str] | None, str | None]]:
    """Yield (first line number, cells, None) or (line number, None, why it cannot be read) for each record.

    A quoted cell may hold line breaks, but a record spanning lines must then have exactly `width` cells (the
    header's); otherwise its quote is taken as stray: its first line is an error and the reading goes on with
    the line after it (a stray quote used to swallow the rows after it). Blank lines are skipped.
    """
    lines = _Lines(handle)
    reader = csv.reader(lines, delimiter=delimiter)
    while True:
        lines.taken = []
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # e.g. a cell beyond LINE_MAX_CHARS: its first line only
            first, *rest = lines.taken or [(0, "")]
            lines.put_back(rest)
            yield first[0], None, f"Cannot be read as CSV: {exc}."
            continue
        first, *rest = lines.taken
        if rest and width is not None and len(cells) != width:
            lines.put_back(rest)
            yield first[0], None, UNTERMINATED.format(width=width)
        elif cells:
            yield first[0], cells, None


def _csv_rows(path: Path, codec: str, shown: str) -> Iterator[tuple[int, dict | None, FieldErrors | None]]:
    csv.field_size_limit(max(csv.field_size_limit(), LINE_MAX_CHARS))
    with path.open(newline="", encoding=codec, errors="surrogateescape") as handle:
        try:
            delimiter = csv_delimiter(handle.readline(LINE_MAX_CHARS))
        except UnicodeError:
            delimiter = ","
        handle.seek(0)
        try:
            _, fieldnames, problem = next(_csv_records(handle, delimiter=delimiter), (0, [], None))
        except csv.Error as exc:
            raise ValidationError(f"The header line cannot be read as CSV: {exc}.") from exc
        if problem:
            raise ValidationError(f"The header line cannot be read as CSV: {problem}")
        fieldnames = fieldnames or []
        if any(_UNDECODABLE.search(name) for name in fieldnames):
            raise ValidationError(_undecodable(1, shown)["row"][0] + " Nothing was imported.")
        unknown = _unknown(fieldnames)
        if unknown:
            raise ValidationError(f"Unknown column(s): {', '.join(unknown)}.")
        handle.seek(0)
        records = _csv_records(handle, width=len(fieldnames), delimiter=delimiter)
        next(records, None)  # the header
        for line_no, cells, problem in records:
            if cells is None:
                yield line_no, None, {"row": [problem]}
            elif len(cells) > len(fieldnames):
                yield line_no, None, {"row": ["More cells than columns."]}
            elif any(_UNDECODABLE.search(cell) for cell in cells):
                yield line_no, None, _undecodable(line_no, shown)
            else:
                row = dict(zip(fieldnames, cells, strict=False))
                row.update((name, None) for name in fieldnames[len(cells) :])
                too_long = _too_long(row)
                yield line_no, (None if too_long else row), (too_long or None)


def _jsonl_rows(path: Path, codec: str, shown: str) -> Iterator[tuple[int, dict | None, FieldErrors | None]]:
    with path.open(encoding=codec, errors="surrogateescape") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            if _UNDECODABLE.search(line):
                yield line_no, None, _undecodable(line_no, shown)
                continue
            if len(line) > LINE_MAX_CHARS:
                yield line_no, None, {"row": [f"Too long: a line holds at most {LINE_MAX_CHARS:,} characters."]}
                continue
            try:
                row = _json(line)
            except ValueError as exc:
                yield line_no, None, {"row": [f"Invalid JSON: {exc}."]}
                continue
            except RecursionError:
                yield line_no, None, {"row": ["Invalid JSON: nested too deeply."]}
                continue
            if not isinstance(row, dict):
                yield line_no, None, {"row": ["Each line must be a JSON object."]}
                continue
            unknown = _unknown(row)
            if unknown:
                yield line_no, None, {"row": [f"Unknown field(s): {', '.join(unknown)}."]}
                continue
            too_long = _too_long(row)
            yield line_no, (None if too_long else row), (too_long or None)


def _rows(path: Path, encoding: str = "utf-8") -> Iterator[tuple[int, dict | None, FieldErrors | None]]:
    """Yield (line number, the row's input, None) or (line number, None, why the row cannot be read).

    Raises ValidationError for an unknown file type or encoding, a CSV header that cannot be read (unknown
    columns, not text in `encoding`). A line that is not text in `encoding`, a cell longer than FIELD_MAX_CHARS
    or a record the CSV or JSON reader refuses is an error for its line; the reading goes on with the next.
    """
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".jsonl", ".ndjson"):
        raise ValidationError(f"“{path.name}” is neither .csv nor .jsonl.")
    codec, shown = _codec(encoding)
    rows = _csv_rows(path, codec, shown) if suffix == ".csv" else _jsonl_rows(path, codec, shown)
    line_no = 0
    try:
        for line_no, row, errors in rows:
            if row is None:
                yield line_no, None, errors
                continue
            try:
                yield line_no, row_to_input(row), None
            except ValidationError as exc:
                yield line_no, None, exc.message_dict
    except UnicodeDecodeError as exc:  # bytes even surrogateescape cannot keep (a truncated UTF-16 file)
        why = f"Cannot read on from here as {shown} text ({exc.reason}): {ENCODING_HINT}."
        yield line_no + 1, None, {"row": [why + " The lines after it were not read."]}


def _row_key(data: dict) -> str:
    """A stable external id for a row that has none, so re-importing the same file creates nothing.

    It hashes the row with the key names earlier versions gave it (`customer_details`), so that a file
    imported before is still recognised.
    """
    named = {("customer_details" if name == "customer" else name): value for name, value in data.items()}
    canonical = json.dumps(named, sort_keys=True, default=str, separators=(",", ":"))
    return "row-" + hashlib.sha256(canonical.encode()).hexdigest()[:40]


def _keyed(data: dict, source: str) -> dict:
    """The row with `source` when it names none, and an external id derived from its content when it has none."""
    keyed = dict(data)
    if not keyed.get("source"):
        keyed["source"] = source
    if not keyed.get("external_id"):
        keyed["external_id"] = _row_key(data)
    return keyed


def _parsed(
    chunk: list[tuple[int, dict | None, FieldErrors | None]],
) -> list[tuple[int, InteractionInput | FieldErrors]]:
    inputs = iter(interaction_inputs_parse([data for _, data, _ in chunk if data is not None]))
    return [(line, next(inputs) if data is not None else errors) for line, data, errors in chunk]


def _raw_chunks(
    path: Path, source: str, chunk_size: int, encoding: str
) -> Iterator[list[tuple[int, dict | None, FieldErrors | None]]]:
    """The file's rows as read (not yet parsed), keyed (see _keyed), `chunk_size` at a time."""
    chunk: list[tuple[int, dict | None, FieldErrors | None]] = []
    for line, data, problem in _rows(Path(path), encoding):
        chunk.append((line, _keyed(data, source) if data is not None else None, problem))
        if len(chunk) >= chunk_size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def inputs_read(
    path: str | Path, *, source: str = IMPORT_SOURCE, chunk_size: int = 500, encoding: str = "utf-8"
) -> Iterator[tuple[int, InteractionInput | FieldErrors]]:
    """Yield (line number, InteractionInput or that line's field errors) from a .csv or .jsonl/.ndjson file.

    Rows are parsed `chunk_size` at a time by the parser the API uses (its lookups once per chunk). A row
    without a source gets `source`; one without an external_id gets one derived from its content. The file is
    read as `encoding` (any Python codec name; UTF-8 with or without a BOM by default). A row that cannot be
    read (not text in `encoding`, a cell longer than FIELD_MAX_CHARS, refused by the CSV or JSON reader) is an
    error for its line, on the field "row" or the over-long field. Raises ValidationError, before the first
    row, for an unknown file type or encoding and a CSV header with unknown columns or not in `encoding`.
    """
    for chunk in _raw_chunks(Path(path), source, chunk_size, encoding):
        yield from _parsed(chunk)


def _chunk_import(chunk: list[tuple[int, dict | None, FieldErrors | None]]) -> ImportSummary:
    """Parse and import one chunk of rows as read (in a worker process: its own database connection)."""
    return interactions_import(_parsed(chunk), chunk_size=max(len(chunk), 1))


def _summary_add(summary: ImportSummary, part: ImportSummary) -> None:
    summary.created += part.created
    summary.existing += part.existing
    summary.customers_created += part.customers_created
    summary.errors.extend(part.errors)


def interactions_import_file(
    path: str | Path,
    *,
    source: str = IMPORT_SOURCE,
    chunk_size: int = 500,
    encoding: str = "utf-8",
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Import a .csv or .jsonl/.ndjson file (see inputs_read and interactions_import): the ImportSummary, its
    errors by line number.

    `workers` > 1 (PostgreSQL only; SQLite has one writer and imports in this process) splits the file across
    that many worker processes, `chunk_size` rows at a time, each chunk parsed and stored by a worker in a
    transaction of its own. The chunks run concurrently: the database's unique constraints keep one customer per
    identity and one interaction per (source, external id) whatever the order (ingest.interactions_ingest_batch
    resolves again the items a concurrent chunk's identities took). `progress(n)` is called with the rows done.
    Raises ValidationError, before any row is stored, for an unknown file type or encoding and an unreadable CSV
    header.
    """
    if workers <= 1 or connection.vendor == "sqlite":
        rows = inputs_read(path, source=source, chunk_size=chunk_size, encoding=encoding)
        return interactions_import(rows, chunk_size=chunk_size, progress=progress)
    chunks = _raw_chunks(Path(path), source, chunk_size, encoding)
    summary = ImportSummary()
    first = next(chunks, None)  # the header is checked here, before any worker starts
    if first is None:
        return summary
    connections.close_all()  # the workers are forked: each opens a connection of its own
    done = 0
    with get_context("fork").Pool(workers) as pool:
        in_flight = deque([pool.apply_async(_chunk_import, (first,))])
        for chunk in chunks:
            in_flight.append(pool.apply_async(_chunk_import, (chunk,)))
            while len(in_flight) > 2 * workers:  # the file is read as fast as the workers take it, no faster
                part = in_flight.popleft().get()
                _summary_add(summary, part)
                done += part.processed
                if progress:
                    progress(done)
        while in_flight:
            part = in_flight.popleft().get()
            _summary_add(summary, part)
            done += part.processed
            if progress:
                progress(done)
    summary.errors.sort(key=lambda error: error[0])
    return summary


def rows_count(path: str | Path) -> int:
    """Roughly how many rows a file holds (for a progress bar)."""
    path = Path(path)
    with path.open("rb") as handle:
        lines = sum(1 for line in handle if line.strip())
    return max(lines - (1 if path.suffix.lower() == ".csv" else 0), 0)
