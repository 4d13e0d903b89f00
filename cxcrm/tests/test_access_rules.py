"""Access rules found missing when each role was tried on every door: integrations are API-only and read
the surveys they invite to; a note is changed by its author (or a manager) only, in the API and the admin."""

import pytest
from django.test import Client
from django.urls import reverse

from customers.models import Note
from customers.tests.factories import CustomerFactory, NoteFactory
from cxcrm.choices import Role
from cxcrm.tests.factories import UserFactory
from feedback.tests.factories import SurveyFactory

pytestmark = pytest.mark.django_db

GOOD = "pass-word-1"


# --------------------------------------------------------------------------- integrations: API only


def test_an_integration_cannot_log_in_to_the_staff_pages_with_its_password(client, integration_user):
    response = client.post(reverse("login"), {"username": "integration", "password": GOOD})
    assert response.status_code == 200
    assert b"This account is for the API only" in response.content
    assert "_auth_user_id" not in client.session


def test_other_roles_still_log_in(client, rep_user):
    assert client.post(reverse("login"), {"username": "rep", "password": GOOD}).status_code == 302


@pytest.mark.parametrize(
    "page",
    [
        "customers:my_work",
        "customers:customer_list",
        "customers:case_list",
        "customers:case_export",
        "journeys:map_list",
        "feedback:survey_list",
    ],
)
def test_an_integration_with_a_session_gets_403_on_staff_pages(client, integration_user, page):
    client.force_login(integration_user)
    assert client.get(reverse(page)).status_code == 403


def test_a_customer_page_is_refused_to_an_integration_even_with_its_permissions(client, integration_user):
    customer = CustomerFactory(first_name="Ana")
    assert integration_user.has_perm("customers.view_customer")
    client.force_login(integration_user)
    response = client.get(reverse("customers:customer_detail", args=[customer.pk]))
    assert response.status_code == 403
    assert b"Ana" not in response.content


def test_a_superuser_with_the_integration_role_is_not_api_only(client):
    root = UserFactory(username="both", is_superuser=True, role=Role.INTEGRATION)
    client.force_login(root)
    assert client.get(reverse("customers:my_work")).status_code == 200


def test_an_integration_reads_the_surveys_it_invites_to(api_as, integration_user):
    survey = SurveyFactory(name="After chat")
    api = api_as(integration_user)
    response = api.get("/api/surveys/")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [survey.pk]
    assert api.get(f"/api/surveys/{survey.pk}/").status_code == 200
    assert api.patch(f"/api/surveys/{survey.pk}/", {"name": "Mine"}).status_code == 403
    assert api.delete(f"/api/surveys/{survey.pk}/").status_code == 403


# --------------------------------------------------------------------------- notes: their author's


@pytest.fixture
def other_rep(db):
    return UserFactory(username="rep2", role=Role.SUPPORT_REP)


@pytest.fixture
def reps_note(rep_user):
    return NoteFactory(author=rep_user, body="Prefers calls")


def test_a_rep_cannot_patch_another_reps_note(api_as, other_rep, reps_note):
    response = api_as(other_rep).patch(f"/api/notes/{reps_note.pk}/", {"body": "Prefers email"})
    assert response.status_code == 403
    reps_note.refresh_from_db()
    assert reps_note.body == "Prefers calls"


def test_an_integration_cannot_patch_a_reps_note(api_as, integration_user, reps_note):
    assert api_as(integration_user).patch(f"/api/notes/{reps_note.pk}/", {"body": "x"}).status_code == 403


def test_the_author_and_a_manager_change_a_note(api_as, rep_user, manager_user, reps_note):
    assert api_as(rep_user).patch(f"/api/notes/{reps_note.pk}/", {"body": "Calls after 5"}).status_code == 200
    assert api_as(manager_user).patch(f"/api/notes/{reps_note.pk}/", {"body": "Calls after 6"}).status_code == 200
    reps_note.refresh_from_db()
    assert (reps_note.body, reps_note.author) == ("Calls after 6", reps_note.author)


def test_other_reps_still_read_every_note(api_as, other_rep, reps_note):
    assert api_as(other_rep).get(f"/api/notes/{reps_note.pk}/").status_code == 200


def _admin_change(client, note, body):
    url = reverse("admin:customers_note_change", args=[note.pk])
    return client.post(url, {"customer": note.customer_id, "body": body})


def test_in_the_admin_a_rep_only_reads_another_reps_note(other_rep, reps_note):
    client = Client()
    client.force_login(other_rep)
    page = client.get(reverse("admin:customers_note_change", args=[reps_note.pk]))
    assert page.status_code == 200
    assert b'name="body"' not in page.content  # read-only
    assert _admin_change(client, reps_note, "Changed").status_code == 403
    reps_note.refresh_from_db()
    assert reps_note.body == "Prefers calls"


