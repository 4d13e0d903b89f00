from datetime import timedelta

import pytest
from django.db import connection
from django.http import QueryDict
from django.utils import timezone

from customers.models import Interaction
from customers.tests.factories import CaseFactory, CustomerFactory, IdentityFactory, InteractionFactory
from customers.timeline import customer_timeline

pytestmark = pytest.mark.django_db

T0 = timezone.now().replace(microsecond=0)


def bulk_interactions(customer, count, *, ties=1, **extra):
    """`count` interactions, `ties` of them sharing each timestamp."""
    Interaction.objects.bulk_create(
        [
            Interaction(
                customer=customer,
                channel=extra.get("channel", "email"),
                occurred_at=T0 - timedelta(minutes=n // ties),
                summary=f"#{n}",
            )
            for n in range(count)
        ]
    )


def test_paging_forward_and_back_with_tied_timestamps_loses_and_repeats_nothing():
    customer = CustomerFactory()
    bulk_interactions(customer, 23, ties=4)
    expected = list(
        Interaction.objects.filter(customer=customer).order_by("-occurred_at", "-id").values_list("pk", flat=True)
    )
    seen, pages, cursor = [], [], None
    while True:
        page = customer_timeline(customer, cursor=cursor, page_size=5)
        pages.append(page)
        seen.extend(i.pk for i in page.results)
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert seen == expected
    assert pages[0].previous_cursor is None
    # walk back from the last page
    back = customer_timeline(customer, cursor=pages[-1].previous_cursor, page_size=5)
    assert [i.pk for i in back.results] == [i.pk for i in pages[-2].results]


def test_timeline_filters():
    customer = CustomerFactory()
    case = CaseFactory(customer=customer)
    InteractionFactory(customer=customer, channel="sms", occurred_at=T0 - timedelta(days=3))
    on_case = InteractionFactory(customer=customer, channel="chat", case=case, occurred_at=T0)
    assert [i.pk for i in customer_timeline(customer, {"case": case.pk}).results] == [on_case.pk]
    assert [i.channel for i in customer_timeline(customer, {"channel": "sms"}).results] == ["sms"]
    recent = customer_timeline(customer, {"occurred_after": T0 - timedelta(days=1)}).results
    assert [i.pk for i in recent] == [on_case.pk]


def test_timeline_filters_are_the_filtersets_so_query_strings_work_as_they_come():
    """The page passes its query string as it is: ISO dates, a direction, and values that mean nothing."""
    customer = CustomerFactory()
    InteractionFactory(customer=customer, direction="inbound", occurred_at=T0 - timedelta(days=3))
    outbound = InteractionFactory(customer=customer, direction="outbound", occurred_at=T0 - timedelta(days=2))
    InteractionFactory(customer=customer, direction="outbound", occurred_at=T0)
    query = QueryDict(mutable=True)
    query.update(
        {
            "direction": "outbound",
            "occurred_before": (T0 - timedelta(days=1)).isoformat(),
            "cursor": "not-a-filter",
        }
    )
    assert [i.pk for i in customer_timeline(customer, query).results] == [outbound.pk]
    # a bad value filters nothing (the API refuses it first, with a 400)
    assert len(customer_timeline(customer, {"channel": "pigeon", "case": "x"}).results) == 3


def test_timeline_api_follows_next_links_and_rejects_bad_cursors(api_as, rep_user):
    client = api_as(rep_user)
    customer = CustomerFactory()
    bulk_interactions(customer, 7, ties=3)
    url, ids = f"/api/customers/{customer.pk}/timeline/?page_size=3", []
    while url:
        body = client.get(url).json()
        ids.extend(item["id"] for item in body["results"])
        url = body["next"]
    assert len(ids) == len(set(ids)) == 7
    assert client.get(f"/api/customers/{customer.pk}/timeline/", {"cursor": "garbage"}).status_code == 400
    assert client.get(f"/api/customers/{customer.pk}/timeline/", {"channel": "pigeon"}).status_code == 400
    assert client.get(f"/api/customers/{customer.pk}/timeline/", {"page_size": "x"}).status_code == 400
    assert client.get(f"/api/customers/{customer.pk}/timeline/", {"occurred_after": "x"}).status_code == 400


def test_customer_and_timeline_endpoints_have_bounded_queries(api_as, rep_user, django_assert_max_num_queries):
    client = api_as(rep_user)
    customer = CustomerFactory()
    for n in range(3):
        IdentityFactory(customer=customer, value=f"q{n}@example.com")
        CaseFactory(customer=customer)
    bulk_interactions(customer, 3000, ties=2)
    cases = list(customer.cases.all())
    Interaction.objects.filter(
        customer=customer, pk__in=Interaction.objects.filter(customer=customer).values("pk")[:500]
    ).update(case=cases[0], agent=rep_user)
    others = [CustomerFactory() for _ in range(30)]
    for other in others:
        IdentityFactory(customer=other)
        InteractionFactory(customer=other)
    client.get(f"/api/customers/{customer.pk}/")  # warm up auth caches
    with django_assert_max_num_queries(10):
        detail = client.get(f"/api/customers/{customer.pk}/")
    assert detail.json()["interaction_count"] == 3000
    with django_assert_max_num_queries(10):
        page = client.get(f"/api/customers/{customer.pk}/timeline/", {"page_size": 200})
    assert len(page.json()["results"]) == 200
    with django_assert_max_num_queries(10):
        page2 = client.get(page.json()["next"])
    first_ids = {item["id"] for item in page.json()["results"]}
    assert len(page2.json()["results"]) == 200
    assert not first_ids & {item["id"] for item in page2.json()["results"]}
    with django_assert_max_num_queries(12):
        listing = client.get("/api/customers/", {"page_size": 100})
    assert listing.json()["count"] == 31
    with django_assert_max_num_queries(10):
        client.get("/api/cases/", {"page_size": 100})
    with django_assert_max_num_queries(10):
        client.get("/api/interactions/", {"customer_id": customer.pk})
    from customers.models import MergeSuggestion, Note

    Note.objects.bulk_create([Note(customer=other, body="n", author=rep_user) for other in others])
    MergeSuggestion.objects.bulk_create(
        [MergeSuggestion(customer=customer, other=other, reason="same") for other in others]
    )
    with django_assert_max_num_queries(10):
        assert len(client.get("/api/notes/").json()["results"]) == 30
    with django_assert_max_num_queries(10):
        assert len(client.get("/api/merge-suggestions/").json()["results"]) == 30


def test_timeline_api_pages_cost_at_most_five_queries_first_or_deep(api_as, rep_user, django_assert_max_num_queries):
    """Token, permissions, the customer's id and one page: no count over the history, no representation."""
    client = api_as(rep_user)
    customer = CustomerFactory()
    IdentityFactory(customer=customer)
    bulk_interactions(customer, 1000, ties=3)
    url = f"/api/customers/{customer.pk}/timeline/"
    client.get(url)  # the token's user and roles may be cached from here on
    with django_assert_max_num_queries(5):
        first = client.get(url, {"page_size": 10})
    assert len(first.json()["results"]) == 10
    next_url = first.json()["next"]
    for _ in range(60):
        next_url = client.get(next_url).json()["next"]
    with django_assert_max_num_queries(5):
        deep = client.get(next_url)
    expected = list(
        Interaction.objects.filter(customer=customer).order_by("-occurred_at", "-id").values_list("pk", flat=True)
    )
    assert [item["id"] for item in deep.json()["results"]] == expected[610:620]
    with django_assert_max_num_queries(5):
        back = client.get(deep.json()["previous"])
    assert [item["id"] for item in back.json()["results"]] == expected[600:610]


def test_timeline_api_of_a_folded_customer_is_the_survivors_and_an_unknown_id_is_404(api_as, rep_user):
    client = api_as(rep_user)
    survivor, folded = CustomerFactory(), CustomerFactory()
    bulk_interactions(survivor, 3)
    folded.merged_into = survivor
    folded.save(update_fields=["merged_into"])
    body = client.get(f"/api/customers/{folded.pk}/timeline/").json()
    assert len(body["results"]) == 3
    assert client.get("/api/customers/999999999/timeline/").status_code == 404
    assert client.get(f"/api/customers/{2**63}/timeline/").status_code == 404


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the row-value keyset is PostgreSQL's")
def test_timeline_keyset_condition_is_an_index_range_on_postgresql():
    """(occurred_at, id) < (…) is read as a range of the timeline index, not a filter over skipped rows."""
    customer = CustomerFactory()
    bulk_interactions(customer, 300, ties=2)
    rows = list(Interaction.objects.filter(customer=customer).order_by("-occurred_at", "-id"))
    page = customer_timeline(customer, cursor=customer_timeline(customer, page_size=150).next_cursor, page_size=50)
    assert [i.pk for i in page.results] == [i.pk for i in rows[150:200]]
    from customers.timeline import timeline_queryset
    from cxcrm.db import keyset_condition

    pivot = rows[149]
    qs = (
        timeline_queryset(customer)
        .filter(keyset_condition(Interaction, ("occurred_at", "id"), "<", (pivot.occurred_at, pivot.pk)))
        .order_by("-occurred_at", "-id")[:51]
    )
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
    plan = qs.explain()
    assert "customers_int_timeline_idx" in plan
    assert "Index Cond" in plan and "ROW(" in plan.replace("\n", " ")
    assert "Rows Removed by Filter" not in qs.explain(analyze=True)
