"""Rule evaluation, suppression, fatigue, sending with claims and retries, reminders, expiry, merges."""

from datetime import UTC, time, timedelta
from unittest import mock

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from customers.choices import CaseStatus, Direction, IdentityKind, InteractionType
from customers.models import MergeRecord
from customers.tests.factories import CaseFactory, CustomerFactory, InteractionFactory
from feedback import services
from feedback.choices import DeliveryChannel, InvitationStatus, SuppressionReason, SurveyKind, TriggerEvent
from feedback.models import Invitation, InvitationMergeMove
from feedback.services import sending
from feedback.tests.factories import (
    InvitationFactory,
    SurveyFactory,
    SurveyRuleFactory,
    customer_with_email,
    customer_with_phone,
)

pytestmark = pytest.mark.django_db


def evaluate(interaction, **kwargs):
    return services.survey_rules_evaluate_interaction(interaction_id=interaction.pk, **kwargs)


# --------------------------------------------------------------------------- which events start surveys


def test_matching_live_interaction_schedules_an_invitation_after_the_delay():
    rule = SurveyRuleFactory(channel="chat", delay_minutes=120)
    customer = customer_with_email()
    interaction = InteractionFactory(customer=customer, channel="chat")

    [invitation] = evaluate(interaction)

    assert invitation.status == InvitationStatus.SCHEDULED
    assert invitation.source_key == f"interaction:{interaction.pk}"
    assert invitation.rule == rule
    assert invitation.scheduled_for == interaction.occurred_at + timedelta(minutes=120)
    assert invitation.expires_at == invitation.scheduled_for + timedelta(days=14)


@pytest.mark.parametrize(
    ("rule_fields", "interaction_fields", "matches"),
    [
        ({"channel": "chat"}, {"channel": "phone"}, False),
        ({"interaction_type": "call"}, {"type": "call"}, True),
        ({"interaction_type": "call"}, {"type": "message"}, False),
        ({"touchpoint_key": "checkout"}, {"touchpoint_key": "checkout"}, True),
        ({"touchpoint_key": "checkout"}, {"touchpoint_key": "delivery"}, False),
        ({"channel": "chat", "touchpoint_key": "checkout"}, {"channel": "chat", "touchpoint_key": "checkout"}, True),
        ({"active": False}, {}, False),
        ({"event": TriggerEvent.CASE_RESOLVED}, {}, False),
    ],
)
def test_rules_match_on_channel_type_and_touchpoint(rule_fields, interaction_fields, matches):
    SurveyRuleFactory(**rule_fields)
    interaction = InteractionFactory(customer=customer_with_email(), **interaction_fields)
    assert len(evaluate(interaction)) == (1 if matches else 0)


@pytest.mark.parametrize(
    "fields",
    [
        {"live": False},
        {"direction": Direction.SYSTEM},
        {"type": InteractionType.SURVEY_RESPONSE},
        {"occurred_at": timezone.now() - timedelta(days=8)},
    ],
    ids=["history", "system", "survey-response", "older-than-window"],
)
def test_history_system_responses_and_old_interactions_start_nothing(fields):
    SurveyRuleFactory()
    interaction = InteractionFactory(customer=customer_with_email(), **fields)
    assert evaluate(interaction) == []
    assert not Invitation.objects.exists()


def test_live_window_is_a_setting(settings):
    settings.SURVEY_LIVE_WINDOW_DAYS = 10
    SurveyRuleFactory()
    interaction = InteractionFactory(customer=customer_with_email(), occurred_at=timezone.now() - timedelta(days=8))
    assert len(evaluate(interaction)) == 1


def test_case_resolved_rule_invites_once_per_case_even_when_resolved_again():
    survey = SurveyFactory()
    SurveyRuleFactory(survey=survey, event=TriggerEvent.CASE_RESOLVED, channel="email")
    SurveyRuleFactory(event=TriggerEvent.CASE_RESOLVED, channel="phone")
    case = CaseFactory(customer=customer_with_email(), origin="email", status=CaseStatus.RESOLVED)
    case.resolved_at = timezone.now()
    case.save()

    [invitation] = services.survey_rules_evaluate_case(case_id=case.pk)
    assert (invitation.survey, invitation.case, invitation.source_key) == (survey, case, f"case:{case.pk}")
    # Reopened and resolved again: the same survey and case is the same invitation.
    assert services.survey_rules_evaluate_case(case_id=case.pk) == [invitation]
    assert Invitation.objects.count() == 1