def test_in_the_admin_the_author_changes_the_note_and_cannot_reassign_it(rep_user, other_rep, reps_note):
    client = Client()
    client.force_login(rep_user)
    response = client.post(
        reverse("admin:customers_note_change", args=[reps_note.pk]),
        {"customer": reps_note.customer_id, "body": "Calls after 5", "author": other_rep.pk},
    )
    assert response.status_code == 302
    reps_note.refresh_from_db()
    assert (reps_note.body, reps_note.author) == ("Calls after 5", rep_user)


def test_a_note_added_in_the_admin_is_its_adders(rep_user, other_rep):
    customer = CustomerFactory()
    client = Client()
    client.force_login(rep_user)
    response = client.post(
        reverse("admin:customers_note_add"),
        {"customer": customer.pk, "body": "Met at the fair", "author": other_rep.pk},
    )
    assert response.status_code == 302
    assert Note.objects.get().author == rep_user


# --------------------------------------------------------------------------- the admin: settings, history, own records


@pytest.mark.parametrize("model", ["slapolicy", "lifecyclechange"])
def test_reps_only_read_sla_policies_and_lifecycle_history(rep_user, manager_user, model):
    for action in ("add", "change", "delete"):
        assert not rep_user.has_perm(f"customers.{action}_{model}")
    assert rep_user.has_perm(f"customers.view_{model}")
    assert manager_user.has_perm(f"customers.change_{model}")
    client = Client()
    client.force_login(rep_user)
    assert client.get(reverse(f"admin:customers_{model}_add")).status_code == 403


def test_a_rep_cannot_edit_sla_targets_from_the_list(rep_user):
    from customers.models import SlaPolicy

    policy = SlaPolicy.objects.first() or SlaPolicy.objects.create(
        priority="high", first_response_minutes=60, resolution_minutes=480
    )
    client = Client()
    client.force_login(rep_user)
    page = client.get(reverse("admin:customers_slapolicy_changelist"))
    assert page.status_code == 200
    assert b"form-0-first_response_minutes" not in page.content
    response = client.post(
        reverse("admin:customers_slapolicy_change", args=[policy.pk]),
        {"priority": policy.priority, "first_response_minutes": 1, "resolution_minutes": 2},
    )
    assert response.status_code == 403


def test_the_role_sync_takes_back_an_excluded_permission_granted_by_hand(rep_user):
    from django.contrib.auth.models import Group, Permission

    from cxcrm.roles import sync_role_permissions

    group = Group.objects.get(name=Role.SUPPORT_REP)
    group.permissions.add(Permission.objects.get(codename="change_slapolicy"))
    sync_role_permissions(group_model=Group, permission_model=Permission)
    assert not group.permissions.filter(codename="change_slapolicy").exists()


@pytest.fixture
def others_interaction(other_rep):
    from customers.tests.factories import InteractionFactory

    return InteractionFactory(agent=other_rep, summary="Their call")


def _post_interaction(client, interaction, summary):
    from django.forms.models import model_to_dict

    data = {k: v for k, v in model_to_dict(interaction).items() if v is not None}
    data.update(summary=summary, occurred_at_0=interaction.occurred_at.date(), occurred_at_1="10:00:00")
    data["metadata"] = "{}"
    return client.post(reverse("admin:customers_interaction_change", args=[interaction.pk]), data)


def test_in_the_admin_a_rep_cannot_change_another_agents_interaction(rep_user, others_interaction):
    client = Client()
    client.force_login(rep_user)
    assert _post_interaction(client, others_interaction, "Changed").status_code == 403
    others_interaction.refresh_from_db()
    assert others_interaction.summary == "Their call"
    delete = reverse("admin:customers_interaction_delete", args=[others_interaction.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403


def test_in_the_admin_a_manager_may_change_any_interaction(manager_user, others_interaction):
    client = Client()
    client.force_login(manager_user)
    page = client.get(reverse("admin:customers_interaction_change", args=[others_interaction.pk]))
    assert b'name="summary"' in page.content


def test_in_the_admin_a_rep_cannot_change_another_users_workspace_visit(rep_user, other_rep):
    from django.utils import timezone

    from customers.models import WorkspaceVisit

    visit = WorkspaceVisit.objects.create(user=other_rep, seen_at=timezone.now())
    client = Client()
    client.force_login(rep_user)
    url = reverse("admin:customers_workspacevisit_change", args=[visit.pk])
    assert b'name="seen_at' not in client.get(url).content
    assert client.post(url, {"user": rep_user.pk, "seen_at_0": "2020-01-01", "seen_at_1": "00:00"}).status_code == 403
    delete = reverse("admin:customers_workspacevisit_delete", args=[visit.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert WorkspaceVisit.objects.get(pk=visit.pk).user == other_rep


def test_in_the_admin_a_rep_changes_their_own_interaction(rep_user):
    from customers.tests.factories import InteractionFactory

    own = InteractionFactory(agent=rep_user, summary="My call")
    client = Client()
    client.force_login(rep_user)
    page = client.get(reverse("admin:customers_interaction_change", args=[own.pk]))
    assert b'name="summary"' in page.content
    assert b'name="agent"' not in page.content  # a rep cannot hand it to someone else
