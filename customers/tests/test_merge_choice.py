"""The merge preview suggests the survivor (more history), lets the rep swap and pick the merged customer's
lifecycle stage; a stage change by a merge is a lifecycle change that the undo takes back."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from customers.models import LifecycleChange
from customers.services import customer_merge, merge_preview, merge_stage_default, merge_undo

from .factories import CustomerFactory, IdentityFactory, InteractionFactory

pytestmark = pytest.mark.django_db


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


@pytest.fixture
def rep(client, rep_user):
    client.force_login(rep_user)
    return client


@pytest.fixture
def lead(db):
    """A Lead with one phone, named first in the suggestion."""
    customer = CustomerFactory(first_name="Rui", last_name="Lima", lifecycle_stage="lead")
    IdentityFactory(customer=customer, kind="phone", value="+5511955554444")
    return customer


@pytest.fixture
def active(db, rep_user):
    """An Active customer with 76 interactions: the richer record."""
    customer = CustomerFactory(first_name="Rui", last_name="Lima", lifecycle_stage="active", owner=rep_user)
    IdentityFactory(customer=customer, kind="email", value="rui@example.com")
    InteractionFactory.create_batch(76, customer=customer)
    return customer


@pytest.mark.parametrize(
    "survivor,other,expected",
    [
        ("lead", "active", "active"),
        ("lead", "prospect", "prospect"),
        ("prospect", "active", "active"),
        ("prospect", "lead", "prospect"),
        ("active", "lead", "active"),
        ("lead", "churned", "lead"),
        ("lead", "advocate", "lead"),
        ("at_risk", "active", "at_risk"),
        ("churned", "active", "churned"),
        ("lead", "lead", "lead"),
    ],
)
def test_default_stage_of_the_merged_customer(survivor, other, expected):
    assert merge_stage_default(survivor_stage=survivor, other_stage=other) == expected


def test_preview_suggests_the_customer_with_more_history(lead, active):
    preview = merge_preview(survivor=lead, other=active)
    assert preview.suggested_survivor_id == active.pk
    assert preview.survivor_counts["interactions"] == 0 and preview.counts["interactions"] == 76
    assert preview.lifecycle_stage == "active"
    assert merge_preview(survivor=active, other=lead).suggested_survivor_id == active.pk


def test_on_equal_history_the_customer_known_first_is_suggested():
    first, second = CustomerFactory(), CustomerFactory()
    assert merge_preview(survivor=second, other=first).suggested_survivor_id == first.pk


def test_a_lead_survivor_merged_with_an_active_customer_becomes_active_and_undo_takes_it_back(lead, active, rep_user):
    record = customer_merge(survivor=lead, other=active, user=rep_user)
    lead.refresh_from_db()
    assert lead.lifecycle_stage == "active"
    change = LifecycleChange.objects.filter(customer=lead).latest("changed_at", "id")
    assert (change.from_stage, change.to_stage, change.changed_by) == ("lead", "active", rep_user)
    assert record.moved["lifecycle_stage"] == {"old": "lead", "new": "active", "change_id": change.pk}

    merge_undo(merge=record, user=rep_user)
    lead.refresh_from_db()
    assert lead.lifecycle_stage == "lead"
    assert not LifecycleChange.objects.filter(pk=change.pk).exists()


def test_the_rep_picks_the_merged_stage(lead, active, rep_user):
    customer_merge(survivor=active, other=lead, user=rep_user, lifecycle_stage="at_risk")
    active.refresh_from_db()
    assert active.lifecycle_stage == "at_risk"
    assert LifecycleChange.objects.filter(customer=active, to_stage="at_risk").count() == 1


def test_the_survivors_stage_kept_records_no_change(lead, active, rep_user):
    before = LifecycleChange.objects.count()
    record = customer_merge(survivor=active, other=lead, user=rep_user)
    active.refresh_from_db()
    assert active.lifecycle_stage == "active" and "lifecycle_stage" not in record.moved
    assert LifecycleChange.objects.count() == before


def test_undo_leaves_a_stage_changed_since_the_merge(lead, active, rep_user):
    from customers.services import lifecycle_stage_set

    record = customer_merge(survivor=lead, other=active, user=rep_user)
    lead.refresh_from_db()
    lifecycle_stage_set(customer=lead, stage="advocate", user=rep_user)
    merge_undo(merge=record, user=rep_user)
    lead.refresh_from_db()
    assert lead.lifecycle_stage == "advocate"


def test_an_unknown_stage_is_refused_and_nothing_merges(lead, active):
    with pytest.raises(ValidationError) as error:
        customer_merge(survivor=lead, other=active, lifecycle_stage="vip")
    assert "lifecycle_stage" in error.value.message_dict
    active.refresh_from_db()
    assert active.merged_into_id is None


# --------------------------------------------------------------------------- the page


def test_preview_opens_with_the_richer_record_as_survivor_and_shows_both_sides(rep, lead, active, rep_user):
    url = reverse("customers:merge_preview", args=[lead.pk, active.pk])
    response = rep.get(url, {"suggestion": "7"}, follow=True)
    path, _status = response.redirect_chain[-1]
    assert path.startswith(reverse("customers:merge_preview", args=[active.pk, lead.pk]))
    assert "chosen=suggested" in path and "suggestion=7" in path
    html = response.content.decode()
    survivor = html.split('data-testid="survivor"')[1].split("</section>")[0]
    other = html.split('data-testid="other"')[1].split("</section>")[0]
    assert "Suggested: more history" in survivor and "Suggested" not in other
    assert re.search(r'data-testid="stage">Active<', survivor) and re.search(r'data-testid="stage">Lead<', other)
    assert rep_user.get_full_name() in survivor and 'data-testid="owner">—<' in other
    assert 'data-count="interactions">76<' in survivor and 'data-count="identities">1<' in other
    assert re.search(r'<option value="active" selected>', html)


def test_rep_swaps_keeps_the_lead_and_picks_the_stage(rep, lead, active):
    preview = rep.get(reverse("customers:merge_preview", args=[active.pk, lead.pk]), {"chosen": "suggested"})
    swap = preview.context["swap_url"]
    assert swap.startswith(reverse("customers:merge_preview", args=[lead.pk, active.pk])) and "chosen=rep" in swap
    swapped = rep.get(swap)
    assert swapped.status_code == 200 and swapped.context["survivor"] == lead
    assert re.search(r'<option value="active" selected>', swapped.content.decode())
    response = rep.post(
        reverse("customers:merge_preview", args=[lead.pk, active.pk]), {"lifecycle_stage": "prospect"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("customers:customer_detail", args=[lead.pk])
    lead.refresh_from_db()
    active.refresh_from_db()
    assert (lead.lifecycle_stage, active.merged_into_id) == ("prospect", lead.pk)


def test_preview_names_a_nameless_customer_once(rep):
    named = CustomerFactory(first_name="Ana", last_name="")
    nameless = CustomerFactory(first_name="", last_name="")
    text = text_of(rep.get(reverse("customers:merge_preview", args=[named.pk, nameless.pk])))
    assert f"Customer #{nameless.pk} will be folded into #{named.pk} Ana" in text
    assert f"#{nameless.pk} Customer #{nameless.pk}" not in text


# --------------------------------------------------------------------------- API


def test_api_preview_and_merge_with_a_stage(api_as, rep_user, lead, active):
    client = api_as(rep_user)
    body = client.get(f"/api/customers/{lead.pk}/merge-preview/", {"other": active.pk}).json()
    assert (body["suggested_survivor_id"], body["lifecycle_stage"]) == (active.pk, "active")
    assert body["survivor_counts"]["interactions"] == 0
    assert (
        client.post(f"/api/customers/{active.pk}/merge/", {"other": lead.pk, "lifecycle_stage": "vip"}).status_code
        == 400
    )
    response = client.post(f"/api/customers/{active.pk}/merge/", {"other": lead.pk, "lifecycle_stage": "advocate"})
    assert response.status_code == 200
    active.refresh_from_db()
    assert active.lifecycle_stage == "advocate"
