"""Reading interaction files (CSV or JSONL) into parsed rows for `interactions_import`.

Columns / keys: channel, network, occurred_at, summary, body, direction, type, source,
external_id, touchpoint, case, campaign, metadata (JSON), customer_id; customer
details first_name, last_name, language, country, timezone (or a JSONL
`customer` object); identities as columns `email`, `phone` (or `whatsapp`, `sms`, `mobile`), `device`,
`handle:<network>`, `external_id:<system>` (or a JSONL `identities` list).
Each row becomes the API's input and goes through the same parser (ingest_input.py).
"""

import csv
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

from django.core.exceptions import ValidationError

from ..choices import IDENTITY_KIND_ALIASES
from .ingest_input import INPUT_FIELDS, FieldErrors, InteractionInput, interaction_inputs_parse

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
    return sorted(k for k in keys if k not in allowed and _identity_column(k) is None)


def row_to_input(row: dict) -> dict:
    """Map one row (CSV cells or a JSON object) to the API's input fields (empty cells left out)."""
    data = {k: v for k, v in row.items() if k in INTERACTION_KEYS and v not in (None, "")}
    metadata = data.get("metadata")
    if isinstance(metadata, str):
        try:
            data["metadata"] = json.loads(metadata)
        except ValueError:
            data["metadata"] = metadata  # not an object: the parser says so
    details = dict(row.get("customer") or {}) if isinstance(row.get("customer"), dict) else {}
    details.update({k: v for k, v in row.items() if k in DETAIL_KEYS and v not in (None, "")})
    if details:
        data["customer"] = details
    identities = list(row.get("identities") or []) if isinstance(row.get("identities"), list) else []
    if row.get("identities") and not isinstance(row.get("identities"), list):
        identities = row["identities"]  # reported by the validation
    for name, value in row.items():
        column = _identity_column(name)
        if column and value not in (None, ""):
            identities.append({"kind": column[0], "value": value, "network": column[1]})
    data["identities"] = identities
    return data


def _utf8_check(path: Path) -> None:
    """Raise ValidationError naming the first line that is not UTF-8 text (before anything is imported)."""
    with path.open("rb") as handle:
        for line_no, line in enumerate(handle, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ValidationError(
                    f"Line {line_no} is not UTF-8 text (byte {exc.start + 1}); save the file as UTF-8. "
                    "Nothing was imported."
                ) from exc


def _rows(path: Path) -> Iterator[tuple[int, dict | None, str]]:
    """Yield (line number, the row's input, "") or (line number, None, why the row cannot be read).

    Raises ValidationError for an unknown file type, a file that is not UTF-8 text (before the first row)
    or unknown CSV columns.
    """
    suffix = path.suffix.lower()
    if suffix in (".csv", ".jsonl", ".ndjson"):
        _utf8_check(path)
    if suffix == ".csv":
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            unknown = _unknown(reader.fieldnames or [])
            if unknown:
                raise ValidationError(f"Unknown column(s): {', '.join(unknown)}.")
            for row in reader:
                if None in row:
                    yield reader.line_num, None, "More cells than columns."
                    continue
                yield reader.line_num, row_to_input(row), ""
    elif suffix in (".jsonl", ".ndjson"):
        with path.open(encoding="utf-8") as handle:
            for line_no, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except ValueError as exc:
                    yield line_no, None, f"Invalid JSON: {exc}."
                    continue
                if not isinstance(row, dict):
                    yield line_no, None, "Each line must be a JSON object."
                    continue
                unknown = _unknown(row)
                if unknown:
                    yield line_no, None, f"Unknown field(s): {', '.join(unknown)}."
                    continue
                yield line_no, row_to_input(row), ""
    else:
        raise ValidationError(f"“{path.name}” is neither .csv nor .jsonl.")


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


def _parsed(chunk: list[tuple[int, dict | None, str]]) -> list[tuple[int, InteractionInput | FieldErrors]]:
    inputs = iter(interaction_inputs_parse([data for _, data, _ in chunk if data is not None]))
    return [(line, next(inputs) if data is not None else {"row": [problem]}) for line, data, problem in chunk]


def inputs_read(
    path: str | Path, *, source: str = IMPORT_SOURCE, chunk_size: int = 500
) -> Iterator[tuple[int, InteractionInput | FieldErrors]]:
    """Yield (line number, InteractionInput or that line's field errors) from a .csv or .jsonl/.ndjson file.

    Rows are parsed `chunk_size` at a time by the parser the API uses (its lookups once per chunk). A row
    without a source gets `source`; one without an external_id gets one derived from its content. A row that
    cannot be read is an error on the field "row". Raises ValidationError for an unknown file type, a file
    that is not UTF-8 text (before the first row) or unknown CSV columns.
    """
    chunk: list[tuple[int, dict | None, str]] = []
    for line, data, problem in _rows(Path(path)):
        chunk.append((line, _keyed(data, source) if data is not None else None, problem))
        if len(chunk) >= chunk_size:
            yield from _parsed(chunk)
            chunk = []
    if chunk:
        yield from _parsed(chunk)


def rows_count(path: str | Path) -> int:
    """Roughly how many rows a file holds (for a progress bar)."""
    path = Path(path)
    with path.open("rb") as handle:
        lines = sum(1 for line in handle if line.strip())
    return max(lines - (1 if path.suffix.lower() == ".csv" else 0), 0)