def test_unresolved_or_long_ago_resolved_case_starts_nothing():
    SurveyRuleFactory(event=TriggerEvent.CASE_RESOLVED)
    open_case = CaseFactory(customer=customer_with_email())
    old = CaseFactory(customer=customer_with_email(), resolved_at=timezone.now() - timedelta(days=30))
    assert services.survey_rules_evaluate_case(case_id=open_case.pk) == []
    assert services.survey_rules_evaluate_case(case_id=old.pk) == []


def test_evaluating_the_same_interaction_twice_returns_the_same_invitation():
    SurveyRuleFactory()
    interaction = InteractionFactory(customer=customer_with_email())
    first = evaluate(interaction)
    assert evaluate(interaction) == first
    assert Invitation.objects.count() == 1


# --------------------------------------------------------------------------- suppression


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        (
            lambda rule, customer: customer.__class__.objects.filter(pk=customer.pk).update(survey_opt_out=True),
            "opt_out",
        ),
        (lambda rule, customer: customer.identities.all().delete(), "no_contact"),
        (
            lambda rule, customer: rule.survey.__class__.objects.filter(pk=rule.survey_id).update(active=False),
            "survey_inactive",
        ),
        (lambda rule, customer: rule.__class__.objects.filter(pk=rule.pk).update(sample_percent=0), "sampled_out"),
    ],
    ids=["opt-out", "missing-contact", "survey-inactive", "sampled-out"],
)
def test_customers_not_invited_are_recorded_with_the_reason(setup, reason):
    rule = SurveyRuleFactory()
    customer = customer_with_email()
    setup(rule, customer)
    rule.refresh_from_db()

    [invitation] = evaluate(InteractionFactory(customer=customer))

    assert invitation.status == InvitationStatus.SUPPRESSED
    assert invitation.suppression_reason == reason
    assert invitation.suppressed_at is not None


def test_sms_survey_needs_a_phone_and_link_survey_needs_nothing():
    sms_rule = SurveyRuleFactory(survey=SurveyFactory(delivery_channel=DeliveryChannel.SMS))
    customer = customer_with_email()
    [invitation] = evaluate(InteractionFactory(customer=customer))
    assert invitation.suppression_reason == SuppressionReason.NO_CONTACT

    sms_rule.survey.delivery_channel = DeliveryChannel.LINK
    sms_rule.survey.save()
    [link] = evaluate(InteractionFactory(customer=CustomerFactory()))
    assert link.status == InvitationStatus.SCHEDULED


def test_seeded_sampling_invites_about_the_rate_and_records_the_rest(settings):
    settings.SURVEY_SAMPLING_SEED = "test-seed"
    settings.SURVEY_FATIGUE_DAYS = 0
    SurveyRuleFactory(sample_percent=25)
    customer = customer_with_email()
    invitations = [evaluate(InteractionFactory(customer=customer))[0] for _ in range(120)]
    scheduled = sum(i.status == InvitationStatus.SCHEDULED for i in invitations)
    sampled_out = sum(i.suppression_reason == SuppressionReason.SAMPLED_OUT for i in invitations)
    assert scheduled + sampled_out == 120
    assert 15 <= scheduled <= 45


# --------------------------------------------------------------------------- fatigue


def test_fatigue_allows_one_invitation_per_customer_in_the_window_across_rules():
    SurveyRuleFactory(channel="chat")
    SurveyRuleFactory(channel="chat")
    customer = customer_with_email()

    invitations = evaluate(InteractionFactory(customer=customer, channel="chat"))

    # On the same event the second rule is outranked (overlap); on a later event both are fatigued.
    assert sorted(i.status for i in invitations) == ["scheduled", "suppressed"]
    assert [i.suppression_reason for i in invitations if i.status == "suppressed"] == ["overlap"]
    later = evaluate(InteractionFactory(customer=customer, channel="chat"))
    assert {i.suppression_reason for i in later} == {SuppressionReason.FATIGUE}


