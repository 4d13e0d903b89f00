"""The customer page's cost: its collapsed forms load by htmx when opened (a GET on the form's own URL answers
the form alone), and the page runs at most 15 queries whatever the customer's history, identities or cases,
with the panels other apps add (settings.CUSTOMER_PAGE_PANELS as installed)."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from customers.choices import CaseStatus, IdentityKind, InteractionType
from customers.forms import ProfileForm
from customers.models import Case, Identity, Interaction, MergeSuggestion
from customers.services import customer_merge
from cxcrm.choices import Channel
from journeys.tests.factories import PersonaFactory

from .factories import CaseFactory, CustomerFactory, IdentityFactory, NoteFactory

pytestmark = pytest.mark.django_db

PAGE_QUERIES = 15
COLLAPSED_FORMS = {
    "log": "customers:interaction_log",
    "case": "customers:case_open",
    "profile": "customers:profile_update",
    "identity": "customers:identity_add",
}


def page_url(customer) -> str:
    return reverse("customers:customer_detail", args=[customer.pk])


def _history(customer, n: int) -> None:
    start = timezone.now() - timedelta(days=200)
    Interaction.objects.bulk_create(
        Interaction(
            customer=customer,
            channel=list(Channel.values)[i % len(Channel.values)],
            type=InteractionType.MESSAGE,
            occurred_at=start + timedelta(minutes=i * 7),
            summary=f"Event {i}",
            live=False,
        )
        for i in range(n)
    )


@pytest.fixture
def long_history(rep_user):
    """A customer of ten years: 5,000 interactions, 40 cases (half open), 30 notes, a merge and a suggestion."""
    customer = CustomerFactory(first_name="Ana", last_name="Silva", owner=rep_user, persona=PersonaFactory())
    IdentityFactory(customer=customer, kind=IdentityKind.EMAIL, value="ana@example.com")
    _history(customer, 5000)
    for i in range(40):
        status = CaseStatus.OPEN if i % 2 else CaseStatus.RESOLVED
        CaseFactory(customer=customer, subject=f"Case {i}", status=status, assignee=rep_user)
    for _ in range(30):
        NoteFactory(customer=customer, author=rep_user)
    customer_merge(survivor=customer, other=CustomerFactory(first_name="Ana"), user=rep_user)
    MergeSuggestion.objects.create(customer=CustomerFactory(), other=customer, reason="same phone")
    return customer


@pytest.fixture
def many_identities_and_cases(rep_user):
    """A company account: 60 identities of four kinds and 300 cases, few interactions."""
    customer = CustomerFactory(first_name="Acme")
    kinds = [IdentityKind.EMAIL, IdentityKind.PHONE, IdentityKind.HANDLE, IdentityKind.EXTERNAL_ID]
    Identity.objects.bulk_create(
        Identity(
            customer=customer,
            kind=kinds[i % 4],
            network="" if kinds[i % 4] in (IdentityKind.EMAIL, IdentityKind.PHONE) else "crm",
            value=f"+5511900000{i:03d}" if kinds[i % 4] == IdentityKind.PHONE else f"acme{i}@example.com",
        )
        for i in range(60)
    )
    Case.objects.bulk_create(
        Case(
            customer=customer,
            subject=f"Order {i}",
            status=CaseStatus.OPEN if i % 3 else CaseStatus.CLOSED,
            opened_at=timezone.now() - timedelta(days=i),
        )
        for i in range(300)
    )
    _history(customer, 20)
    return customer


@pytest.mark.parametrize("role", ["rep_user", "manager_user"])
@pytest.mark.parametrize("scenario", ["long_history", "many_identities_and_cases"])
def test_customer_page_runs_at_most_fifteen_queries(client, request, role, scenario, django_assert_max_num_queries):
    customer = request.getfixturevalue(scenario)
    client.force_login(request.getfixturevalue(role))
    client.get(page_url(customer))  # the session's first use is not the page's cost
    with django_assert_max_num_queries(PAGE_QUERIES):
        response = client.get(page_url(customer))
    assert response.status_code == 200
    assert customer.display_name in response.content.decode()


def test_the_page_draws_no_collapsed_form_and_points_each_to_its_url(client, rep_user, long_history):
    client.force_login(rep_user)
    html = client.get(page_url(long_history)).content.decode()
    for key, name in COLLAPSED_FORMS.items():
        slot = re.search(rf'<div class="collapse[^"]*" id="form-{key}"[^>]*>', html).group(0)
        assert f'hx-get="{reverse(name, args=[long_history.pk])}"' in slot
        assert 'hx-trigger="show.bs.collapse once"' in slot
        assert f'data-testid="form-{key}"' not in html
    assert 'name="log-summary"' not in html and 'name="profile-owner"' not in html
    assert 'data-testid="form-note"' in html  # the note's one text area stays open on the page


@pytest.mark.parametrize("key", COLLAPSED_FORMS)
def test_opening_a_form_loads_it_alone_empty_and_ready_to_post(
    client, rep_user, long_history, key, django_assert_max_num_queries
):
    client.force_login(rep_user)
    url = reverse(COLLAPSED_FORMS[key], args=[long_history.pk])
    client.get(url)
    with django_assert_max_num_queries(9):  # the session and user (5), the customer, its tags, two choice lists
        response = client.get(url, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert f'data-testid="form-{key}"' in html and f'action="{url}"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert "is-invalid" not in html  # an empty form shows no errors


def test_the_forms_show_what_they_offer(client, rep_user, long_history):
    client.force_login(rep_user)
    log = client.get(reverse("customers:interaction_log", args=[long_history.pk])).content.decode()
    open_case = Case.objects.filter(customer=long_history, status=CaseStatus.OPEN).order_by("-id").first()
    assert f"#{open_case.pk} {open_case.subject}" in log
    resolved = Case.objects.filter(customer=long_history, status=CaseStatus.RESOLVED).first()
    assert f"#{resolved.pk} {resolved.subject}" not in log  # only open cases take a new interaction
    case = client.get(reverse("customers:case_open", args=[long_history.pk])).content.decode()
    assert re.search(rf'<option value="{rep_user.pk}" selected>', case)  # the rep who opens it, by default
    profile = client.get(reverse("customers:profile_update", args=[long_history.pk])).content.decode()
    assert 'name="profile-first_name" value="Ana"' in profile
    assert re.search(rf'<option value="{long_history.persona_id}" selected>', profile)


def test_a_form_that_comes_back_with_errors_is_drawn_open_in_place(client, rep_user, long_history):
    client.force_login(rep_user)
    response = client.post(
        reverse("customers:identity_add", args=[long_history.pk]), {"identity-kind": "phone", "identity-value": "12-ab"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'<div class="collapse show mt-3" id="form-identity">', html)
    assert 'data-testid="form-identity"' in html and 'value="12-ab"' in html and "is-invalid" in html
    assert 'data-testid="form-log"' not in html  # the others still load when opened


def test_a_marketer_may_not_load_the_forms(client, marketer_user, long_history):
    client.force_login(marketer_user)
    for name in COLLAPSED_FORMS.values():
        assert client.get(reverse(name, args=[long_history.pk])).status_code == 403


def test_a_folded_customer_form_is_the_survivors(client, rep_user, long_history):
    folded = long_history.merges_as_survivor.get().merged
    client.force_login(rep_user)
    html = client.get(reverse("customers:identity_add", args=[folded.pk])).content.decode()
    assert f'action="{reverse("customers:identity_add", args=[long_history.pk])}"' in html


def test_an_unknown_customer_form_is_404(client, rep_user):
    client.force_login(rep_user)
    assert client.get(reverse("customers:case_open", args=[999999])).status_code == 404


def test_the_profile_choices_are_read_in_plain_queries_without_counting(rep_user, long_history):
    form = ProfileForm(customer=long_history)
    with CaptureQueriesContext(connection) as queries:
        html = str(form["owner"]) + str(form["persona"])
        assert len(form.fields["owner"].choices) == 2  # the blank and the rep
    sql = [q["sql"].upper() for q in queries.captured_queries]
    assert len(sql) == 2, sql  # one each, whatever the rendering asks (no COUNT for len(), no cursor)
    assert not any("DECLARE" in s or "COUNT(" in s for s in sql)
    assert f'<option value="{rep_user.pk}" selected>' in html
