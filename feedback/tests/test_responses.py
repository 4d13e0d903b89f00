"""Recording responses: context, timeline, sentiment, the closed loop on detractors, merges."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from customers.choices import CaseOrigin, CasePriority, CaseStatus, InteractionType
from customers.models import Interaction, SlaPolicy
from customers.services import case_update, customer_merge, merge_preview, merge_undo
from customers.signals import INTERACTIONS_RECORDED
from customers.tests.factories import CaseFactory, CustomerFactory, InteractionFactory
from cxcrm.choices import Role
from cxcrm.models import OutboxMessage
from cxcrm.tests.factories import UserFactory
from feedback import services
from feedback.choices import InvitationStatus, Sentiment, SurveyKind
from feedback.models import FeedbackSettings, Invitation, Response
from feedback.selectors import latest_scores_for_customer
from feedback.sentiment import SentimentResult
from feedback.tests.factories import (
    InvitationFactory,
    ResponseFactory,
    SurveyFactory,
    SurveyQuestionFactory,
    SurveyRuleFactory,
)
from journeys.choices import MapStatus
from journeys.tests.factories import JourneyMapFactory, PersonaFactory, StageFactory, TouchpointFactory

pytestmark = pytest.mark.django_db


def sent(**kwargs):
    return InvitationFactory(status=InvitationStatus.SENT, sent_at=timezone.now(), **kwargs)


def submit(invitation, score, comment="", language="en", **kwargs):
    primary = invitation.survey.questions.get(is_primary=True)
    return services.response_submit(
        invitation_id=invitation.pk, answers={str(primary.pk): score}, comment=comment, language=language, **kwargs
    )


@pytest.fixture
def notify_delay():
    # The service records an outbox row; the dispatcher hands its id to the broker after commit.
    with mock.patch("cxcrm.outbox._enqueue") as enqueue:
        yield enqueue


# --------------------------------------------------------------------------- context


def test_response_denormalises_the_source_interactions_context():
    persona = PersonaFactory()
    journey_map = JourneyMapFactory(status=MapStatus.PUBLISHED)
    stage = StageFactory(journey_map=journey_map, name="Delivery")
    touchpoint = TouchpointFactory(stage=stage, key="delivery-sms")
    agent = UserFactory(role=Role.SUPPORT_REP)
    customer = CustomerFactory(persona=persona)
    case = CaseFactory(customer=customer)
    interaction = InteractionFactory(
        customer=customer, channel="sms", touchpoint=touchpoint, touchpoint_key="delivery-sms", agent=agent, case=case
    )
    invitation = sent(customer=customer, interaction=interaction, survey=SurveyFactory(kind=SurveyKind.CSAT))

    response = submit(invitation, 4)

    response.refresh_from_db()
    assert response.survey == invitation.survey
    assert (response.kind, response.score, response.customer, response.persona) == ("csat", 4, customer, persona)
    assert (response.channel, response.touchpoint_key, response.touchpoint) == ("sms", "delivery-sms", touchpoint)
    assert (response.journey_map, response.stage, response.stage_name) == (journey_map, stage, "Delivery")
    assert (response.interaction, response.case, response.agent) == (interaction, case, agent)
    assert response.submitted_at is not None


def test_case_survey_takes_the_cases_origin_and_its_tagged_touchpoint():
    journey_map = JourneyMapFactory(status=MapStatus.PUBLISHED)
    touchpoint = TouchpointFactory(stage=StageFactory(journey_map=journey_map), key="support-phone", channel="phone")
    assignee = UserFactory(role=Role.SUPPORT_REP)
    case = CaseFactory(origin="phone", assignee=assignee, status=CaseStatus.RESOLVED)
    InteractionFactory(customer=case.customer, case=case, channel="phone", touchpoint_key="support-phone")
    InteractionFactory(  # the resolution email came later, from us: not where the customer came in
        customer=case.customer, case=case, channel="email", direction="outbound", touchpoint_key="support-resolution"
    )
    invitation = sent(customer=case.customer, case=case, source_key=f"case:{case.pk}")

    response = submit(invitation, 5)

    assert (response.channel, response.touchpoint_key, response.touchpoint) == ("phone", "support-phone", touchpoint)
    assert (response.case, response.agent, response.interaction) == (case, assignee, None)


def test_submitting_marks_the_invitation_responded_and_opened():
    invitation = sent()
    submit(invitation, 3)
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.RESPONDED
    assert invitation.responded_at is not None
    assert invitation.opened_at == invitation.responded_at


def test_the_answer_is_on_the_customers_timeline_and_starts_no_survey(django_capture_on_commit_callbacks):
    invitation = sent(survey=SurveyFactory(kind=SurveyKind.NPS, name="Relationship"))
    with (
        mock.patch("feedback.tasks.evaluate_interaction_rules.delay") as evaluate,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = submit(invitation, 9, "Great people")
    entry = Interaction.objects.get(type=InteractionType.SURVEY_RESPONSE)
    assert entry.customer == invitation.customer
    assert (entry.channel, entry.direction, entry.summary, entry.body) == (
        "web",
        "inbound",
        "NPS 9 · Relationship",
        "Great people",
    )
    assert entry.metadata["response_id"] == response.pk
    assert entry.live is True
    evaluate.assert_not_called()
    assert not OutboxMessage.objects.filter(event=INTERACTIONS_RECORDED).exists()
    assert services.survey_rules_evaluate_interaction(interaction_id=entry.pk) == []


# --------------------------------------------------------------------------- refusals


def test_a_second_submission_is_refused():
    invitation = sent()
    submit(invitation, 5)
    with pytest.raises(services.InvitationClosed) as exc:
        submit(invitation, 1)
    assert exc.value.reason == "answered"
    assert Response.objects.count() == 1


@pytest.mark.parametrize(
    "changes,reason",
    [
        ({"expires_at": timezone.now() - timedelta(seconds=1)}, "expired"),
        ({"status": InvitationStatus.EXPIRED}, "expired"),
        ({"status": InvitationStatus.SUPPRESSED, "suppression_reason": "opt_out"}, "unavailable"),
    ],
)
def test_closed_invitations_take_no_answer(changes, reason):
    invitation = sent()
    Invitation.objects.filter(pk=invitation.pk).update(**changes)
    with pytest.raises(services.InvitationClosed) as exc:
        submit(invitation, 4)
    assert exc.value.reason == reason
    assert not Response.objects.exists()


@pytest.mark.parametrize("kind,score", [("nps", 11), ("nps", -1), ("csat", 0), ("csat", 6), ("ces", 8)])
def test_the_service_refuses_scores_off_the_scale(kind, score):
    invitation = sent(survey=SurveyFactory(kind=kind))
    with pytest.raises(ValidationError):
        submit(invitation, score)
    assert not Response.objects.exists()


def test_the_service_refuses_an_over_long_comment(settings):
    settings.SURVEY_COMMENT_MAX_LENGTH = 5
    with pytest.raises(ValidationError) as exc:
        submit(sent(), 4, "123456")
    assert "comment" in exc.value.message_dict


# --------------------------------------------------------------------------- sentiment


@pytest.mark.parametrize(
    "comment,language,label",
    [
        ("The agent was wonderful and very helpful, thank you!", "en", Sentiment.POSITIVE),
        ("Terrible service, I am angry and disappointed.", "en", Sentiment.NEGATIVE),
        ("I called on Tuesday.", "en", Sentiment.NEUTRAL),
        ("O atendente foi maravilhoso!", "pt-br", Sentiment.UNKNOWN),
        ("Terrible", "pl", Sentiment.UNKNOWN),
        ("", "en", Sentiment.UNKNOWN),
    ],
)
def test_comment_sentiment_is_stored(comment, language, label):
    response = submit(sent(), 4, comment, language=language)
    response.refresh_from_db()
    assert response.sentiment == label
    if label == Sentiment.UNKNOWN:
        assert response.sentiment_score is None
    else:
        assert -1 <= response.sentiment_score <= 1
        assert (response.sentiment_score > 0) == (label == Sentiment.POSITIVE) or label == Sentiment.NEUTRAL


def fixed_analyser(text, language):
    return SentimentResult(Sentiment.NEGATIVE, -0.9)


def broken_analyser(text, language):
    raise RuntimeError("model not loaded")


def test_a_configured_analyser_replaces_the_default(settings):
    settings.SENTIMENT_ANALYSER = "feedback.tests.test_responses.fixed_analyser"
    response = submit(sent(), 4, "Ótimo", language="pt-br")
    assert (response.sentiment, response.sentiment_score) == (Sentiment.NEGATIVE, -0.9)


def test_a_failing_analyser_loses_no_answer(settings):
    settings.SENTIMENT_ANALYSER = "feedback.tests.test_responses.broken_analyser"
    response = submit(sent(), 4, "Great")
    assert response.sentiment == Sentiment.UNKNOWN


# --------------------------------------------------------------------------- closed loop


@pytest.mark.parametrize(
    "kind,score,detractor",
    [
        ("nps", 0, True),
        ("nps", 6, True),
        ("nps", 7, False),
        ("nps", 10, False),
        ("csat", 1, True),
        ("csat", 2, True),
        ("csat", 3, False),
        ("ces", 3, True),
        ("ces", 4, False),
    ],
)
def test_detractors_and_only_detractors_open_a_follow_up(kind, score, detractor, notify_delay):
    owner = UserFactory(role=Role.SUPPORT_REP)
    invitation = sent(survey=SurveyFactory(kind=kind), customer=CustomerFactory(owner=owner))
    response = submit(invitation, score)
    assert (response.followup_case is not None) == detractor


def test_follow_up_case_is_assigned_to_the_owner_with_an_sla_and_the_response_linked(
    django_capture_on_commit_callbacks, notify_delay
):
    SlaPolicy.objects.update_or_create(
        priority=CasePriority.HIGH, defaults={"first_response_minutes": 60, "resolution_minutes": 480}
    )
    owner = UserFactory(role=Role.SUPPORT_REP)
    invitation = sent(survey=SurveyFactory(kind="nps", name="Relationship"), customer=CustomerFactory(owner=owner))
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(invitation, 2, "Nobody called me back.")
    case = Response.objects.get(pk=response.pk).followup_case
    assert (case.origin, case.topic, case.assignee, case.customer) == (
        CaseOrigin.SURVEY,
        "detractor follow-up",
        owner,
        invitation.customer,
    )
    assert case.priority == CasePriority.HIGH
    assert case.resolution_due_at == case.opened_at + timedelta(minutes=480)
    assert "Nobody called me back." in case.description
    assert case.survey_response == response
    [message] = OutboxMessage.objects.filter(event=services.responses.FOLLOWUP_NOTIFY)
    assert message.payload == {"response_id": response.pk}
    # Handed to the broker once (beside it: the rows of other subscribers, e.g. the health score's refresh).
    assert notify_delay.call_args_list.count(mock.call(message.pk)) == 1


def test_default_assignee_is_used_when_the_customer_has_no_owner(notify_delay):
    default = UserFactory(role=Role.SUPPORT_REP, username="cx-lead")
    FeedbackSettings.objects.update_or_create(pk=1, defaults={"default_followup_assignee": default})
    response = submit(sent(customer=CustomerFactory(owner=None)), 1)
    assert response.followup_case.assignee == default


def test_without_owner_or_default_the_follow_up_is_unassigned(notify_delay):
    response = submit(sent(customer=CustomerFactory(owner=None)), 1)
    assert response.followup_case.assignee is None
    assert services.followup_notify(response_id=response.pk) is False
    assert mail.outbox == []


def test_the_assignee_is_emailed_once(notify_delay, settings):
    settings.SITE_URL = "https://cx.example.com"
    owner = UserFactory(role=Role.SUPPORT_REP, email="owner@example.com", first_name="Rita")
    customer = CustomerFactory(owner=owner, first_name="Joana", last_name="Lima")
    response = submit(sent(customer=customer, survey=SurveyFactory(kind="csat", name="Support")), 1, "Awful wait")

    assert services.followup_notify(response_id=response.pk) is True
    assert services.followup_notify(response_id=response.pk) is False

    [message] = mail.outbox
    case = Response.objects.get(pk=response.pk).followup_case
    assert message.to == ["owner@example.com"]
    assert message.subject == f"Detractor follow-up #{case.pk}: Joana Lima scored CSAT 1"
    assert "Hello Rita," in message.body
    assert "Awful wait" in message.body
    assert f"https://cx.example.com/customers/cases/{case.pk}/" in message.body


def test_a_failed_email_is_sent_by_the_retry(notify_delay):
    owner = UserFactory(role=Role.SUPPORT_REP, email="owner@example.com")
    response = submit(sent(customer=CustomerFactory(owner=owner)), 1)
    with (
        mock.patch("feedback.services.responses.send_mail", side_effect=ConnectionError("smtp down")),
        pytest.raises(ConnectionError),
    ):
        services.followup_notify(response_id=response.pk)
    assert services.followup_notify(response_id=response.pk) is True
    assert len(mail.outbox) == 1


def test_closing_the_follow_up_records_the_note_and_the_time_to_close(notify_delay):
    owner = UserFactory(role=Role.SUPPORT_REP)
    response = submit(sent(customer=CustomerFactory(owner=owner)), 2)
    case = case_update(
        case=response.followup_case, user=owner, status=CaseStatus.CLOSED, resolution_note="Called; refunded."
    )
    case.refresh_from_db()
    assert case.resolution_note == "Called; refunded."
    assert case.closed_at is not None and case.closed_at >= case.opened_at
    assert Response.objects.get(pk=response.pk).followup_case_id == case.pk


def test_resolving_a_follow_up_starts_no_case_survey(notify_delay):
    SurveyRuleFactory(event="case_resolved")
    response = submit(sent(), 1)
    case = case_update(case=response.followup_case, status=CaseStatus.RESOLVED)
    assert services.survey_rules_evaluate_case(case_id=case.pk) == []


def test_custom_surveys_and_skipped_scores_open_no_follow_up(notify_delay):
    survey = SurveyFactory(kind=SurveyKind.CUSTOM)
    question = SurveyQuestionFactory(survey=survey, is_primary=True, required=False)
    response = services.response_submit(invitation_id=sent(survey=survey).pk, answers={str(question.pk): 1}, comment="")
    assert response.followup_case is None
    optional = SurveyFactory(kind="nps")
    optional.questions.update(required=False)
    skipped = services.response_submit(invitation_id=sent(survey=optional).pk, answers={}, comment="Just a note")
    assert (skipped.score, skipped.followup_case) == (None, None)


# --------------------------------------------------------------------------- merges and the key figures


def test_merge_moves_responses_and_undo_moves_them_back(django_capture_on_commit_callbacks):
    survivor, other = CustomerFactory(), CustomerFactory()
    response = ResponseFactory(invitation__customer=other)
    kept = ResponseFactory(invitation__customer=survivor)
    with django_capture_on_commit_callbacks(execute=True):
        merge = customer_merge(survivor=survivor, other=other)
    assert set(Response.objects.filter(customer=survivor)) == {response, kept}
    with django_capture_on_commit_callbacks(execute=True):
        merge_undo(merge=merge)
    assert Response.objects.get(pk=response.pk).customer == other
    assert Response.objects.get(pk=kept.pk).customer == survivor


def test_merge_preview_counts_responses():
    survivor, other = CustomerFactory(), CustomerFactory()
    ResponseFactory(invitation__customer=other)
    preview = merge_preview(survivor=survivor, other=other)
    assert preview.counts["survey responses"] == 1


def test_latest_scores_per_kind(django_assert_num_queries):
    customer = CustomerFactory()
    now = timezone.now()
    ResponseFactory(
        invitation__customer=customer,
        invitation__survey=SurveyFactory(kind="nps"),
        score=3,
        submitted_at=now - timedelta(days=40),
    )
    newest = ResponseFactory(
        invitation__customer=customer,
        invitation__survey=SurveyFactory(kind="nps"),
        score=9,
        submitted_at=now - timedelta(days=2),
    )
    csat = ResponseFactory(invitation__customer=customer, score=5, submitted_at=now - timedelta(days=5))
    ResponseFactory(invitation__survey=SurveyFactory(kind="ces"), score=7)  # someone else's
    with django_assert_num_queries(1):
        latest = latest_scores_for_customer(customer)
    assert latest == {"nps": newest, "csat": csat}
