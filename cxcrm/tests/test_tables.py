"""The shared list pieces (cxcrm/tables.py): paging that never counts a long list, and the export formats."""

import django_tables2 as tables
import pytest
from django.contrib.auth import get_user_model

from cxcrm.tables import CountedLazyPaginator, Table, count_up_to, export_response
from cxcrm.tests.factories import UserFactory


@pytest.mark.parametrize(("asked", "shown"), [("2", 2), ("abc", 1), (None, 1), ("-1", 3), ("0", 3), ("99", 3)])
def test_a_counted_list_pages_exactly_and_a_page_out_of_range_shows_the_last(asked, shown):
    paginator = CountedLazyPaginator(list(range(105)), 50, total=105)
    page = paginator.get_page(asked)
    assert page.number == shown and paginator.num_pages == 3
    assert list(page.object_list)[:1] == [(shown - 1) * 50]


def test_an_uncounted_list_discovers_pages_and_a_page_past_the_end_shows_the_first():
    paginator = CountedLazyPaginator(list(range(105)), 50)
    page = paginator.get_page("2")
    assert page.number == 2 and page.has_next() and page.has_previous()
    last = paginator.get_page("3")
    assert len(last.object_list) == 5 and not last.has_next()
    assert paginator.get_page("9").number == 1


@pytest.mark.django_db
def test_count_up_to_stops_at_its_limit():
    UserFactory.create_batch(4)
    users = get_user_model().objects.all()
    assert count_up_to(users, limit=4) == 4
    assert count_up_to(users, limit=3) is None


def test_export_knows_csv_and_xlsx_only():
    with pytest.raises(ValueError, match="json"):
        export_response(None, export_format="json", filename="x")


def test_a_table_without_a_meta_keeps_its_parents():
    class Parent(Table):
        name = tables.Column()

        class Meta(Table.Meta):
            orderable = False
            attrs = {"data-testid": "parent"}

    class Child(Parent):
        age = tables.Column()

    child = Child([{"name": "Ana", "age": 3}])

    assert child.template_name == "tables/table.html"
    assert child.attrs["data-testid"] == "parent" and not child.orderable
    assert [column.name for column in child.columns] == ["name", "age"]


@pytest.mark.parametrize(
    "cell, exported",
    [
        ("=1+1", "'=1+1"),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Wójcik", "Wójcik"),
        ("-3.5", "-3.5"),
        ("+12", "+12"),
        ("40%", "40%"),
        ("+302101234567", "+302101234567"),
        (7, 7),
        (None, None),
    ],
)
def test_cells_a_spreadsheet_would_run_are_exported_as_text(cell, exported):
    from cxcrm.tables import spreadsheet_safe

    assert spreadsheet_safe(cell) == exported


@pytest.mark.django_db
def test_a_page_number_too_large_for_an_offset_shows_the_last_page_not_an_error(client, rep_user):
    from customers.tests.factories import CustomerFactory

    CustomerFactory.create_batch(3, first_name="Paged")
    client.force_login(rep_user)
    for page in ("99999999999999999999", "1000001", " 7 "):
        response = client.get("/customers/", {"q": "Paged", "page": page})
        assert response.status_code == 200
        assert response.content.decode().count("Paged") >= 3
