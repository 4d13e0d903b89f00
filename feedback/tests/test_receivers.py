"""customers' merge events move invitations to the survivor and back; the merge preview counts them."""

import pytest

from customers.services import customer_merge, merge_preview, merge_undo
from customers.tests.factories import CustomerFactory
from feedback.models import InvitationMergeMove
from feedback.tests.factories import InvitationFactory

pytestmark = pytest.mark.django_db


def test_merge_moves_invitations_and_undo_moves_them_back(django_capture_on_commit_callbacks):
    survivor, other = CustomerFactory(), CustomerFactory()
    theirs = InvitationFactory.create_batch(2, customer=other)
    own = InvitationFactory(customer=survivor)

    assert merge_preview(survivor=survivor, other=other).counts["survey invitations"] == 2
    with django_capture_on_commit_callbacks(execute=True):
        merge = customer_merge(survivor=survivor, other=other)
    assert set(survivor.survey_invitations.all()) == {*theirs, own}
    assert InvitationMergeMove.objects.filter(merge=merge).count() == 2

    with django_capture_on_commit_callbacks(execute=True):
        merge_undo(merge=merge)
    assert set(other.survey_invitations.all()) == set(theirs)
    assert list(survivor.survey_invitations.all()) == [own]
    assert not InvitationMergeMove.objects.filter(merge=merge, undone_at__isnull=True).exists()


def test_merge_preview_counts_the_other_customers_invitations():
    from feedback.receivers import on_merge_preview

    survivor, other = CustomerFactory(), CustomerFactory()
    InvitationFactory.create_batch(3, customer=other)
    InvitationFactory(customer=survivor)
    assert on_merge_preview(sender=None, survivor=survivor, other=other) == {
        "survey invitations": 3,
        "survey responses": 0,
    }
