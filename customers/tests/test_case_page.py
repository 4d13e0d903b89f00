"""The case page a helpdesk user expects: its thread, replies and calls logged on it, changes with a reason,
and the history of every change (also on the customer's timeline and in the API)."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from customers.choices import CaseStatus, Direction, InteractionType
from customers.models import CaseChange, Interaction
from customers.services import case_status_set, case_update
from customers.timeline import customer_timeline
from cxcrm.choices import Role
from cxcrm.tests.factories import UserFactory

from .factories import CaseFactory, CustomerFactory, InteractionFactory

pytestmark = pytest.mark.django_db


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


@pytest.fixture
def rep(client, rep_user):
    client.force_login(rep_user)
    return client


@pytest.fixture
def case(rep_user):
    customer = CustomerFactory(first_name="Ana", last_name="Silva")
    return CaseFactory(customer=customer, subject="Parcel never arrived", assignee=rep_user)


def _update(rep, case, **fields):
    data = {
        "update-subject": case.subject,
        "update-topic": case.topic,
        "update-description": case.description,
        "update-priority": case.priority,
        "update-assignee": case.assignee_id or "",
        "update-status": case.status,
        "update-resolution_note": "",
    }
    data.update({f"update-{name}": value for name, value in fields.items()})
    return rep.post(reverse("customers:case_detail", args=[case.pk]), data, follow=True)


# --------------------------------------------------------------------------- service: the history


def test_case_update_records_each_change_with_who_when_and_reason(case, rep_user):
    other = UserFactory(username="bea", first_name="Bea", last_name="Costa", role=Role.SUPPORT_REP)
    case_update(case=case, user=rep_user, status="resolved", priority="high", assignee=other, reason="Parcel resent")
    changes = {c.field: c for c in CaseChange.objects.filter(case=case)}
    assert set(changes) == {"status", "priority", "assignee"}
    assert (changes["status"].from_label, changes["status"].to_label) == ("Open", "Resolved")
    assert (changes["status"].from_value, changes["status"].to_value) == ("open", "resolved")
    assert (changes["priority"].from_label, changes["priority"].to_label) == ("Normal", "High")
    assert (changes["assignee"].from_value, changes["assignee"].to_value) == (str(rep_user.pk), str(other.pk))
    assert changes["assignee"].to_label == "Bea Costa"
    assert all(c.reason == "Parcel resent" and c.changed_by == rep_user for c in changes.values())


def test_resolving_a_case_adds_a_case_resolved_entry_to_the_customer_timeline(case, rep_user):
    case_update(case=case, user=rep_user, status="resolved", reason="Parcel resent")
    entry = customer_timeline(case.customer).results[0]
    assert (entry.type, entry.direction, entry.case_id) == (InteractionType.CASE_UPDATE, Direction.SYSTEM, case.pk)
    assert entry.summary == "Case resolved: Parcel never arrived"
    assert (entry.body, entry.agent, entry.live) == ("Parcel resent", rep_user, False)


def test_reopening_and_other_changes_are_named_on_the_timeline(case, rep_user):
    case_status_set(case=case, status="resolved", user=rep_user)
    case_update(case=case, user=rep_user, status="open", priority="urgent")
    entry = customer_timeline(case.customer).results[0]
    assert entry.summary == "Case reopened: Parcel never arrived (priority Normal → Urgent)"
    case_update(case=case, user=rep_user, topic="delivery")
    assert customer_timeline(case.customer).results[0].summary == f"Case #{case.pk} changed: topic billing → delivery"


def test_the_timeline_line_names_the_changed_field_in_english_whatever_the_users_language(case, rep_user):
    """The line is stored once, in the language of the rest of it: a Portuguese-speaking rep's change too."""
    with translation.override("pt-br"):
        case_update(case=case, user=rep_user, topic="delivery")
    assert customer_timeline(case.customer).results[0].summary == f"Case #{case.pk} changed: topic billing → delivery"


def test_nothing_changed_records_nothing(case, rep_user):
    case_update(case=case, user=rep_user, status="open", priority="normal", subject="Parcel never arrived")
    assert not CaseChange.objects.exists()
    assert not Interaction.objects.exists()


def test_a_case_change_does_not_count_as_a_contact_or_a_first_response(case, rep_user):
    case.customer.refresh_from_db()
    last_contact = case.customer.last_contact_at
    case_update(case=case, user=rep_user, priority="high")
    case.refresh_from_db()
    case.customer.refresh_from_db()
    assert case.first_response_at is None
    assert case.customer.last_contact_at == last_contact


def test_a_too_long_reason_is_refused_and_nothing_is_written(case, rep_user):
    with pytest.raises(Exception) as error:
        case_update(case=case, user=rep_user, status="resolved", reason="x" * 2001)
    assert "reason" in error.value.message_dict
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN and not CaseChange.objects.exists()


# --------------------------------------------------------------------------- the page


def test_case_page_shows_the_thread_oldest_first_without_system_entries(rep, case):
    now = timezone.now()
    InteractionFactory(
        customer=case.customer, case=case, summary="Where is my parcel?", occurred_at=now - timedelta(hours=2)
    )
    InteractionFactory(
        customer=case.customer,
        case=case,
        summary="We are checking",
        direction=Direction.OUTBOUND,
        occurred_at=now - timedelta(hours=1),
    )
    case_update(case=case, priority="high")
    page = rep.get(reverse("customers:case_detail", args=[case.pk]))
    assert [i.summary for i in page.context["thread"]] == ["Where is my parcel?", "We are checking"]
    text = text_of(page)
    assert text.index("Where is my parcel?") < text.index("We are checking")


