import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from customers.models import Customer, Identity, Interaction, MergeSuggestion
from customers.signals import interaction_recorded
from customers.tests.factories import IdentityFactory

pytestmark = pytest.mark.django_db

CSV = """channel,occurred_at,summary,email,phone,handle:instagram,external_id:shopify,first_name,external_id,metadata
email,2024-01-01T10:00:00Z,Order question,Ana@Example.com,,,,Ana,,
sms,2024-01-02T10:00:00Z,Delivery,,(11) 91234-5678,,C-1,Bob,shop-9,"{""order"": 9}"
chat,not-a-date,Broken row,x@example.com,,,,,,
social,2024-01-03T10:00:00Z,Comment,ana@example.com,,@Ana.S,,,,
pigeon,2024-01-03T10:00:00Z,Bad channel,z@example.com,,,,,,
email,2024-01-04T10:00:00Z,No identity,,,,,,,
"""


def run(path, *args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_interactions", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_csv_import_keeps_valid_rows_reports_errors_and_reruns_to_nothing(tmp_path, django_capture_on_commit_callbacks):
    path = tmp_path / "history.csv"
    path.write_text(CSV)
    received = []
    interaction_recorded.connect(receiver := lambda sender, interaction, live, **kw: received.append(live))
    try:
        with django_capture_on_commit_callbacks(execute=True):
            out, err = run(path, "--chunk-size", "2")
    finally:
        interaction_recorded.disconnect(receiver)
    assert "Created 3 interactions, 0 already present, 2 new customers, 3 errors." in out
    assert "line 4: occurred_at" in out and "line 6: channel" in out and "line 7: identities" in out
    assert "100%" in err
    ana = Identity.objects.get(value="ana@example.com").customer
    assert ana.first_name == "Ana" and ana.interactions.count() == 2
    assert Identity.objects.get(kind="handle").value == "ana.s"
    assert Identity.objects.get(kind="external_id").network == "shopify"
    bob = Identity.objects.get(value="+5511912345678").customer
    assert bob.interactions.get().metadata == {"order": 9}
    assert bob.interactions.get().external_id == "shop-9"
    assert str(ana.first_contact_at.date()) == "2024-01-01" and str(ana.last_contact_at.date()) == "2024-01-03"
    assert not Interaction.objects.filter(live=True).exists()
    assert received == [False, False, False]

    out, _ = run(path)
    assert "Created 0 interactions, 3 already present, 0 new customers, 3 errors." in out
    assert Interaction.objects.count() == 3 and Customer.objects.count() == 2


def test_jsonl_import_with_conflicting_identities_suggests_a_merge(tmp_path):
    ana = IdentityFactory(value="ana@example.com").customer
    other = IdentityFactory(kind="phone", value="+5511912345678").customer
    lines = [
        json.dumps(
            {
                "channel": "chat",
                "occurred_at": "2024-01-01T10:00:00Z",
                "summary": "Hi",
                "identities": [{"kind": "email", "value": "ana@example.com"}],
                "phone": "11 91234-5678",
            }
        ),
        "{broken",
        "[1]",
        json.dumps({"channel": "chat", "occurred_at": "2024-01-01T10:00:00Z", "summary": "Hi", "colour": "red"}),
        "",
        json.dumps(
            {
                "channel": "web",
                "occurred_at": "2024-01-02T10:00:00Z",
                "summary": "New",
                "email": "new@example.com",
                "customer": {"first_name": "Nia", "language": "pl"},
            }
        ),
    ]
    path = tmp_path / "history.jsonl"
    path.write_text("\n".join(lines) + "\n")
    out, _ = run(path, "--no-progress")
    assert "Created 2 interactions" in out and "3 errors" in out
    assert "line 2: row: Invalid JSON" in out and "line 4: row: Unknown field(s): colour" in out
    assert Interaction.objects.get(summary="Hi").customer == ana
    assert MergeSuggestion.objects.filter(customer=ana, other=other).exists()
    nia = Identity.objects.get(value="new@example.com").customer
    assert (nia.first_name, nia.language, nia.lifecycle_changes.count()) == ("Nia", "pl", 1)


@pytest.mark.parametrize("name, content", [("data.txt", "x"), ("bad.csv", "channel,colour\nemail,red\n")])
def test_unreadable_files_are_refused(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(CommandError):
        run(path)


def good_row(name: str, summary: str, email: str, **fields) -> bytes:
    """One valid row for a file of this name (.csv: the columns of HEADER; .jsonl: one JSON object)."""
    row = {"channel": "email", "occurred_at": "2024-01-01T10:00:00Z", "summary": summary, "email": email, **fields}
    if name.endswith(".jsonl"):
        return (json.dumps(row, ensure_ascii=False) + "\n").encode()
    return (",".join(row.get(column, "") for column in HEADER.split(",")) + "\n").encode()


HEADER = "channel,occurred_at,summary,email,last_name"


def header(name: str) -> bytes:
    return (HEADER + "\n").encode() if name.endswith(".csv") else b""


@pytest.mark.parametrize("name", ["latin1.csv", "latin1.jsonl"])
def test_a_latin1_file_keeps_its_readable_rows_names_the_option_and_imports_whole_with_it(tmp_path, name):
    path = tmp_path / name
    munoz = good_row(name, "Hola", "munoz@example.com", last_name="Muñoz").decode().encode("latin-1")
    path.write_bytes(header(name) + good_row(name, "Fine", "ok@example.com") + munoz)
    line = 3 if name.endswith(".csv") else 2

    out, _ = run(path, "--no-progress")
    assert "Created 1 interactions, 0 already present, 1 new customers, 1 errors." in out
    assert (
        f"line {line}: row: Line {line} is not UTF-8 text: give the file's encoding with --encoding "
        "(for example --encoding latin-1 or --encoding cp1252)." in out
    )
    assert "1 line is not utf-8 text: run the import again with the file's --encoding" in out

    out, _ = run(path, "--no-progress", "--encoding", "latin-1")
    assert "Created 1 interactions, 1 already present, 1 new customers, 0 errors." in out
    assert Identity.objects.get(value="munoz@example.com").customer.last_name == "Muñoz"


@pytest.mark.parametrize("name", ["bom.csv", "bom.jsonl"])
@pytest.mark.parametrize("bom", [b"\xef\xbb\xbf", b""], ids=["with a BOM", "without"])
def test_utf8_is_read_with_or_without_a_bom_in_csv_and_jsonl(tmp_path, name, bom):
    path = tmp_path / name
    path.write_bytes(
        bom
        + header(name)
        + good_row(name, "First", "w@example.com", last_name="Wójcik")
        + good_row(name, "Next", "n@x.org")
    )
    out, _ = run(path, "--no-progress")
    assert "Created 2 interactions, 0 already present, 2 new customers, 0 errors." in out, out
    assert Identity.objects.get(value="w@example.com").customer.last_name == "Wójcik"


def test_an_unknown_encoding_is_refused_before_any_row(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_bytes(header("rows.csv") + good_row("rows.csv", "Fine", "ok@example.com"))
    with pytest.raises(CommandError, match="Unknown encoding “klingon”"):
        run(path, "--no-progress", "--encoding", "klingon")
    assert not Interaction.objects.exists()


@pytest.mark.parametrize("name", ["long.csv", "long.jsonl"])
def test_a_5_mb_field_is_an_error_for_its_line_and_the_other_rows_are_imported(tmp_path, name):
    path = tmp_path / name
    five_mb = "x" * 5_000_000
    path.write_bytes(
        header(name)
        + good_row(name, "Before", "a@example.com")
        + good_row(name, "Long", "b@example.com", last_name=five_mb)
        + good_row(name, "After", "c@example.com")
    )
    line = 3 if name.endswith(".csv") else 2

    out, _ = run(path, "--no-progress")
    assert "Created 2 interactions, 0 already present, 2 new customers, 1 errors." in out
    assert (
        f"line {line}: last_name: Too long: 5,000,000 characters in one field; the import reads at most 1,000,000."
        in out
    )
    assert sorted(Interaction.objects.values_list("summary", flat=True)) == ["After", "Before"]


def test_a_chunk_the_database_refuses_is_stored_again_row_by_row_keeping_the_other_rows(tmp_path, monkeypatch):
    from django.db import DataError

    from customers.services import ingest

    rows_insert = ingest.rows_insert

    def refuse_one(model, objs, *args, **kwargs):
        if any(isinstance(obj, Interaction) and obj.summary == "Refused" for obj in objs):
            raise DataError("value refused by the database")
        return rows_insert(model, objs, *args, **kwargs)

    monkeypatch.setattr(ingest, "rows_insert", refuse_one)
    path = tmp_path / "rows.csv"
    rows = [good_row("rows.csv", summary, f"p{n}@example.com") for n, summary in enumerate(["A", "B", "Refused", "C"])]
    path.write_bytes(header("rows.csv") + b"".join(rows))

    out, _ = run(path, "--no-progress")
    assert "Created 3 interactions, 0 already present, 3 new customers, 1 errors." in out
    assert (
        "line 4: row: The database refused this row (value refused by the database); nothing of it was stored." in out
    )
    assert sorted(Interaction.objects.values_list("summary", flat=True)) == ["A", "B", "C"]
    assert not Identity.objects.filter(value="p2@example.com").exists()


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(CommandError):
        run(tmp_path / "nope.csv")


def big_csv(tmp_path, rows):
    lines = ["channel,occurred_at,summary,email,phone"]
    lines += [f"email,2024-01-01T10:{n % 60:02d}:00Z,Row {n},p{n % 150}@example.com," for n in range(rows)]
    path = tmp_path / "big.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_import_resolves_identities_in_batches_not_per_row(tmp_path, django_assert_max_num_queries):
    path = big_csv(tmp_path, 400)
    with django_assert_max_num_queries(30):
        out, _ = run(path, "--no-progress")
    assert "Created 400 interactions, 0 already present, 150 new customers, 0 errors." in out
    assert Customer.objects.filter(first_contact_at__isnull=False).count() == 150


def test_chunk_that_collides_with_a_concurrent_writer_falls_back_to_row_by_row(tmp_path, monkeypatch):
    from django.db import IntegrityError

    from customers.services import ingest

    def collide(fresh, attempt):
        raise IntegrityError("identity taken meanwhile")

    monkeypatch.setattr(ingest, "_ingest_resolved", collide)
    out, _ = run(big_csv(tmp_path, 20), "--no-progress")
    assert "Created 20 interactions, 0 already present, 20 new customers, 0 errors." in out


def test_the_import_takes_a_network_and_a_whatsapp_column_as_the_api_does(tmp_path):
    csv_path = tmp_path / "whatsapp.csv"
    csv_path.write_text(
        "channel,network,occurred_at,summary,whatsapp,country\n"
        "chat,whatsapp,2024-01-01T10:00:00Z,Where is my order?,554187991234,BR\n"
        "whatsapp,,2024-01-02T10:00:00Z,Thanks,+55 41 98799-1234,\n"
    )
    jsonl_path = tmp_path / "social.jsonl"
    jsonl_path.write_text(
        json.dumps(
            {
                "channel": "social",
                "network": "Instagram",
                "occurred_at": "2024-01-03T10:00:00Z",
                "summary": "Comment",
                "identities": [{"kind": "whatsapp", "value": "+5541987991234"}],
            }
        )
        + "\n"
    )

    out, _ = run(csv_path)
    assert "Created 2 interactions, 0 already present, 1 new customers, 0 errors." in out, out
    out, _ = run(jsonl_path)
    assert "Created 1 interactions, 0 already present, 0 new customers, 0 errors." in out, out

    assert list(Identity.objects.values_list("kind", "network", "value")) == [("phone", "", "+5541987991234")]
    assert sorted(Interaction.objects.values_list("channel", "network")) == [
        ("chat", "whatsapp"),
        ("chat", "whatsapp"),
        ("social", "instagram"),
    ]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL refuses a NUL in jsonb; SQLite stores it")
def test_a_row_postgresql_refuses_costs_only_that_row_of_its_chunk(tmp_path, monkeypatch):
    from customers.services import ingest

    interaction_new = ingest._interaction_new

    def let_through(data, live):  # as if the parser had let a NUL through
        interaction = interaction_new(data, live)
        if data.summary == "Refused":
            interaction.metadata = {"note": "\x00"}
        return interaction

    monkeypatch.setattr(ingest, "_interaction_new", let_through)
    path = tmp_path / "rows.csv"
    rows = [good_row("rows.csv", summary, f"p{n}@example.com") for n, summary in enumerate(["A", "B", "Refused", "C"])]
    path.write_bytes(header("rows.csv") + b"".join(rows))

    out, _ = run(path, "--no-progress")
    assert "Created 3 interactions, 0 already present, 3 new customers, 1 errors." in out
    assert "line 4: row: The database refused this row (unsupported Unicode escape sequence" in out
    assert sorted(Interaction.objects.values_list("summary", flat=True)) == ["A", "B", "C"]
    assert not Identity.objects.filter(value="p2@example.com").exists()


NAIVE = "Give the time zone: a UTC offset (+02:00, -03:00) or Z; a time without one is not taken as UTC."
RANGE = "Give a time between 1970-01-01 and 2100-12-31 (UTC)."
NOT_UTF8 = "is not UTF-8 text: give the file's encoding with --encoding"


def test_one_csv_mixing_every_bad_row_keeps_all_valid_rows_and_reports_each_bad_one_by_line(tmp_path):
    """Lines: 1 header; good rows on 2, 9 and 17; every other line is bad in its own way. One chunk holds them all."""
    lines = [
        "channel,occurred_at,summary,email,body,metadata",
        'email,2024-01-01T10:00:00Z,Good one,one@example.com,,"{""order"": 1}"',
        "email,9999-12-31T23:59:59-12:00,Poison date,poison@example.com,,",
        "email,2026-01-05T10:00:00,No zone,naive@example.com,,",
        "email,2024-01-01T10:00:00Z,Nul\x00cell,nul@example.com,,",
        'email,2024-01-01T10:00:00Z,Nul in metadata,meta@example.com,,"{""note"": ""a\\u0000b""}"',
        f"email,2024-01-01T10:00:00Z,Overlong,long@example.com,{'x' * 5_000_000},",
        "email,2024-01-01T10:00:00-21:00,Far offset,offset@example.com,,",
        "chat,2024-01-02T10:00:00+01:00,Good two,two@example.com,,",
        "LATIN1",
        "pigeon,2024-01-01T10:00:00Z,Bad channel,pigeon@example.com,,",
        "email,2024-01-01T10:00:00Z,No identity,,,",
        "email,2024-01-01T10:00:00Z,Too many cells,cells@example.com,,,extra",
        "email,0001-01-01T00:00:00+01:00,Year one,year@example.com,,",
        "email,2099-01-01T10:00:00Z,In the future,future@example.com,,",
        'email,2024-01-01T10:00:00Z,NaN metadata,nan@example.com,,"{""x"": NaN}"',
        "sms,2024-01-03T10:00:00-03:00,Good three,three@example.com,,",
    ]
    path = tmp_path / "mixed.csv"
    latin1 = "email,2024-01-01T10:00:00Z,Hola,munoz@example.com,Muñoz,".encode("latin-1")
    path.write_bytes(b"\n".join(latin1 if line == "LATIN1" else line.encode() for line in lines) + b"\n")

    out, _ = run(path, "--no-progress")

    assert "Created 3 interactions, 0 already present, 3 new customers, 13 errors." in out
    expected = {
        3: f"occurred_at: {RANGE}",
        4: f"occurred_at: {NAIVE}",
        5: "summary: Null characters are not allowed.",
        6: "metadata: Remove the character U+0000",
        7: "body: Too long: 5,000,000 characters in one field",
        8: "occurred_at: The UTC offset -21:00 is outside -14:00 to +14:00.",
        10: f"row: Line 10 {NOT_UTF8}",
        11: 'channel: "pigeon" is not a valid choice',
        12: "identities: Give at least one identity or a customer_id.",
        13: "row: More cells than columns.",
        14: f"occurred_at: {RANGE}",
        15: "occurred_at: This is ",
        16: "metadata: Not valid JSON: NaN is not a JSON number.",
    }
    reported = {int(line.split(":")[0][5:]): line.split(": ", 1)[1] for line in out.splitlines() if line[:5] == "line "}
    assert sorted(reported) == sorted(expected)
    for line, message in expected.items():
        assert reported[line].startswith(message), (line, reported[line])
    assert sorted(Interaction.objects.values_list("summary", flat=True)) == ["Good one", "Good three", "Good two"]
    assert Interaction.objects.get(summary="Good one").metadata == {"order": 1}


def test_one_jsonl_with_a_bom_mixing_every_bad_row_keeps_all_valid_rows_and_reports_each_bad_one_by_line(tmp_path):
    def row(summary, **fields):
        return json.dumps({"channel": "chat", "occurred_at": "2024-01-01T10:00:00Z", "summary": summary, **fields})

    lines = [
        row("Good one", email="one@example.com"),  # the first record, right after the BOM
        row("Poison", email="p@example.com", occurred_at="9999-12-31T23:59:59-12:00"),
        row("No zone", email="n@example.com", occurred_at="2026-01-05T10:00:00"),
        row("Nul\u0000", email="nul@example.com"),
        row("Nul key", email="k@example.com", metadata={"a\u0000": 1}),
        row("Surrogate", email="s@example.com", metadata={"note": "\ud800"}),
        '{"channel": "chat", "occurred_at": "2024-01-01T10:00:00Z", "summary": "NaN", "metadata": {"x": NaN}}',
        row("Deep", email="d@example.com", metadata={"x": "y"}).replace('"y"', "[" * 100_000 + "]" * 100_000),
        row("Overlong", email="o@example.com", metadata={"dump": "x" * 5_000_000}),
        "LATIN1",
        "{broken",
        "[1]",
        row("Unknown field", email="u@example.com", colour="red"),
        row("Good two", identities=[{"kind": "phone", "value": "+5511912345678"}]),
    ]
    path = tmp_path / "mixed.jsonl"
    latin1 = row("Hola", email="m@example.com", customer={"last_name": "Muñoz"}).replace("\\u00f1", "ñ")
    path.write_bytes(
        b"\xef\xbb\xbf"
        + b"\n".join(latin1.encode("latin-1") if line == "LATIN1" else line.encode() for line in lines)
        + b"\n"
    )

    out, _ = run(path, "--no-progress")

    assert "Created 2 interactions, 0 already present, 2 new customers, 12 errors." in out
    expected = {
        2: f"occurred_at: {RANGE}",
        3: f"occurred_at: {NAIVE}",
        4: "summary: Null characters are not allowed.",
        5: "metadata: Remove the character U+0000",
        6: "metadata: Remove the character U+D800",
        7: "row: Invalid JSON: NaN is not a JSON number.",
        8: "row: Invalid JSON: ",
        9: "metadata: Too long: 5,000,000 characters in one field",
        10: f"row: Line 10 {NOT_UTF8}",
        11: "row: Invalid JSON: ",
        12: "row: Each line must be a JSON object.",
        13: "row: Unknown field(s): colour.",
    }
    reported = {int(line.split(":")[0][5:]): line.split(": ", 1)[1] for line in out.splitlines() if line[:5] == "line "}
    assert sorted(reported) == sorted(expected)
    for line, message in expected.items():
        assert reported[line].startswith(message), (line, reported[line])
    assert sorted(Interaction.objects.values_list("summary", flat=True)) == ["Good one", "Good two"]


def test_the_import_refreshes_planner_statistics_after_loading(tmp_path):
    """The tables grew in bulk: PostgreSQL's ANALYZE runs once at the end (nothing to do on SQLite)."""
    from django.test.utils import CaptureQueriesContext

    path = tmp_path / "history.csv"
    path.write_text(CSV)
    with CaptureQueriesContext(connection) as ctx:
        run(path, "--no-progress")
    analyzed = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("ANALYZE")]
    if connection.vendor == "postgresql":
        assert analyzed == ['ANALYZE "customers_interaction", "customers_customer", "customers_identity"']
    else:
        assert analyzed == []
    assert Interaction.objects.count() == 3


def jsonl_row(summary: str, email: str, **fields) -> str:
    row = {"channel": "email", "type": "message", "direction": "inbound", "occurred_at": "2026-01-02T10:00:00Z"}
    return json.dumps({**row, "summary": summary, "email": email, "external_id": f"qa-{summary}", **fields}) + "\n"


@pytest.mark.parametrize(
    "fields,message",
    [
        ({"identities": "x"}, "line 2: identities: Expected a list of identities but got type “str”."),
        ({"identities": {"kind": "email"}}, "line 2: identities: Expected a list of identities but got type “dict”."),
        ({"identities": 5}, "line 2: identities: Expected a list of identities but got type “int”."),
        ({"customer": "x"}, 'line 2: customer: Expected a dictionary of items but got type "str".'),
        ({"customer": ["Ana"]}, 'line 2: customer: Expected a dictionary of items but got type "list".'),
        ({"metadata": 5}, "line 2: metadata: Expected a dictionary of items"),
        ({"metadata": "x"}, "line 2: metadata: Not valid JSON"),
        ({"customer_id": 10**30}, "line 2: customer_id: Ensure this value is less than or equal to"),
        ({"body": ["a"]}, "line 2: body: Not a valid string."),
        ({"first_name": 5}, "line 2: customer"),
    ],
)
def test_a_jsonl_value_of_the_wrong_type_is_an_error_for_its_line_and_the_other_rows_are_imported(
    tmp_path, fields, message
):
    path = tmp_path / "types.jsonl"
    path.write_text(
        jsonl_row("j1", "j1@example.com")
        + jsonl_row("j5", "j5@example.com", **fields)
        + jsonl_row("j6", "j6@example.com")
    )
    out, _ = run(path)
    assert "Created 2 interactions" in out and "1 errors" in out
    assert message in out
    assert sorted(Interaction.objects.values_list("summary", flat=True)) == ["j1", "j6"]


STRAY_QUOTE_CSV = """channel,type,direction,occurred_at,summary,email,external_id
email,message,inbound,2026-01-01T10:00:00Z,"broken quote,uq1@example.com,uq-1
email,message,inbound,2026-01-01T10:00:00Z,fine row,uq2@example.com,uq-2
email,message,inbound,2026-01-01T10:00:00Z,fine row 3,uq3@example.com,uq-3
"""


@pytest.mark.parametrize(
    "tail,imported",
    [
        ("", ["fine row", "fine row 3"]),
        # a later quoted cell would close the stray quote: the record then has the wrong number of cells
        (
            'email,message,inbound,2026-01-01T10:00:00Z,"quoted, fine",uq4@example.com,uq-4\n',
            ["fine row", "fine row 3", "quoted, fine"],
        ),
    ],
)
def test_a_stray_quote_is_an_error_for_its_line_and_the_rows_after_it_are_imported(tmp_path, tail, imported):
    path = tmp_path / "stray.csv"
    path.write_text(STRAY_QUOTE_CSV + tail)
    out, _ = run(path, "--no-progress")
    assert f"Created {len(imported)} interactions" in out and "1 errors" in out
    assert "line 2: row: A quoted cell starting on this line is not closed" in out
    assert sorted(Interaction.objects.values_list("summary", flat=True)) == imported


def test_a_quoted_cell_spanning_lines_is_still_one_row_and_line_numbers_follow_the_file(tmp_path):
    path = tmp_path / "multiline.csv"
    path.write_text(
        "channel,occurred_at,summary,body,email\n"
        'email,2026-01-01T10:00:00Z,Two lines,"first line\nsecond, line",ml1@example.com\n'
        "pigeon,2026-01-01T10:00:00Z,Bad channel,,ml2@example.com\n"
        'email,2026-01-01T10:00:00Z,"Windows\r\nbreaks",body,ml3@example.com\n'
    )
    out, _ = run(path, "--no-progress")
    assert "Created 2 interactions" in out and "line 4: channel" in out and "1 errors" in out
    assert Interaction.objects.get(summary="Two lines").body == "first line\nsecond, line"
    assert Interaction.objects.filter(summary__startswith="Windows").exists()


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_a_spreadsheets_semicolon_or_tab_separated_csv_is_read_as_the_comma_one(tmp_path, delimiter):
    """Excel in Brazil, Spain, Poland or Greece saves "CSV" with semicolons (the comma is the decimal mark), and
    "Unicode text" with tabs: the separator is read from the header, so such a file imports as the comma one
    does, errors on the same lines, and a cell holding the other separators stays whole."""
    rows = [
        ["channel", "occurred_at", "summary", "email", "first_name", "metadata"],
        ["email", "2024-01-01T10:00:00Z", "Pedido, entrega; atraso", "ana@example.com", "Ana", '{"amount": 19.9}'],
        ["chat", "not-a-date", "Broken row", "x@example.com", "", ""],
        ["sms", "2024-01-02T10:00:00Z", "Olá", "bea@example.com", "Bea", ""],
    ]
    buffer = io.StringIO()
    import csv

    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    path = tmp_path / "export.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8-sig")
    out, _ = run(path)
    assert "Created 2 interactions, 0 already present, 2 new customers, 1 errors." in out
    assert "line 3: occurred_at" in out
    ana = Identity.objects.get(value="ana@example.com").customer
    interaction = ana.interactions.get()
    assert (ana.first_name, interaction.summary) == ("Ana", "Pedido, entrega; atraso")
    assert interaction.metadata == {"amount": 19.9}


def test_a_header_with_an_unknown_column_is_still_named_whatever_the_separator(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("channel;occurred_at;summary;email;colour\nemail;2024-01-01T10:00:00Z;Hi;a@example.com;red\n")
    with pytest.raises(CommandError, match="Unknown column.*colour"):
        run(path)
    assert not Interaction.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="worker processes import on PostgreSQL only")
@pytest.mark.django_db(transaction=True)
def test_import_split_across_worker_processes_reports_as_one_process_does(tmp_path):
    # 40 rows by 6 people, chunks of 3 rows running at once in 2 processes: the same person's rows land in
    # chunks stored concurrently; bad rows are reported by line whichever process read them.
    lines = ["channel,occurred_at,summary,email,phone,first_name"]
    for n in range(40):
        when = "not-a-date" if n % 13 == 5 else f"2024-01-{n % 28 + 1:02d}T10:00:00Z"
        lines.append(f"email,{when},Row {n},person{n % 6}@example.com,+55 11 9{n % 6:04d}-1234,P{n % 6}")
    path = tmp_path / "history.csv"
    path.write_text("\n".join(lines) + "\n")
    bad = [n + 2 for n in range(40) if n % 13 == 5]

    out, _ = run(path, "--workers", "2", "--chunk-size", "3", "--no-progress")

    assert f"Created {40 - len(bad)} interactions, 0 already present, 6 new customers, {len(bad)} errors." in out
    assert [line.split(":")[0] for line in out.splitlines() if line.startswith("line ")] == [f"line {n}" for n in bad]
    assert Customer.objects.count() == 6 and Identity.objects.count() == 12
    for n in range(6):
        person = Identity.objects.get(value=f"person{n}@example.com").customer
        assert Identity.objects.get(value=f"+55119{n:04d}1234").customer == person
        assert person.interactions.count() == len([m for m in range(40) if m % 6 == n and m % 13 != 5])
        assert (
            str(person.first_contact_at.date())
            == f"2024-01-{min(m % 28 + 1 for m in range(n, 40, 6) if m % 13 != 5):02d}"
        )

    out, _ = run(path, "--workers", "2", "--chunk-size", "3", "--no-progress")
    assert f"Created 0 interactions, {40 - len(bad)} already present, 0 new customers, {len(bad)} errors." in out
