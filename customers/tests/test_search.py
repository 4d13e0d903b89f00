"""Customer search: accent- and case-insensitive names through one folded column (Customer.search_name),
kept up to date on every write path; "#304" and a bare id; ranked results."""

import io
from datetime import timedelta
from importlib import import_module

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from customers.models import Customer
from customers.selectors import customer_search
from customers.services import customer_create, customer_merge, customer_update, merge_undo
from customers.tests.factories import CustomerFactory, IdentityFactory
from customers.text import search_fold

pytestmark = pytest.mark.django_db

WHEN = (timezone.now() - timedelta(hours=1)).isoformat()

# (stored first and last name, typed)
FOUND = [
    ("Hugo", "Pérez", "hugo perez"),
    ("Hugo", "Pérez", "HUGO PEREZ"),
    ("Hugo", "Pérez", "perez hugo"),
    ("Hugo", "Pérez", "Pérez"),
    ("Julia", "Wójcik", "julia wojcik"),
    ("Łukasz", "Kowalski", "lukasz"),
    ("Łukasz", "Kowalski", "łukasz kowalski"),
    ("Γιώργος", "Παπαδόπουλος", "γιωργος"),
    ("Γιώργος", "Παπαδόπουλος", "ΓΙΩΡΓΟΣ ΠΑΠΑΔΟΠΟΥΛΟΣ"),
    ("Ελένη", "Ξυλούρη", "ελενη ξυλουρη"),
    ("Ana", "Muñoz", "munoz"),
    ("João", "Conceição", "joao conceicao"),
    ("Zoë", "Straße", "zoe strasse"),
    # Punctuation typed or stored between the words.
    ("Carlos", "Pérez", "pérez, carlos"),
    ("Carlos", "Pérez", "carlos-perez"),
    ("Siobhán", "O’Brien-Smith", "o'brien"),
    ("Siobhán", "O’Brien-Smith", "siobhan o brien smith"),
]


@pytest.fixture
def rep(client, rep_user):
    client.force_login(rep_user)
    return client


@pytest.mark.parametrize(("first", "last", "typed"), FOUND)
def test_search_ignores_accents_case_and_tonos(first, last, typed):
    customer = CustomerFactory(first_name=first, last_name=last)
    CustomerFactory(first_name="Bruno", last_name="Costa")
    assert list(customer_search(typed)) == [customer]


@pytest.mark.parametrize(("first", "last", "typed"), FOUND[:1] + FOUND[4:5] + FOUND[7:8])
def test_the_page_and_the_api_search_without_accents(rep, api_as, rep_user, first, last, typed):
    customer = CustomerFactory(first_name=first, last_name=last)
    CustomerFactory(first_name="Bruno", last_name="Costa")
    response = rep.get(reverse("customers:customer_list"), {"q": typed})
    assert response.status_code == 302 and response.url.endswith(f"/customers/{customer.pk}/")
    results = api_as(rep_user).get("/api/customers/", {"q": typed}).json()["results"]
    assert [r["id"] for r in results] == [customer.pk]


def test_the_admin_search_ignores_accents(client, superuser):
    customer = CustomerFactory(first_name="Hugo", last_name="Pérez")
    CustomerFactory(first_name="Bruno", last_name="Costa")
    client.force_login(superuser)
    response = client.get(reverse("admin:customers_customer_changelist"), {"q": "hugo perez"})
    assert list(response.context["cl"].result_list) == [customer]


@pytest.mark.parametrize("typed", ["#{pk}", "{pk}", "# {pk}"])
def test_a_customer_id_finds_the_customer(typed):
    customer = CustomerFactory(first_name="Ana")
    CustomerFactory(first_name="Bruno")
    assert customer in customer_search(typed.format(pk=customer.pk))
    assert list(customer_search(typed.format(pk=customer.pk)))[0] == customer


def test_results_are_ranked_exact_identity_then_name_similarity():
    contains = CustomerFactory(first_name="Rosana", last_name="Lima")
    word = CustomerFactory(first_name="Maria", last_name="Ana Costa")
    starts = CustomerFactory(first_name="Ana", last_name="Souza")
    exact_name = CustomerFactory(first_name="Ana", last_name="")
    owner = IdentityFactory(kind="handle", network="instagram", value="ana").customer
    owner.first_name, owner.last_name = "Zé", "Ninguém"
    owner.save()
    assert list(customer_search("ana")) == [owner, exact_name, starts, word, contains]
    assert list(customer_search("ANA")) == [owner, exact_name, starts, word, contains]


# --------------------------------------------------------------------------- search_name on every write path


def test_the_services_keep_search_name():
    customer = customer_create(first_name="Hugo", last_name="Pérez")
    assert Customer.objects.get(pk=customer.pk).search_name == "hugo perez"
    customer_update(customer=customer, last_name="Wójcik")
    assert Customer.objects.get(pk=customer.pk).search_name == "hugo wojcik"


def test_a_save_with_update_fields_keeps_search_name():
    customer = CustomerFactory(first_name="Ana", last_name="")
    customer.first_name = "Łucja"
    customer.save(update_fields=["first_name"])
    assert Customer.objects.get(pk=customer.pk).search_name == "lucja"


