"""Survey rule precedence: priority, then specificity; outranked rules record `overlap`; the admin's
overlap warning and a rule's 30-day activity."""

import re
from datetime import time, timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from customers.choices import CaseStatus
from customers.tests.factories import CaseFactory, CustomerFactory, InteractionFactory
from feedback import services
from feedback.choices import InvitationStatus, SuppressionReason, TriggerEvent
from feedback.models import Invitation, SurveyRule
from feedback.selectors import survey_rule_activity
from feedback.tests.factories import SurveyFactory, SurveyRuleFactory, customer_with_email

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_and_specific_rules():
    """The demo's general rule ("any chat", 30 min) and a newer, specific one (chat + one touchpoint,
    no delay, 100 %), each for its own survey."""
    general = SurveyRuleFactory(name="Any chat", channel="chat", delay_minutes=30, sample_percent=100)
    specific = SurveyRuleFactory(
        name="Checkout chat", channel="chat", touchpoint_key="checkout", delay_minutes=0, sample_percent=100
    )
    return general, specific


def by_rule(invitations):
    return {i.rule.name: i for i in invitations}


def test_the_specific_rule_invites_and_the_general_one_records_overlap(demo_and_specific_rules):
    interaction = InteractionFactory(customer=customer_with_email(), channel="chat", touchpoint_key="checkout")

    invitations = by_rule(
        services.survey_rules_evaluate_interaction(interaction_id=interaction.pk, now=interaction.occurred_at)
    )

    assert invitations["Checkout chat"].status == InvitationStatus.SCHEDULED
    assert invitations["Checkout chat"].scheduled_for == interaction.occurred_at
    assert invitations["Any chat"].status == InvitationStatus.SUPPRESSED
    assert invitations["Any chat"].suppression_reason == SuppressionReason.OVERLAP
    assert Invitation.objects.filter(suppression_reason=SuppressionReason.FATIGUE).count() == 0


def test_an_event_only_the_general_rule_matches_is_still_invited_by_it(demo_and_specific_rules):
    interaction = InteractionFactory(customer=customer_with_email(), channel="chat", touchpoint_key="returns")

    [invitation] = services.survey_rules_evaluate_interaction(interaction_id=interaction.pk)

    assert (invitation.rule.name, invitation.status) == ("Any chat", InvitationStatus.SCHEDULED)


def test_a_lower_priority_number_goes_before_a_more_specific_rule(demo_and_specific_rules):
    general, _specific = demo_and_specific_rules
    general.priority = 10
    general.save()
    interaction = InteractionFactory(customer=customer_with_email(), channel="chat", touchpoint_key="checkout")

    invitations = by_rule(services.survey_rules_evaluate_interaction(interaction_id=interaction.pk))

    assert invitations["Any chat"].status == InvitationStatus.SCHEDULED
    assert invitations["Checkout chat"].suppression_reason == SuppressionReason.OVERLAP


def test_a_higher_rule_that_does_not_invite_leaves_the_event_to_the_next(demo_and_specific_rules):
    _general, specific = demo_and_specific_rules
    specific.sample_percent = 0
    specific.save()
    interaction = InteractionFactory(customer=customer_with_email(), channel="chat", touchpoint_key="checkout")

    invitations = by_rule(services.survey_rules_evaluate_interaction(interaction_id=interaction.pk))

    assert invitations["Checkout chat"].suppression_reason == SuppressionReason.SAMPLED_OUT
    assert invitations["Any chat"].status == InvitationStatus.SCHEDULED


def test_a_later_event_within_the_fatigue_window_is_still_fatigue(demo_and_specific_rules):
    customer = customer_with_email()
    first = InteractionFactory(customer=customer, channel="chat", touchpoint_key="checkout")
    services.survey_rules_evaluate_interaction(interaction_id=first.pk)
    second = InteractionFactory(customer=customer, channel="chat", touchpoint_key="checkout")

    invitations = by_rule(services.survey_rules_evaluate_interaction(interaction_id=second.pk))

    assert invitations["Checkout chat"].suppression_reason == SuppressionReason.FATIGUE
    assert invitations["Any chat"].suppression_reason == SuppressionReason.OVERLAP or (
        invitations["Any chat"].suppression_reason == SuppressionReason.FATIGUE
    )


