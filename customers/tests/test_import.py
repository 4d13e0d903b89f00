import io
import json

import pytest
from django.core.management import CommandError, call_command

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


@pytest.mark.parametrize("name", ["latin1.csv", "latin1.jsonl"])
def test_a_file_that_is_not_utf8_is_refused_naming_the_line_and_imports_nothing(tmp_path, name):
    path = tmp_path / name
    good = (
        "channel,occurred_at,summary,email\nemail,2024-01-01T10:00:00Z,Fine,ok@example.com\n"
        if name.endswith(".csv")
        else '{"channel": "email", "occurred_at": "2024-01-01T10:00:00Z", "summary": "Fine", '
        '"identities": [{"kind": "email", "value": "ok@example.com"}]}\n'
    )
    path.write_bytes(good.encode() + "S\u00e3o Paulo\n".encode("latin-1"))
    with pytest.raises(CommandError, match="is not UTF-8 text"):
        run(path, "--no-progress")
    assert not Interaction.objects.exists()


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

    def collide(fresh):
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