def test_the_admin_keeps_search_name(client, superuser):
    client.force_login(superuser)
    data = {
        "first_name": "Γιώργος",
        "last_name": "Νικολάου",
        "lifecycle_stage": "lead",
        "language": "el",
        "timezone": "Europe/Athens",
        "country": "GR",
        "identities-TOTAL_FORMS": "0",
        "identities-INITIAL_FORMS": "0",
        "notes-TOTAL_FORMS": "0",
        "notes-INITIAL_FORMS": "0",
    }
    response = client.post(reverse("admin:customers_customer_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    customer = Customer.objects.get()
    assert customer.search_name == "γιωργοσ νικολαου"
    response = client.post(
        reverse("admin:customers_customer_change", args=[customer.pk]), {**data, "first_name": "Ελένη"}
    )
    assert response.status_code == 302
    assert Customer.objects.get().search_name == "ελενη νικολαου"


def test_ingestion_one_by_one_and_in_bulk_keeps_search_name(api_as, integration_user):
    api = api_as(integration_user)
    one = {
        "channel": "chat",
        "occurred_at": WHEN,
        "summary": "Hi",
        "identities": [{"kind": "email", "value": "hugo@example.com"}],
        "customer": {"first_name": "Hugo", "last_name": "Pérez"},
    }
    assert api.post("/api/interactions/", one, format="json").status_code == 201
    many = [
        {
            **one,
            "identities": [{"kind": "email", "value": "julia@example.com"}],
            "customer": {"first_name": "Julia", "last_name": "Wójcik"},
        },
        {
            **one,
            "identities": [{"kind": "email", "value": "ana@example.com"}],
            "customer": {"first_name": "Ana", "last_name": "Muñoz"},
        },
    ]
    assert api.post("/api/interactions/bulk/", many, format="json").status_code == 200
    assert set(Customer.objects.values_list("search_name", flat=True)) == {"hugo perez", "julia wojcik", "ana munoz"}


def test_the_import_keeps_search_name(tmp_path):
    path = tmp_path / "history.csv"
    path.write_text(
        "channel,occurred_at,summary,email,first_name,last_name\n"
        "chat,2024-01-01T10:00:00Z,Hi,l@example.com,Łukasz,Wiśniewski\n"
    )
    call_command("import_interactions", str(path), "--no-progress", stdout=io.StringIO())
    assert Customer.objects.get().search_name == "lukasz wisniewski"
    assert list(customer_search("lukasz wisniewski")) == [Customer.objects.get()]


def test_a_merge_and_its_undo_keep_search_name():
    survivor = CustomerFactory(first_name="", last_name="")
    other = CustomerFactory(first_name="Julia", last_name="Wójcik")
    record = customer_merge(survivor=survivor, other=other)
    assert Customer.objects.get(pk=survivor.pk).search_name == "julia wojcik"
    assert list(customer_search("julia wojcik")) == [Customer.objects.get(pk=survivor.pk)]
    merge_undo(merge=record)
    assert Customer.objects.get(pk=survivor.pk).search_name == ""


def test_bulk_create_keeps_search_name():
    # The demo and the batch ingestion create customers this way.
    Customer.objects.bulk_create([Customer(first_name="Μαρία", last_name="Δημητρίου")])
    assert Customer.objects.get().search_name == "μαρια δημητριου"


def test_the_migration_backfills_search_name():
    migration = import_module("customers.migrations.0007_customer_search_name")
    customer = CustomerFactory(first_name="Hugo", last_name="Pérez")
    Customer.objects.filter(pk=customer.pk).update(search_name="")
    migration.backfill_search_name(apps, None)
    assert Customer.objects.get(pk=customer.pk).search_name == "hugo perez"


def test_search_fold_of_other_scripts_and_marks():
    assert search_fold("  Ïñigo   ÇAĞRI ") == "inigo cagri"
    assert search_fold("Σωκράτης") == search_fold("ΣΩΚΡΑΤΗΣ") == "σωκρατησ"
    assert search_fold("Đorđe Øster") == "dorde oster"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigram index exists on PostgreSQL only")
def test_postgresql_has_a_trigram_index_on_search_name_that_the_search_uses():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'customers_customer' AND indexdef LIKE '%gin_trgm_ops%'"
        )
        (definition,) = cursor.fetchone()
    assert "search_name" in definition


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigram indexes exist on PostgreSQL only")
def test_postgresql_serves_a_partial_identity_match_from_trigram_indexes():
    """A search for part of an identity ("xample.co", part of a phone) reads the trigram index of UPPER(value)
    instead of every identity; the case-sensitive twin is gone (migration 0017: no read needs it)."""
    from customers.models import Identity

    IdentityFactory(value="ana@example.com")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'customers_identity' AND indexdef LIKE '%trgm%'"
        )
        assert [row[0] for row in cursor.fetchall()] == ["customers_identity_value_upper_trgm"]
    for query in (
        Identity.objects.filter(value__icontains="xample.co"),
        Identity.objects.filter(value__icontains="5108"),
    ):
        with connection.cursor() as cursor:
            # A table this small would be read whole: leave the planner the bitmap scans only.
            cursor.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off")
            sql, params = query.query.sql_with_params()
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = " ".join(row[0] for row in cursor.fetchall())
        assert "customers_identity_value_upper_trgm" in plan, plan