def test_precedence_ranks_priority_then_touchpoint_then_channel_then_any():
    survey = SurveyFactory()
    rules = [
        SurveyRule(pk=1, survey=survey, name="any", priority=100),
        SurveyRule(pk=2, survey=survey, name="channel", channel="chat", priority=100),
        SurveyRule(pk=3, survey=survey, name="touchpoint", touchpoint_key="checkout", priority=100),
        SurveyRule(pk=4, survey=survey, name="urgent any", priority=1),
        SurveyRule(pk=5, survey=survey, name="both", channel="chat", touchpoint_key="checkout", priority=100),
    ]
    assert [r.name for r in sorted(rules, key=SurveyRule.precedence_key)] == [
        "urgent any",
        "both",
        "touchpoint",
        "channel",
        "any",
    ]


def test_the_batch_decides_as_one_event_after_the_other(demo_and_specific_rules):
    customers = [customer_with_email() for _ in range(3)]
    interactions = [InteractionFactory(customer=c, channel="chat", touchpoint_key="checkout") for c in customers]

    services.survey_rules_evaluate_interactions(interaction_ids=[i.pk for i in interactions])

    rows = set(Invitation.objects.values_list("rule__name", "status", "suppression_reason"))
    assert rows == {("Checkout chat", "scheduled", ""), ("Any chat", "suppressed", "overlap")}


def test_rules_of_the_same_survey_make_one_invitation_by_the_first_in_precedence():
    survey = SurveyFactory()
    SurveyRuleFactory(survey=survey, name="Any chat", channel="chat", delay_minutes=30)
    SurveyRuleFactory(survey=survey, name="Checkout chat", channel="chat", touchpoint_key="checkout")
    interaction = InteractionFactory(customer=customer_with_email(), channel="chat", touchpoint_key="checkout")

    services.survey_rules_evaluate_interaction(interaction_id=interaction.pk)

    [invitation] = Invitation.objects.all()
    assert (invitation.rule.name, invitation.status) == ("Checkout chat", InvitationStatus.SCHEDULED)


def test_case_rules_follow_the_same_precedence():
    any_origin = SurveyRuleFactory(name="Any case", event=TriggerEvent.CASE_RESOLVED)
    SurveyRuleFactory(name="Chat case", event=TriggerEvent.CASE_RESOLVED, channel="chat")
    case = CaseFactory(customer=customer_with_email(), origin="chat", status=CaseStatus.RESOLVED)
    case.resolved_at = timezone.now()
    case.save()

    invitations = by_rule(services.survey_rules_evaluate_case(case_id=case.pk))

    assert invitations["Chat case"].status == InvitationStatus.SCHEDULED
    assert invitations["Any case"].suppression_reason == SuppressionReason.OVERLAP
    assert any_origin.invitations.get().suppression_reason == SuppressionReason.OVERLAP


# --------------------------------------------------------------------------- overlaps


def test_overlapping_rules_are_those_that_can_match_the_same_event(demo_and_specific_rules):
    general, specific = demo_and_specific_rules
    phone = SurveyRuleFactory(name="Any phone", channel="phone")
    SurveyRuleFactory(name="Inactive chat", channel="chat", active=False)
    SurveyRuleFactory(name="Case", event=TriggerEvent.CASE_RESOLVED, channel="chat")

    assert list(SurveyRule.objects.overlapping(specific)) == [general]
    assert list(SurveyRule.objects.overlapping(general)) == [specific]
    assert list(SurveyRule.objects.overlapping(phone)) == []
    flags = dict(SurveyRule.objects.with_overlaps().values_list("name", "overlaps"))
    assert flags == {
        "Any chat": True,
        "Checkout chat": True,
        "Any phone": False,
        "Inactive chat": False,
        "Case": False,
    }


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def test_saving_an_overlapping_rule_in_the_admin_warns_and_names_who_goes_first(admin_client, demo_and_specific_rules):
    general, specific = demo_and_specific_rules
    response = admin_client.post(
        reverse("admin:feedback_surveyrule_change", args=[general.pk]),
        {
            "survey": general.survey_id,
            "name": "Any chat",
            "event": "interaction",
            "channel": "chat",
            "interaction_type": "",
            "touchpoint_key": "",
            "delay_minutes": "30",
            "sample_percent": "100",
            "priority": "100",
            "active": "on",
        },
    )

    assert response.status_code == 302
    [message] = [str(m) for m in get_messages(response.wsgi_request) if m.level_tag == "warning"]
    assert "“Any chat” overlaps “Checkout chat”" in message
    assert "offered to “Checkout chat” first" in message


def test_the_rule_list_flags_overlaps_and_the_page_lists_them(admin_client, demo_and_specific_rules):
    general, specific = demo_and_specific_rules
    SurveyRuleFactory(name="Any phone", channel="phone")

    listing = admin_client.get(reverse("admin:feedback_surveyrule_changelist")).content.decode()
    page = admin_client.get(reverse("admin:feedback_surveyrule_change", args=[general.pk])).content.decode()

    flags = re.findall(r'<td class="field-overlaps"><img [^>]*alt="(True|False)"', listing)
    assert sorted(flags) == ["False", "True", "True"]
    assert "Checkout chat" in page and "Overlapping rules" in page


