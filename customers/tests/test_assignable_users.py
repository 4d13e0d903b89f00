"""Who can be given a case (or own a customer): active support reps, the same list on the pages and in the API."""

import re

import pytest
from django.urls import reverse

from customers.models import Case
from customers.selectors import case_assignable_users
from cxcrm.choices import Role
from cxcrm.tests.factories import UserFactory

from .factories import CaseFactory, CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(rep_user, marketer_user, manager_user, superuser):
    return {
        "rep": rep_user,
        "marketer": marketer_user,
        "manager": manager_user,
        "admin": superuser,
        "former rep": UserFactory(username="former", role=Role.SUPPORT_REP, is_active=False),
    }


def _options(html: str, name: str) -> set[str]:
    select = re.search(rf'<select name="{name}".*?</select>', html, re.S).group(0)
    return set(re.findall(r'<option value="(\d+)"', select))


def test_only_active_support_reps_are_assignable(team):
    assert list(case_assignable_users()) == [team["rep"]]


def test_whoever_holds_a_case_now_stays_listed_for_that_case(team):
    case = CaseFactory(assignee=team["manager"])
    assert set(case_assignable_users(current_id=case.assignee_id)) == {team["rep"], team["manager"]}


def test_the_customer_page_forms_offer_reps_only(client, team):
    customer = CustomerFactory()
    client.force_login(team["rep"])
    case_form = client.get(reverse("customers:case_open", args=[customer.pk])).content.decode()
    profile_form = client.get(reverse("customers:profile_update", args=[customer.pk])).content.decode()
    assert _options(case_form, "case-assignee") == {str(team["rep"].pk)}
    assert _options(profile_form, "profile-owner") == {str(team["rep"].pk)}


def test_the_page_form_refuses_a_marketer_as_assignee(client, team):
    customer = CustomerFactory()
    client.force_login(team["rep"])
    data = {
        "case-subject": "Refund",
        "case-origin": "chat",
        "case-priority": "normal",
        "case-status": "open",
        "case-assignee": team["marketer"].pk,
    }
    response = client.post(reverse("customers:case_open", args=[customer.pk]), data)
    assert response.status_code == 200
    assert "assignee" in response.context["forms"]["case"].errors
    assert not Case.objects.exists()
    data["case-assignee"] = team["rep"].pk
    client.post(reverse("customers:case_open", args=[customer.pk]), data)
    assert Case.objects.get().assignee == team["rep"]


@pytest.mark.parametrize("who", ["marketer", "manager", "admin", "former rep"])
def test_the_api_refuses_a_non_rep_as_assignee_or_owner(api_as, team, who):
    api = api_as(team["rep"])
    customer = CustomerFactory()
    response = api.post("/api/cases/", {"customer": customer.pk, "subject": "Refund", "assignee": team[who].pk})
    assert response.status_code == 400 and "assignee" in response.json()
    assert not Case.objects.exists()
    response = api.patch(f"/api/customers/{customer.pk}/", {"owner": team[who].pk})
    assert response.status_code == 400 and "owner" in response.json()


def test_the_api_assigns_a_rep(api_as, team):
    api = api_as(team["rep"])
    customer = CustomerFactory()
    response = api.post("/api/cases/", {"customer": customer.pk, "subject": "Refund", "assignee": team["rep"].pk})
    assert response.status_code == 201 and response.json()["assignee"] == team["rep"].pk
    response = api.patch(f"/api/customers/{customer.pk}/", {"owner": team["rep"].pk})
    assert response.status_code == 200 and response.json()["owner"] == team["rep"].pk
