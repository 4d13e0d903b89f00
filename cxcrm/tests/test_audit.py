"""The audit log: who did what, when, to which object, from which address; read-only and filterable in
the admin. Events for merges and undos, exports, role and permission changes, API tokens, login
lockouts and survey sends (erasures: customers/tests/test_gdpr_erasure.py)."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from customers.tests.factories import CustomerFactory
from cxcrm.audit import audit_record
from cxcrm.choices import Role
from cxcrm.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db

ADDR = "203.0.113.9"


def events(action):
    return list(AuditEvent.objects.filter(action=action))


@pytest.fixture
def fresh_log():
    """An empty log once the users are made (making them gives their roles, which is recorded)."""
    AuditEvent.objects.all().delete()


def test_a_login_lockout_is_recorded_with_the_address_and_the_name_tried(rep_user, settings):
    client = Client(REMOTE_ADDR=ADDR)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "rep", "password": "wrong"})
    [event] = events(AuditAction.LOGIN_LOCKOUT)
    assert (event.actor, event.ip_address, event.details) == (None, ADDR, {"username": "rep"})


def test_a_role_given_in_the_admin_is_recorded_with_who_and_from_where(superuser, marketer_user, fresh_log):
    admin = Client(REMOTE_ADDR=ADDR)
    admin.force_login(superuser)
    change = reverse("admin:auth_user_change", args=[marketer_user.pk])
    form = admin.get(change).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k not in ("password", "last_login")}
    manager_group = Group.objects.get(name=Role.MANAGER)
    data.update(
        groups=[g.pk for g in marketer_user.groups.all()] + [manager_group.pk],
        user_permissions=[],
        date_joined_0="2026-01-01",
        date_joined_1="00:00:00",
    )
    assert admin.post(change, data).status_code == 302

    [event] = events(AuditAction.ROLE_CHANGE)
    assert (event.actor, event.actor_label, event.ip_address) == (superuser, "root", ADDR)
    assert (event.object_type, event.object_id) == ("auth.user", str(marketer_user.pk))
    assert event.details == {"added": [Role.MANAGER]}


def test_permission_changes_of_users_and_groups_are_recorded(marketer_user, fresh_log):
    permission = Permission.objects.get(codename="export_customer_rows")
    marketer_user.user_permissions.add(permission)
    group = Group.objects.get(name=Role.MARKETER)
    group.permissions.add(permission)
    recorded = [(e.object_type, e.object_id, e.details) for e in events(AuditAction.PERMISSION_CHANGE)]
    assert recorded == [
        ("auth.group", str(group.pk), {"added": [str(permission)]}),
        ("auth.user", str(marketer_user.pk), {"added": [str(permission)]}),
    ]


def test_token_creation_and_revocation_are_recorded_without_the_key(integration_user, fresh_log):
    token = Token.objects.create(user=integration_user)
    key = token.key
    token.delete()
    created, revoked = events(AuditAction.TOKEN_CREATED), events(AuditAction.TOKEN_REVOKED)
    assert [(e.object_id) for e in created + revoked] == [str(integration_user.pk)] * 2
    assert key not in str([(e.details, e.object_id, e.object_type) for e in created + revoked])


def test_every_export_is_recorded(manager_user):
    client = Client(REMOTE_ADDR=ADDR)
    client.force_login(manager_user)
    response = client.get(reverse("customers:case_export"))
    assert response.status_code == 200
    [event] = events(AuditAction.EXPORT)
    assert (event.actor, event.ip_address) == (manager_user, ADDR)
    assert event.details["file"].endswith(".csv")


def test_a_merge_and_its_undo_are_recorded(api_as, rep_user):
    survivor, other = CustomerFactory(), CustomerFactory()
    api = api_as(rep_user)
    merge_id = api.post(f"/api/customers/{survivor.pk}/merge/", {"other": other.pk}).json()["merge_id"]
    assert api.post(f"/api/merges/{merge_id}/undo/").status_code == 200
    [merged], [undone] = events(AuditAction.MERGE), events(AuditAction.MERGE_UNDO)
    for event in (merged, undone):
        assert (event.actor, event.object_type, event.object_id) == (rep_user, "customers.customer", str(survivor.pk))
        assert event.details == {"merge": merge_id, "survivor": survivor.pk, "merged": other.pk}


def test_each_survey_sent_is_recorded_by_the_system_without_the_address(rf, manager_user):
    from django.core import mail

    from cxcrm.audit import AuditRequestMiddleware
    from feedback.services import invitations_send_due
    from feedback.tests.factories import InvitationFactory, customer_with_email

    invitations = [InvitationFactory(customer=customer_with_email()) for _ in range(2)]
    # Even when a request is being served, a send is the system's doing.
    request = rf.get("/", REMOTE_ADDR=ADDR)
    request.user = manager_user
    AuditRequestMiddleware(lambda r: invitations_send_due())(request)

    assert len(mail.outbox) == 2
    sent = sorted(events(AuditAction.SURVEY_SENT), key=lambda e: int(e.object_id))
    assert [(e.object_type, e.object_id) for e in sent] == [("feedback.invitation", str(i.pk)) for i in invitations]
    for event, invitation in zip(sent, invitations, strict=True):
        assert (event.actor, event.actor_label, event.ip_address) == (None, "", None)
        assert event.details == {"survey": invitation.survey_id, "channel": "email"}
    assert "@" not in str([e.details for e in sent])


def test_every_audit_action_is_written_by_some_code():
    """Each action of the vocabulary has a writer outside the tests (a reserved action nobody writes fails)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    sources = "".join(
        path.read_text()
        for app in (p.parent for p in root.glob("*/apps.py"))
        for path in app.rglob("*.py")
        if "tests" not in path.parts and "migrations" not in path.parts
    )
    unwritten = [action.name for action in AuditAction if f"AuditAction.{action.name}" not in sources]
    assert unwritten == []


def test_an_unknown_action_is_refused():
    with pytest.raises(ValueError):
        audit_record(action="coffee")


def test_the_audit_log_is_read_only_and_filterable_in_the_admin(superuser, manager_user, rep_user):
    audit_record(action=AuditAction.EXPORT, details={"file": "a.csv"})
    audit_record(action=AuditAction.MERGE, object_type="customers.customer", object_id=7)
    changelist = reverse("admin:cxcrm_auditevent_changelist")
    root = Client()
    root.force_login(superuser)
    page = root.get(changelist, {"action__exact": "export"})
    assert page.status_code == 200
    assert [e.action for e in page.context["cl"].result_list] == ["export"]
    assert root.get(reverse("admin:cxcrm_auditevent_add")).status_code == 403
    event = AuditEvent.objects.first()
    assert b'name="action"' not in root.get(reverse("admin:cxcrm_auditevent_change", args=[event.pk])).content
    assert root.post(reverse("admin:cxcrm_auditevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403

    manager = Client()
    manager.force_login(manager_user)
    assert manager.get(changelist).status_code == 200
    rep = Client()
    rep.force_login(rep_user)
    assert rep.get(changelist).status_code == 403
