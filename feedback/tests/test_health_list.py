"""The health score in the customer list and search results: a column, sorted by clicking its header (lowest
first, then highest first), customers not computed yet last either way, pages that neither skip nor repeat a
customer, and no query per row."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.tests.factories import CustomerFactory
from feedback.models import HealthScore

pytestmark = pytest.mark.django_db

LIST = reverse("customers:customer_list")


def scored(name: str, score: int | None):
    first, last = name.split()
    customer = CustomerFactory(first_name=first, last_name=last)
    if score is not None:
        HealthScore.objects.create(customer=customer, score=score, parts={}, computed_at=timezone.now())
    return customer


@pytest.fixture
def customers():
    return [
        scored("Ana Lima", 82),
        scored("Bruno Costa", 35),
        scored("Carla Dias", None),
        scored("Davi Reis", 61),
    ]


def names_in_order(page: str) -> list[str]:
    rows = page.split('data-testid="customer-row"')[1:]
    return [re.search(r'<a href="/customers/\d+/">([^<]+)</a>', row).group(1) for row in rows]


def health_cells(page: str) -> list[str]:
    rows = page.split('data-testid="customer-row"')[1:]
    return [(m.group(1) if (m := re.search(r'data-testid="health-score">(\d+)<', row)) else "—") for row in rows]


@pytest.fixture
def signed_in(client, rep_user):
    client.force_login(rep_user)
    return client


def test_the_list_shows_each_customers_health_and_a_dash_before_the_first_computation(signed_in, customers):
    page = signed_in.get(LIST, {"sort": "health"}).content.decode()

    assert 'data-testid="health-header"' in page
    assert dict(zip(names_in_order(page), health_cells(page), strict=True)) == {
        "Ana Lima": "82",
        "Bruno Costa": "35",
        "Carla Dias": "—",
        "Davi Reis": "61",
    }


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("health", ["Bruno Costa", "Davi Reis", "Ana Lima", "Carla Dias"]),
        ("-health", ["Ana Lima", "Davi Reis", "Bruno Costa", "Carla Dias"]),
    ],
)
def test_clicking_the_health_header_sorts_with_customers_not_computed_last(signed_in, customers, sort, expected):
    page = signed_in.get(LIST).content.decode()
    header = re.search(r'<th [^>]*data-testid="health-header"[^>]*>\s*<a class="text-reset" href="([^"]+)"', page)
    assert header and "sort=health" in header.group(1)  # the header's link sorts the list

    assert names_in_order(signed_in.get(LIST, {"sort": sort}).content.decode()) == expected


def test_search_results_show_health_and_sort_by_it(signed_in):
    scored("Maria Souza", 20)
    scored("Maria Alves", 90)
    scored("Maria Rocha", None)
    scored("Pedro Maria", 55)

    page = signed_in.get(LIST, {"q": "maria", "sort": "-health"}).content.decode()

    assert names_in_order(page) == ["Maria Alves", "Pedro Maria", "Maria Souza", "Maria Rocha"]
    assert health_cells(page) == ["90", "55", "20", "—"]


@pytest.mark.parametrize("sort", ["health", "-health"])
def test_pages_sorted_by_health_neither_skip_nor_repeat_a_customer(signed_in, sort):
    """Many equal scores and many not computed: every customer on exactly one of the pages (25 a page)."""
    everyone = {scored(f"Cliente N{i:02d}", None if i % 3 == 0 else 50 + i % 2).pk for i in range(60)}
    seen = []
    for number in (1, 2, 3):
        page = signed_in.get(LIST, {"sort": sort, "page": number}).content.decode()
        seen += [
            int(pk)
            for pk in re.findall(r'data-testid="customer-row"[^>]*>\s*<td[^>]*><a href="/customers/(\d+)/"', page)
        ]
    assert len(seen) == len(set(seen)) == 60 and set(seen) == everyone
    scores = HealthScore.objects.in_bulk(seen, field_name="customer_id")
    values = [scores[pk].score if pk in scores else None for pk in seen]
    assert values.index(None) == 40 and set(values[40:]) == {None}  # not computed: last


def test_the_health_column_costs_no_query_per_row(signed_in, django_assert_max_num_queries):
    for i in range(3):
        scored(f"Few N{i}", 40 + i)
    with django_assert_max_num_queries(12) as few:
        signed_in.get(LIST, {"sort": "health"})
    for i in range(22):
        scored(f"Many N{i}", None if i % 4 == 0 else 30 + i)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = signed_in.get(LIST, {"sort": "health"}).content.decode()
    assert len(names_in_order(page)) == 25


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [("health", [20, 50, 50, None, None]), ("-health", [50, 50, 20, None, None])],
)
def test_the_api_orders_by_health_with_customers_not_computed_last(api_as, rep_user, ordering, expected):
    rows = [scored(f"Api N{i}", score) for i, score in enumerate([50, None, 50, 20, None])]

    body = api_as(rep_user).get("/api/customers/", {"ordering": ordering}).json()

    assert [row["health"] for row in body["results"]] == expected
    ties = [row["id"] for row in body["results"] if row["health"] in (50, None)]
    assert ties == [rows[0].pk, rows[2].pk, rows[1].pk, rows[4].pk]  # equal scores in id order