# --------------------------------------------------------------------------- 30-day activity


def test_a_rules_30_day_activity_counts_matches_invitations_and_each_reason(demo_and_specific_rules):
    general, specific = demo_and_specific_rules
    opted_out = CustomerFactory(survey_opt_out=True)
    for touchpoint in ("checkout", "checkout", "returns"):
        services.survey_rules_evaluate_interaction(
            interaction_id=InteractionFactory(
                customer=customer_with_email(), channel="chat", touchpoint_key=touchpoint
            ).pk
        )
    services.survey_rules_evaluate_interaction(
        interaction_id=InteractionFactory(customer=opted_out, channel="chat", touchpoint_key="checkout").pk
    )
    old = Invitation.objects.filter(rule=general).order_by("pk").first()
    Invitation.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=31))

    activity = survey_rule_activity(rule=general)

    # general matched four events; one (an overlap) is older than 30 days
    assert activity["matched"] == 3
    assert activity["invited"] == 1
    assert activity["suppressed"] == 2
    assert activity[SuppressionReason.OVERLAP] == 1
    assert activity[SuppressionReason.OPT_OUT] == 1
    assert activity[SuppressionReason.FATIGUE] == 0
    specific_activity = survey_rule_activity(rule=specific)
    assert (specific_activity["matched"], specific_activity["invited"], specific_activity["opt_out"]) == (3, 2, 1)


def test_activity_counts_events_another_rule_of_the_same_survey_covered_as_overlap():
    survey = SurveyFactory()
    general = SurveyRuleFactory(survey=survey, name="Any chat", channel="chat")
    SurveyRuleFactory(survey=survey, name="Checkout chat", channel="chat", touchpoint_key="checkout")
    general.created_at = timezone.now() - timedelta(days=1)
    general.save(update_fields=["created_at"])
    for _ in range(2):
        services.survey_rules_evaluate_interaction(
            interaction_id=InteractionFactory(
                customer=customer_with_email(), channel="chat", touchpoint_key="checkout"
            ).pk
        )

    activity = survey_rule_activity(rule=general)

    assert (activity["matched"], activity["invited"], activity["overlap"]) == (2, 0, 2)


def test_activity_counts_invitations_moved_past_quiet_hours():
    noon = (timezone.now() + timedelta(days=2)).replace(hour=12, minute=0, second=0, microsecond=0)
    quiet = SurveyRuleFactory(channel="chat", quiet_start=time(11, 0), quiet_end=time(13, 0))
    loud = SurveyRuleFactory(channel="phone")
    for channel in ("chat", "phone"):
        interaction = InteractionFactory(customer=customer_with_email(), channel=channel, occurred_at=noon)
        services.survey_rules_evaluate_interaction(interaction_id=interaction.pk, now=noon)

    assert quiet.invitations.get().scheduled_for == noon.replace(hour=13)
    assert survey_rule_activity(rule=quiet)["deferred_quiet_hours"] == 1
    assert survey_rule_activity(rule=loud)["deferred_quiet_hours"] == 0


def test_the_rule_page_shows_the_activity_in_one_aggregate_query(
    admin_client, demo_and_specific_rules, django_assert_max_num_queries
):
    general, _specific = demo_and_specific_rules
    for _ in range(3):
        services.survey_rules_evaluate_interaction(
            interaction_id=InteractionFactory(
                customer=customer_with_email(), channel="chat", touchpoint_key="checkout"
            ).pk
        )

    with django_assert_max_num_queries(12):
        page = admin_client.get(reverse("admin:feedback_surveyrule_change", args=[general.pk]))

    html = page.content.decode()
    assert 'data-testid="rule-activity"' in html
    assert '<th scope="row">A rule of higher precedence invited for the same event</th><td>3</td>' in html


def test_a_marketer_sets_a_rules_priority_through_the_api(api_as, marketer_user):
    survey = SurveyFactory()
    payload = {"survey": survey.pk, "name": "Checkout chat", "channel": "chat", "touchpoint_key": "checkout"}

    response = api_as(marketer_user).post("/api/survey-rules/", {**payload, "priority": 5}, format="json")
    refused = api_as(marketer_user).post("/api/survey-rules/", {**payload, "priority": -1}, format="json")

    assert response.status_code == 201 and response.data["priority"] == 5
    assert refused.status_code == 400 and "priority" in refused.data