@pytest.mark.parametrize("typed", ["510 8966", "510-8966", "(692) 510", "5108966"])
def test_part_of_a_phone_is_found_whatever_separators_are_typed(typed):
    customer = CustomerFactory(first_name="Nikos")
    IdentityFactory(customer=customer, kind="phone", value="+306925108966")
    CustomerFactory(first_name="Bruno")
    assert list(customer_search(typed)) == [customer]


@pytest.mark.parametrize(
    ("stored_kind", "stored", "typed"),
    [
        ("email", "ana@example.com", " Ana@Example.com"),
        ("phone", "+5511912345678", "(11) 91234-5678"),
    ],
)
def test_an_exact_email_or_phone_answers_with_its_owner_alone_in_few_queries(
    api_as, rep_user, django_assert_max_num_queries, stored_kind, stored, typed
):
    """An email or phone equal to a stored one is looked up by its normalised value: its owner only, not
    the customers whose identities merely contain it (joana@example.com, +5511912345678 9)."""
    owner = CustomerFactory(first_name="Ana", last_name="Silva")
    IdentityFactory(customer=owner, kind=stored_kind, value=stored)
    lookalike = CustomerFactory(first_name="Joana", last_name="Lima")
    IdentityFactory(
        customer=lookalike, kind=stored_kind, value="jo" + stored if stored_kind == "email" else stored + "9"
    )
    assert list(customer_search(typed)) == [owner]
    client = api_as(rep_user)
    client.get("/api/customers/", {"q": typed})
    with django_assert_max_num_queries(8):
        body = client.get("/api/customers/", {"q": typed}).json()
    assert body["count"] == 1
    assert [r["id"] for r in body["results"]] == [owner.pk]


def test_a_part_of_an_email_still_finds_every_owner_containing_it():
    ana = CustomerFactory(first_name="Ana", last_name="Silva")
    IdentityFactory(customer=ana, kind="email", value="ana@example.com")
    joana = CustomerFactory(first_name="Joana", last_name="Lima")
    IdentityFactory(customer=joana, kind="email", value="joana@example.com")
    assert set(customer_search("ana@example")) == {ana, joana}
    # no stored email equals it: the parts are searched as before
    assert set(customer_search("na@example.com")) == {ana, joana}


def test_the_api_counts_without_a_count_query_when_one_page_holds_every_match(api_as, rep_user):
    from django.test.utils import CaptureQueriesContext

    owner = CustomerFactory(first_name="Ana", last_name="Silva")
    IdentityFactory(customer=owner, kind="email", value="ana@example.com")
    for n in range(5):
        CustomerFactory(first_name="Bruno", last_name=f"Costa{n}")
    client = api_as(rep_user)
    with CaptureQueriesContext(connection) as ctx:
        body = client.get("/api/customers/", {"q": "ana@example.com"}).json()
    assert body["count"] == 1 and body["next"] is None
    assert not any("COUNT(*)" in q["sql"].upper() for q in ctx.captured_queries)
    # more matches than a page: counted exactly, every page links on
    first = client.get("/api/customers/", {"q": "costa", "page_size": 2}).json()
    assert first["count"] == 5 and first["next"]
    last = client.get("/api/customers/", {"q": "costa", "page_size": 2, "page": 3}).json()
    assert last["count"] == 5 and len(last["results"]) == 1 and last["next"] is None
    assert client.get("/api/customers/", {"q": "nobody-here"}).json() == {
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
    }


def test_a_name_of_several_words_is_not_looked_for_inside_identity_values():
    """Several words are a name: found by name, and by an external id typed whole, not inside identity values."""
    hugo = CustomerFactory(first_name="Hugo", last_name="Pérez")
    other = CustomerFactory(first_name="Rita", last_name="Lopes")
    IdentityFactory(customer=other, kind="external_id", network="legacy", value="ACC hugo perez 7")
    IdentityFactory(customer=other, kind="external_id", network="crm", value="ref 42")

    assert list(customer_search("hugo perez")) == [hugo]
    assert list(customer_search("ref 42")) == [other]  # an id with a space, typed whole
    # one word is still looked for inside identity values (part of an email or handle): the name first
    assert list(customer_search("hugo")) == [hugo, other]


def test_a_name_search_reads_customers_by_their_name_index_and_ids_with_no_identity_subquery():
    """The exact identity owners are read first and given as ids: a subquery beside the name's trigram match
    made PostgreSQL read every customer for a name (30 ms at 127,000 customers)."""
    hugo = CustomerFactory(first_name="Hugo", last_name="Pérez")
    other = CustomerFactory(first_name="Rita", last_name="Lopes")
    IdentityFactory(customer=other, kind="external_id", network="legacy", value="hugo perez")
    queryset = customer_search("hugo perez")
    assert "customers_identity" not in str(queryset.query)
    assert list(queryset) == [other, hugo]  # the identity equal to the term first, then the name
