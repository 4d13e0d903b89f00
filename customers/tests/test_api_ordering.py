"""The API's `ordering=` values of each customers resource (FilterSet OrderingFilter): every documented
field both ways, several at once, and a 400 naming an unknown one."""

from datetime import timedelta

import pytest
from django.utils import timezone

from customers.models import Case, Customer, Interaction, MergeRecord, MergeSuggestion, Note
from customers.services import customer_merge

from .factories import CaseFactory, CustomerFactory, InteractionFactory, NoteFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now()


@pytest.fixture
def rep(api_as, rep_user):
    return api_as(rep_user)


def ids(response) -> list[int]:
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


def stamp(model, rows, field, values):
    """Set `field` of each row (bypassing auto_now) so every ordering gives a distinct, known order."""
    for row, value in zip(rows, values, strict=True):
        model.objects.filter(pk=row.pk).update(**{field: value})


def by(model, field, *, descending=False) -> list[int]:
    return list(model.objects.order_by(f"-{field}" if descending else field, "pk").values_list("pk", flat=True))


SHUFFLED = [NOW - timedelta(days=d) for d in (2, 5, 1, 4, 3)]


@pytest.fixture
def customers():
    rows = [CustomerFactory(first_name=first, last_name=last) for first, last in zip("ECADB", "CADBE", strict=True)]
    for field in ("last_contact_at", "created_at", "updated_at"):
        stamp(Customer, rows, field, SHUFFLED[::-1] if field == "created_at" else SHUFFLED)
    return rows


@pytest.mark.parametrize("field", ["last_contact_at", "created_at", "updated_at", "last_name", "first_name"])
def test_customers_order_by_each_documented_field_both_ways(rep, customers, field):
    assert ids(rep.get("/api/customers/", {"ordering": field})) == by(Customer, field)
    assert ids(rep.get("/api/customers/", {"ordering": f"-{field}"})) == by(Customer, field, descending=True)


def test_customers_order_by_several_fields(rep):
    a1, b1, a2 = (
        CustomerFactory(first_name=first, last_name=last) for first, last in (("A", "X"), ("B", "X"), ("A", "Y"))
    )
    assert ids(rep.get("/api/customers/", {"ordering": "first_name,-last_name"})) == [a2.pk, a1.pk, b1.pk]


@pytest.mark.parametrize("field", ["opened_at", "updated_at", "resolution_due_at", "priority"])
def test_cases_order_by_each_documented_field_both_ways(rep, field):
    customer = CustomerFactory()
    rows = [CaseFactory(customer=customer, priority=p) for p in ("high", "low", "urgent", "normal")]
    stamp(Case, rows, "opened_at", SHUFFLED[:4])
    stamp(Case, rows, "updated_at", SHUFFLED[:4][::-1])
    stamp(Case, rows, "resolution_due_at", [NOW + timedelta(hours=h) for h in (3, 1, 4, 2)])
    assert ids(rep.get("/api/cases/", {"ordering": field})) == by(Case, field)
    assert ids(rep.get("/api/cases/", {"ordering": f"-{field}"})) == by(Case, field, descending=True)


@pytest.mark.parametrize("field", ["occurred_at", "created_at"])
def test_interactions_order_by_each_documented_field_both_ways(rep, field):
    customer = CustomerFactory()
    rows = [InteractionFactory(customer=customer) for _ in range(5)]
    stamp(Interaction, rows, "occurred_at", SHUFFLED)
    stamp(Interaction, rows, "created_at", SHUFFLED[::-1])
    assert ids(rep.get("/api/interactions/", {"ordering": field})) == by(Interaction, field)
    assert ids(rep.get("/api/interactions/", {"ordering": f"-{field}"})) == by(Interaction, field, descending=True)


def test_notes_merges_and_suggestions_order_by_their_date(rep, rep_user):
    customer = CustomerFactory()
    notes = [NoteFactory(customer=customer) for _ in range(3)]
    stamp(Note, notes, "created_at", SHUFFLED[:3])
    assert ids(rep.get("/api/notes/", {"ordering": "created_at"})) == by(Note, "created_at")
    assert ids(rep.get("/api/notes/", {"ordering": "-created_at"})) == by(Note, "created_at", descending=True)

    survivors = CustomerFactory.create_batch(3)
    for survivor in survivors:
        customer_merge(survivor=survivor, other=CustomerFactory(), user=rep_user)
    stamp(MergeRecord, MergeRecord.objects.order_by("pk"), "merged_at", SHUFFLED[:3])
    assert ids(rep.get("/api/merges/", {"ordering": "merged_at"})) == by(MergeRecord, "merged_at")
    assert ids(rep.get("/api/merges/", {"ordering": "-merged_at"})) == by(MergeRecord, "merged_at", descending=True)

    suggestions = [
        MergeSuggestion.objects.create(customer=CustomerFactory(), other=CustomerFactory(), reason="same phone")
        for _ in range(3)
    ]
    stamp(MergeSuggestion, suggestions, "created_at", SHUFFLED[:3])
    expected = by(MergeSuggestion, "created_at")
    assert ids(rep.get("/api/merge-suggestions/", {"ordering": "created_at"})) == expected
    assert ids(rep.get("/api/merge-suggestions/", {"ordering": "-created_at"})) == expected[::-1]


@pytest.mark.parametrize(
    ("url", "value"),
    [
        ("/api/customers/", "email"),
        ("/api/cases/", "subject"),
        ("/api/interactions/", "summary"),
        ("/api/notes/", "-body"),
        ("/api/merges/", "undone_at"),
        ("/api/merge-suggestions/", "reason"),
    ],
)
def test_an_unknown_ordering_is_a_400_naming_it(rep, url, value):
    response = rep.get(url, {"ordering": value})
    assert response.status_code == 400
    assert value.lstrip("-") in str(response.json()["ordering"])