def test_fatigue_window_is_a_setting_and_ends(settings):
    settings.SURVEY_FATIGUE_DAYS = 30
    rule = SurveyRuleFactory()
    customer = customer_with_email()
    InvitationFactory(
        customer=customer, status=InvitationStatus.SENT, scheduled_for=timezone.now() - timedelta(days=31)
    )
    [invitation] = evaluate(InteractionFactory(customer=customer))
    assert invitation.status == InvitationStatus.SCHEDULED
    assert rule.survey.invitations.count() == 1


def test_suppressed_or_failed_invitations_do_not_count_for_fatigue():
    SurveyRuleFactory()
    customer = customer_with_email()
    InvitationFactory(customer=customer, status=InvitationStatus.SUPPRESSED, suppression_reason="sampled_out")
    InvitationFactory(customer=customer, status=InvitationStatus.FAILED)
    [invitation] = evaluate(InteractionFactory(customer=customer))
    assert invitation.status == InvitationStatus.SCHEDULED


# --------------------------------------------------------------------------- quiet hours


@pytest.mark.parametrize(
    ("zone", "expected_utc_hour"),
    [("America/Sao_Paulo", 11), ("Europe/Warsaw", 7), ("Asia/Tokyo", None)],
)
def test_quiet_hours_move_sending_to_the_next_allowed_time_in_the_customers_zone(zone, expected_utc_hour):
    # 02:30 UTC: 23:30 in São Paulo and 03:30 in Warsaw are quiet; 11:30 in Tokyo is not.
    event_at = timezone.now().replace(hour=2, minute=30, second=0, microsecond=0)
    rule = SurveyRuleFactory(quiet_start=time(21, 0), quiet_end=time(8, 0), delay_minutes=0)
    customer = customer_with_email(timezone=zone)
    interaction = InteractionFactory(customer=customer, occurred_at=event_at)

    invitation = services.invitation_schedule(
        rule=rule, customer_id=customer.pk, interaction_id=interaction.pk, event_at=event_at, now=event_at
    )

    if expected_utc_hour is None:
        assert invitation.scheduled_for == event_at
    else:
        assert invitation.scheduled_for.astimezone(UTC).hour == expected_utc_hour
        assert invitation.scheduled_for > event_at
        assert invitation.scheduled_for - event_at < timedelta(hours=24)


def test_unknown_customer_time_zone_falls_back_to_the_organisation_zone(settings):
    settings.TIME_ZONE = "UTC"
    event_at = timezone.now().replace(hour=23, minute=0, second=0, microsecond=0)
    rule = SurveyRuleFactory(quiet_start=time(21, 0), quiet_end=time(8, 0))
    customer = customer_with_email(timezone="Mars/Olympus")
    case = CaseFactory(customer=customer)
    invitation = services.invitation_schedule(
        rule=rule, customer_id=customer.pk, event_at=event_at, now=event_at, case_id=case.pk
    )
    assert invitation.scheduled_for == (event_at + timedelta(days=1)).replace(hour=8, minute=0)


# --------------------------------------------------------------------------- sending


@pytest.fixture
def due_email_invitation():
    customer = customer_with_email(first_name="Ana")
    return InvitationFactory(customer=customer)


def test_send_due_claims_sends_and_stamps(due_email_invitation):
    outcome = services.invitations_send_due()

    due_email_invitation.refresh_from_db()
    assert outcome == {"sent": 1}
    assert due_email_invitation.status == InvitationStatus.SENT
    assert due_email_invitation.sent_at is not None
    assert due_email_invitation.attempts == 1
    assert due_email_invitation.recipient == f"c{due_email_invitation.customer_id}@example.com"
    assert [m.to for m in mail.outbox] == [[due_email_invitation.recipient]]
    # A second run finds nothing to send.
    assert services.invitations_send_due() == {}
    assert len(mail.outbox) == 1


def test_send_due_leaves_future_invitations_and_works_in_batches():
    customer = customer_with_email()
    InvitationFactory(customer=customer, scheduled_for=timezone.now() + timedelta(hours=1))
    for _ in range(3):
        InvitationFactory(customer=customer_with_email())
    assert services.invitations_send_due(batch_size=2) == {"sent": 2}
    assert services.invitations_send_due(batch_size=2) == {"sent": 1}
    assert Invitation.objects.filter(status=InvitationStatus.SCHEDULED).count() == 1