def test_rep_changes_status_with_a_reason_and_sees_it_in_the_history(rep, rep_user, case):
    response = _update(rep, case, status="resolved", reason="Refunded the shipping")
    assert f"Case #{case.pk} saved (resolved)." in text_of(response)
    history = response.context["history"]
    assert [(c.field, c.from_label, c.to_label, c.reason, c.changed_by) for c in history] == [
        ("status", "Open", "Resolved", "Refunded the shipping", rep_user)
    ]
    assert re.search(r"Status ?: Open → Resolved", text_of(response))
    assert "Refunded the shipping" in text_of(response)
    entry = Interaction.objects.get(type=InteractionType.CASE_UPDATE)
    assert entry.summary == "Case resolved: Parcel never arrived"


def test_rep_logs_a_reply_which_is_the_first_response(rep, rep_user, case):
    response = rep.post(
        reverse("customers:case_reply", args=[case.pk]),
        {"reply-kind": "reply", "reply-channel": "email", "reply-body": "We resent your parcel.\nTracking: AB12"},
        follow=True,
    )
    item = Interaction.objects.get(case=case)
    assert (item.direction, item.type, item.agent, item.customer_id) == (
        Direction.OUTBOUND,
        InteractionType.MESSAGE,
        rep_user,
        case.customer_id,
    )
    assert item.summary == "We resent your parcel."
    case.refresh_from_db()
    assert case.first_response_at == item.occurred_at
    assert "We resent your parcel." in text_of(response)
    assert [i.pk for i in response.context["thread"]] == [item.pk]


def test_rep_logs_a_call_on_the_case(rep, case):
    rep.post(
        reverse("customers:case_reply", args=[case.pk]),
        {
            "reply-kind": "call",
            "reply-channel": "phone",
            "reply-summary": "Called back",
            "reply-body": "Left a voicemail",
        },
    )
    item = Interaction.objects.get(case=case)
    assert (item.type, item.channel, item.summary, item.body) == ("call", "phone", "Called back", "Left a voicemail")


def test_a_customer_message_logged_is_no_first_response(rep, case):
    rep.post(
        reverse("customers:case_reply", args=[case.pk]),
        {"reply-kind": "inbound", "reply-channel": "email", "reply-body": "Still nothing"},
    )
    case.refresh_from_db()
    assert Interaction.objects.get(case=case).direction == Direction.INBOUND
    assert case.first_response_at is None


def test_an_empty_reply_is_refused_on_the_field(rep, case):
    response = rep.post(
        reverse("customers:case_reply", args=[case.pk]),
        {"reply-kind": "reply", "reply-channel": "email", "reply-body": "   ", "reply-summary": "kept"},
    )
    assert response.status_code == 200
    assert response.context["reply_form"].errors["body"]
    assert 'value="kept"' in response.content.decode()
    assert not Interaction.objects.exists()


def test_marketer_cannot_reply_on_a_case(client, marketer_user, case):
    client.force_login(marketer_user)
    response = client.post(
        reverse("customers:case_reply", args=[case.pk]),
        {"reply-kind": "reply", "reply-channel": "email", "reply-body": "Hi"},
    )
    assert response.status_code == 403
    assert not Interaction.objects.exists()


def test_case_page_query_count_does_not_grow_with_thread_and_history(rep, case, django_assert_max_num_queries):
    for n in range(30):
        InteractionFactory(customer=case.customer, case=case, summary=f"Message {n}", agent=case.assignee)
    for priority in ("high", "low", "urgent", "normal") * 5:
        case_update(case=case, priority=priority, user=case.assignee, reason="shuffling")
    with django_assert_max_num_queries(22):
        page = rep.get(reverse("customers:case_detail", args=[case.pk]))
    assert len(page.context["history"]) == 20 and len(page.context["thread"]) == 30


# --------------------------------------------------------------------------- API


def test_api_patch_takes_a_reason_and_history_lists_the_changes(api_as, rep_user, case):
    client = api_as(rep_user)
    response = client.patch(f"/api/cases/{case.pk}/", {"status": "pending", "reason": "Waiting for the courier"})
    assert response.status_code == 200, response.content
    assert "reason" not in response.json()
    response = client.get(f"/api/cases/{case.pk}/history/")
    assert response.status_code == 200
    assert response.json() == [
        {
            "id": CaseChange.objects.get().pk,
            "field": "status",
            "from_value": "open",
            "to_value": "pending",
            "from_label": "Open",
            "to_label": "Pending",
            "reason": "Waiting for the courier",
            "changed_by": rep_user.pk,
            "changed_at": response.json()[0]["changed_at"],
        }
    ]


def test_api_history_of_unknown_case_is_404(api_as, rep_user):
    assert api_as(rep_user).get("/api/cases/999999/history/").status_code == 404


def test_api_history_is_refused_to_marketers(api_as, marketer_user, case):
    assert api_as(marketer_user).get(f"/api/cases/{case.pk}/history/").status_code == 403
