import pytest
from django.core.exceptions import ValidationError

from customers.models import Customer, MergeSuggestion, Tag
from customers.selectors import customer_get
from customers.services import customer_merge, interaction_ingest, interaction_input_parse, merge_preview, merge_undo
from customers.signals import customers_merged, merge_undone
from customers.signals import merge_preview as merge_preview_signal
from customers.tests.factories import (
    CaseFactory,
    CustomerFactory,
    IdentityFactory,
    InteractionFactory,
    NoteFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair():
    survivor = CustomerFactory(first_name="Ana", last_name="", country="")
    other = CustomerFactory(first_name="Ana", last_name="Silva", country="BR", survey_opt_out=True)
    IdentityFactory(customer=survivor, value="ana@example.com")
    IdentityFactory(customer=other, value="ana.silva@example.com")
    IdentityFactory(customer=other, kind="phone", value="+5511912345678")
    InteractionFactory.create_batch(3, customer=other)
    InteractionFactory(customer=survivor)
    CaseFactory(customer=other)
    NoteFactory(customer=other)
    other.tags.add(Tag.objects.create(name="vip"))
    MergeSuggestion.objects.create(customer=survivor, other=other, reason="same person")
    return survivor, other


def snapshot(*customers):
    return {
        c.pk: (
            sorted(c.identities.values_list("pk", flat=True)),
            sorted(c.interactions.values_list("pk", flat=True)),
            sorted(c.cases.values_list("pk", flat=True)),
            sorted(c.notes.values_list("pk", flat=True)),
            sorted(c.tags.values_list("name", flat=True)),
            Customer.objects.values_list("last_name", "country", "survey_opt_out", "merged_into").get(pk=c.pk),
        )
        for c in customers
    }


OWN_LABELS = ("identities", "interactions", "cases", "notes", "lifecycle_changes")


def test_preview_lists_what_would_move_including_other_apps(pair):
    survivor, other = pair

    def receiver(sender, survivor, other, **kwargs):
        return {"loyalty cards": 2}

    merge_preview_signal.connect(receiver)
    try:
        preview = merge_preview(survivor=survivor, other=other)
    finally:
        merge_preview_signal.disconnect(receiver)
    # Installed apps (feedback) add their own labels; customers' own counts are exact.
    assert {k: v for k, v in preview.counts.items() if k in OWN_LABELS + ("loyalty cards",)} == {
        "identities": 2,
        "interactions": 3,
        "cases": 1,
        "notes": 1,
        "lifecycle_changes": 0,
        "loyalty cards": 2,
    }
    assert preview.tags == ["vip"]
    assert {i.value for i in preview.identities} == {"ana.silva@example.com", "+5511912345678"}
    assert set(preview.fields) >= {"last_name", "country", "survey_opt_out"}


def test_merge_moves_everything_and_undo_puts_it_back(pair, django_capture_on_commit_callbacks, rep_user):
    survivor, other = pair
    before = snapshot(survivor, other)
    events = []
    customers_merged.connect(on_merge := lambda sender, merge, **kw: events.append(("merged", sender, merge.pk)))
    merge_undone.connect(on_undo := lambda sender, merge, **kw: events.append(("undone", sender, merge.pk)))
    try:
        with django_capture_on_commit_callbacks(execute=True):
            record = customer_merge(survivor=survivor, other=other, user=rep_user)
        assert survivor.interactions.count() == 4 and survivor.identities.count() == 3
        assert other.interactions.count() == 0
        survivor.refresh_from_db()
        assert (survivor.last_name, survivor.country, survivor.survey_opt_out) == ("Silva", "BR", True)
        assert customer_get(other.pk) == survivor
        assert record.moved["identities"] and len(record.moved["interactions"]) == 3
        assert MergeSuggestion.objects.get().status == "merged"
        # a new interaction by a folded identity lands on the survivor
        data = interaction_input_parse(
            {
                "channel": "chat",
                "occurred_at": "2024-01-01T10:00:00Z",
                "summary": "Hi",
                "identities": [{"kind": "email", "value": "ana.silva@example.com"}],
            }
        )
        result = interaction_ingest(data=data)
        assert result.interaction.customer == survivor
        result.interaction.delete()

        with django_capture_on_commit_callbacks(execute=True):
            merge_undo(merge=record, user=rep_user)
        survivor.refresh_from_db()
        assert snapshot(survivor, other) == before
        assert MergeSuggestion.objects.get().status == "open"
        from customers.models import MergeRecord

        assert events == [("merged", MergeRecord, record.pk), ("undone", MergeRecord, record.pk)]
        with pytest.raises(ValidationError):
            merge_undo(merge=record)
    finally:
        customers_merged.disconnect(on_merge)
        merge_undone.disconnect(on_undo)


def test_undo_leaves_rows_added_after_the_merge_on_the_survivor(pair):
    survivor, other = pair
    record = customer_merge(survivor=survivor, other=other)
    later = InteractionFactory(customer=survivor)
    merge_undo(merge=record)
    later.refresh_from_db()
    assert later.customer == survivor


@pytest.mark.parametrize("case", ["self", "folded"])
def test_impossible_merges_are_rejected(pair, case):
    survivor, other = pair
    if case == "self":
        other = survivor
    else:
        customer_merge(survivor=survivor, other=other)
    with pytest.raises(ValidationError):
        customer_merge(survivor=survivor, other=other)