def test_a_row_another_worker_claimed_is_not_sent(due_email_invitation):
    Invitation.objects.filter(pk=due_email_invitation.pk).update(
        status=InvitationStatus.SENDING, sending_at=timezone.now()
    )
    assert services.invitations_send_due() == {}
    assert mail.outbox == []


def test_failing_backend_is_retried_with_backoff_then_marked_failed(due_email_invitation, settings):
    settings.SURVEY_SEND_MAX_ATTEMPTS = 3
    settings.SURVEY_SEND_RETRY_BACKOFF_SECONDS = 60
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=OSError("SMTP down")):
        before = timezone.now()
        assert services.invitations_send_due() == {"scheduled": 1}
        due_email_invitation.refresh_from_db()
        assert due_email_invitation.status == InvitationStatus.SCHEDULED
        assert due_email_invitation.last_error == "OSError: SMTP down"
        assert due_email_invitation.scheduled_for >= before + timedelta(seconds=60)
        # Not due yet: nothing happens until the backoff passed.
        assert services.invitations_send_due() == {}
        later = due_email_invitation.scheduled_for + timedelta(seconds=1)
        assert services.invitations_send_due(now=later) == {"scheduled": 1}
        due_email_invitation.refresh_from_db()
        assert due_email_invitation.scheduled_for >= later + timedelta(seconds=120) - timedelta(seconds=5)
        assert services.invitations_send_due(now=due_email_invitation.scheduled_for) == {"failed": 1}
    due_email_invitation.refresh_from_db()
    assert due_email_invitation.status == InvitationStatus.FAILED
    assert due_email_invitation.attempts == 3
    assert due_email_invitation.failed_at is not None
    assert "SMTP down" in due_email_invitation.last_error


def test_an_expired_send_lease_is_handed_back_and_sent_once(due_email_invitation, settings):
    settings.SURVEY_SEND_LEASE_SECONDS = 60
    # A run claimed the row and its worker died before sending (nothing was recorded as sent).
    Invitation.objects.filter(pk=due_email_invitation.pk).update(
        status=InvitationStatus.SENDING,
        sending_at=timezone.now() - timedelta(seconds=90),
        lease_until=timezone.now() - timedelta(seconds=30),
        claim_token="dead-worker",
        attempts=1,
    )
    assert services.invitations_release_expired_claims() == 1
    assert services.invitations_send_due() == {"sent": 1}
    assert services.invitations_release_expired_claims() == 0
    assert services.invitations_send_due() == {}
    due_email_invitation.refresh_from_db()
    assert due_email_invitation.status == InvitationStatus.SENT
    assert due_email_invitation.attempts == 2
    assert due_email_invitation.message_id.startswith(f"<survey-invitation-{due_email_invitation.pk}@")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].extra_headers["Message-ID"] == due_email_invitation.message_id


def test_a_lease_still_running_is_not_handed_back(due_email_invitation, settings):
    settings.SURVEY_SEND_LEASE_SECONDS = 60
    Invitation.objects.filter(pk=due_email_invitation.pk).update(
        status=InvitationStatus.SENDING,
        sending_at=timezone.now(),
        lease_until=timezone.now() + timedelta(seconds=50),
        claim_token="live-worker",
        attempts=1,
    )
    assert services.invitations_release_expired_claims() == 0
    assert services.invitations_send_due() == {}
    assert mail.outbox == []


def test_a_run_whose_claim_was_handed_back_does_not_send(due_email_invitation):
    token = services.invitations_claim_due(now=timezone.now(), batch_size=10)
    [claimed] = list(sending._claimed(token))
    # Its lease expired and another run claimed the row meanwhile.
    Invitation.objects.filter(pk=claimed.pk).update(claim_token="another-run")
    assert sending._send_one(claimed, token=token, now=timezone.now()) is None
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"survey_opt_out": True}, SuppressionReason.OPT_OUT),
        ({"identities": True}, SuppressionReason.NO_CONTACT),
    ],
)
def test_send_time_checks_suppress_instead_of_sending(due_email_invitation, change, reason):
    customer = due_email_invitation.customer
    if "identities" in change:
        customer.identities.all().delete()
    else:
        customer.survey_opt_out = True
        customer.save()
    assert services.invitations_send_due() == {"suppressed": 1}
    due_email_invitation.refresh_from_db()
    assert (due_email_invitation.status, due_email_invitation.suppression_reason) == ("suppressed", reason)
    assert mail.outbox == []


def test_sms_invitation_goes_through_the_sms_backend(sms_outbox):
    survey = SurveyFactory(delivery_channel=DeliveryChannel.SMS)
    customer = customer_with_phone(language="es")
    invitation = InvitationFactory(survey=survey, customer=customer)

    assert services.invitations_send_due() == {"sent": 1}

    [message] = sms_outbox
    assert message.to == customer.identities.get(kind=IdentityKind.PHONE).value
    assert "cuéntenos cómo le fue" in message.body
    assert "https://cx.example.com/s/" in message.body
    invitation.refresh_from_db()
    assert invitation.language == "es"


def test_link_only_invitation_is_marked_sent_without_delivery():
    invitation = InvitationFactory(
        survey=SurveyFactory(delivery_channel=DeliveryChannel.LINK), customer=CustomerFactory()
    )
    assert services.invitations_send_due() == {"sent": 1}
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.SENT
    assert mail.outbox == []


# --------------------------------------------------------------------------- reminders and expiry


def sent_invitation(*, days_ago, survey=None, **kwargs):
    sent_at = timezone.now() - timedelta(days=days_ago)
    customer = customer_with_email()
    return InvitationFactory(
        survey=survey or SurveyFactory(reminder_after_days=3),
        customer=customer,
        status=InvitationStatus.SENT,
        recipient=f"c{customer.pk}@example.com",
        scheduled_for=sent_at,
        sent_at=sent_at,
        **kwargs,
    )


def test_reminder_goes_once_after_n_days_with_the_same_link():
    from feedback.tokens import survey_url

    survey = SurveyFactory(reminder_after_days=3)
    due = sent_invitation(days_ago=4, survey=survey)
    sent_invitation(days_ago=1, survey=survey)  # too early
    sent_invitation(days_ago=4, survey=survey, reminder_sent_at=timezone.now())  # already reminded
    sent_invitation(days_ago=4, survey=SurveyFactory())  # survey without reminder
    answered = sent_invitation(days_ago=4, survey=survey)
    Invitation.objects.filter(pk=answered.pk).update(status=InvitationStatus.RESPONDED)

    assert services.invitations_send_reminders() == 1
    assert services.invitations_send_reminders() == 0

    [message] = mail.outbox
    assert message.to == [due.recipient]
    assert message.subject.startswith("Reminder:")
    assert survey_url(due.pk) in message.body
    due.refresh_from_db()
    assert due.reminder_sent_at is not None


def test_a_failed_reminder_is_tried_again_after_a_backoff_then_given_up(settings):
    settings.SURVEY_SEND_MAX_ATTEMPTS = 3
    settings.SURVEY_SEND_RETRY_BACKOFF_SECONDS = 60
    invitation = sent_invitation(days_ago=4)
    now = timezone.now()

    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=OSError("SMTP down")):
        assert services.invitations_send_reminders(now=now) == 0
        invitation.refresh_from_db()
        # not marked as reminded; the error kept; not tried again before the backoff
        assert invitation.reminder_sent_at is None and invitation.reminder_attempts == 1
        assert invitation.last_error == "reminder: OSError: SMTP down"
        assert invitation.reminder_retry_at == now + timedelta(seconds=60)
        assert services.invitations_send_reminders(now=now + timedelta(seconds=59)) == 0
        assert Invitation.objects.get(pk=invitation.pk).reminder_attempts == 1
        assert services.invitations_send_reminders(now=now + timedelta(seconds=61)) == 0
        assert Invitation.objects.get(pk=invitation.pk).reminder_attempts == 2

    # the backend is back: the third try goes out, once
    later = now + timedelta(hours=1)
    assert services.invitations_send_reminders(now=later) == 1
    assert services.invitations_send_reminders(now=later + timedelta(hours=1)) == 0
    [message] = mail.outbox
    assert message.subject.startswith("Reminder:")
    invitation.refresh_from_db()
    assert invitation.reminder_sent_at == later and invitation.reminder_attempts == 3

    # a reminder that failed every try is given up, never sent late
    other = sent_invitation(days_ago=4)
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=OSError("SMTP down")):
        for hour in range(3):
            services.invitations_send_reminders(now=later + timedelta(hours=hour))
    assert services.invitations_send_reminders(now=later + timedelta(hours=5)) == 0
    other.refresh_from_db()
    assert other.reminder_attempts == 3 and other.reminder_sent_at is None
    assert len(mail.outbox) == 1


def test_expiry_marks_unanswered_invitations_past_their_date():
    past = timezone.now() - timedelta(minutes=1)
    stale = [sent_invitation(days_ago=20, expires_at=past) for _ in range(3)]
    opened = sent_invitation(days_ago=20, expires_at=past)
    Invitation.objects.filter(pk=opened.pk).update(status=InvitationStatus.OPENED)
    responded = sent_invitation(days_ago=20, expires_at=past)
    Invitation.objects.filter(pk=responded.pk).update(status=InvitationStatus.RESPONDED)
    fresh = sent_invitation(days_ago=1)

    assert services.invitations_expire(batch_size=2) == 4

    statuses = dict(Invitation.objects.values_list("pk", "status"))
    assert {statuses[i.pk] for i in stale} == {"expired"}
    assert statuses[opened.pk] == "expired"
    assert statuses[responded.pk] == "responded"
    assert statuses[fresh.pk] == "sent"
    assert Invitation.objects.filter(status="expired", expired_at__isnull=True).count() == 0


# --------------------------------------------------------------------------- link-only invitations


def test_link_invitation_is_created_once_per_survey_and_source():
    survey = SurveyFactory()
    customer = CustomerFactory()
    interaction = InteractionFactory(customer=customer)
    invitation, created = services.invitation_create_link(survey=survey, customer=customer, interaction=interaction)
    again, created_again = services.invitation_create_link(survey=survey, customer=customer, interaction=interaction)
    assert (created, created_again) == (True, False)
    assert again == invitation
    assert invitation.channel == DeliveryChannel.LINK
    assert invitation.status == InvitationStatus.SENT


def test_link_invitation_for_an_interaction_of_another_customer_is_refused():
    with pytest.raises(ValidationError) as error:
        services.invitation_create_link(
            survey=SurveyFactory(), customer=CustomerFactory(), interaction=InteractionFactory()
        )
    assert "interaction" in error.value.message_dict


# --------------------------------------------------------------------------- opt-out and merges


def test_opt_out_sets_the_flag_and_suppresses_scheduled_invitations(due_email_invitation):
    other = InvitationFactory(customer=due_email_invitation.customer, scheduled_for=timezone.now() + timedelta(days=1))
    assert services.customer_survey_opt_out(invitation=due_email_invitation) == 2
    due_email_invitation.customer.refresh_from_db()
    assert due_email_invitation.customer.survey_opt_out is True
    other.refresh_from_db()
    assert (other.status, other.suppression_reason) == ("suppressed", "opt_out")


def test_merge_moves_invitations_and_undo_moves_exactly_those_back():
    survivor, merged = CustomerFactory(), CustomerFactory()
    moved = [InvitationFactory(customer=merged) for _ in range(2)]
    own = InvitationFactory(customer=survivor)
    merge = MergeRecord.objects.create(survivor=survivor, merged=merged)

    assert services.invitations_move_on_merge(merge=merge) == 2
    assert services.invitations_move_on_merge(merge=merge) == 0  # a replay moves nothing
    assert set(survivor.survey_invitations.all()) == {*moved, own}
    assert InvitationMergeMove.objects.filter(merge=merge).count() == 2

    later = InvitationFactory(customer=survivor)  # created after the merge: stays
    assert services.invitations_move_back_on_undo(merge=merge) == 2
    assert services.invitations_move_back_on_undo(merge=merge) == 0  # idempotent
    assert set(merged.survey_invitations.all()) == set(moved)
    assert set(survivor.survey_invitations.all()) == {own, later}


def test_survey_create_requires_exactly_one_primary_for_standard_kinds():
    with pytest.raises(ValidationError) as error:
        services.survey_create(
            fields={"name": "NPS", "kind": SurveyKind.NPS},
            questions=[{"type": "score", "text": "Recommend?"}, {"type": "text", "text": "Why?"}],
            texts=[],
        )
    assert "questions" in error.value.message_dict
