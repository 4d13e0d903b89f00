"""Responses and the closed loop: recording a customer's answers, the follow-up case a detractor
opens, and emailing its assignee.

`response_submit` is the one way an answer is stored (the public page and tests call it);
`answers_clean` is the rule the page's form and the service share. The comment's sentiment comes
from feedback/sentiment.py. The assignee's email goes out on the worker: the answer's
transaction records an outbox row (event FOLLOWUP_NOTIFY, cxcrm/outbox.py) whose handler calls `followup_notify`.

Every function is keyword-only; each docstring says what it raises.
"""

import logging
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from customers.choices import CaseOrigin, Direction, InteractionType
from customers.models import Case, Customer, Interaction
from customers.services import case_create, interaction_ingest, interaction_input_parse
from customers.summaries import SUMMARY_VALUES, summary_line
from cxcrm.choices import Channel
from cxcrm.i18n import user_language
from cxcrm.outbox import outbox_record
from journeys.models import Touchpoint

from .. import delivery, sentiment
from ..choices import InvitationStatus, QuestionType
from ..models import FeedbackSettings, Invitation, Response, SurveyQuestion
from ..scales import SCALES, is_detractor

logger = logging.getLogger(__name__)

FOLLOWUP_TOPIC = "detractor follow-up"
RESPONSE_SOURCE = "survey"
# The outbox event of the assignee's email (handled by feedback.receivers.handle_followup_notify,
# registered in FeedbackConfig.ready()); the old task name stays for messages queued before.
FOLLOWUP_NOTIFY = "feedback.followup_notify"
FOLLOWUP_NOTIFY_TASK = "feedback.notify_followup_assignee"
# An answer stored: {"response_id": n}, recorded in the answer's transaction for the apps that handle it
# (webhooks' response.submitted). Nothing is recorded while no app handles it.
RESPONSE_SUBMITTED = "feedback.response_submitted"


class InvitationClosed(Exception):
    """The invitation takes no answer: `reason` is "answered", "expired" or "unavailable"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def comment_max_length() -> int:
    return settings.SURVEY_COMMENT_MAX_LENGTH


def invitation_answer_state(invitation: Invitation, *, now: datetime | None = None) -> str:
    """ "open", "answered", "expired" or "unavailable" (suppressed: no link ever reached the customer)."""
    now = now or timezone.now()
    if invitation.status == InvitationStatus.RESPONDED or invitation.responded_at:
        return "answered"
    if invitation.status == InvitationStatus.SUPPRESSED:
        return "unavailable"
    if invitation.status == InvitationStatus.EXPIRED or invitation.expires_at <= now:
        return "expired"
    return "open"


# --------------------------------------------------------------------------- validation


def answers_clean(*, questions: list[SurveyQuestion], kind: str, answers: dict, comment: str) -> dict:
    """The answers keyed by question id (str), checked against the questions; returns them cleaned.

    Scores must be integers on the question's scale, choices known values, free text within
    SURVEY_COMMENT_MAX_LENGTH; required questions must be answered. Raises ValidationError
    keyed `q<id>` (and `comment`).
    """
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, object] = {}
    limit = comment_max_length()
    for question in questions:
        key = str(question.pk)
        value = answers.get(key)
        if value in (None, "", []):
            if question.required and question.type != QuestionType.TEXT:
                errors[f"q{key}"] = [_("Please answer this question.")]
            continue
        if question.type == QuestionType.SCORE:
            low, high = question.effective_scale(kind)
            try:
                score = int(value)
            except (TypeError, ValueError):
                score = None
            if score is None or not low <= score <= high:
                errors[f"q{key}"] = [_("Choose a score from %(low)s to %(high)s.") % {"low": low, "high": high}]
            else:
                cleaned[key] = score
        elif question.type in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE):
            known = {c.value for c in question.choices.all()}
            values = value if isinstance(value, list | tuple) else [value]
            if question.type == QuestionType.SINGLE_CHOICE and len(values) != 1 or not set(values) <= known:
                errors[f"q{key}"] = [_("Choose one of the options shown.")]
            else:
                cleaned[key] = values[0] if question.type == QuestionType.SINGLE_CHOICE else list(values)
        else:
            text = str(value).strip()
            if len(text) > limit:
                errors[f"q{key}"] = [_("Your answer can be at most %(limit)s characters long.") % {"limit": limit}]
            elif text:
                cleaned[key] = text
    if len(comment or "") > limit:
        errors["comment"] = [_("Your comment can be at most %(limit)s characters long.") % {"limit": limit}]
    if errors:
        raise ValidationError(errors)
    return cleaned


# --------------------------------------------------------------------------- context


def _source_context(invitation: Invitation) -> dict:
    """Channel, touchpoint, journey, stage, case and agent of the event the customer answers about.

    From the source interaction; for a case's survey, the channel is the case's origin and the
    touchpoint that of the case's first inbound interaction tagged with one (where the customer
    came in), else of its first tagged interaction.
    """
    interaction = invitation.interaction
    case = invitation.case or (interaction.case if interaction is not None else None)
    context = {"interaction": interaction, "case": case, "channel": "", "touchpoint_key": "", "agent_id": None}
    tagged = interaction
    if interaction is not None:
        context["channel"] = interaction.channel
        context["agent_id"] = interaction.agent_id
    elif case is not None:
        context["channel"] = case.origin if case.origin in Channel.values else ""
        on_case = Interaction.objects.filter(case=case).exclude(touchpoint_key="").order_by("occurred_at", "id")
        tagged = on_case.filter(direction=Direction.INBOUND).first() or on_case.first()
    if case is not None and context["agent_id"] is None:
        context["agent_id"] = case.assignee_id
    touchpoint = None
    if tagged is not None and tagged.touchpoint_key:
        context["touchpoint_key"] = tagged.touchpoint_key
        touchpoint = tagged.touchpoint or Touchpoint.objects.published().filter(key=tagged.touchpoint_key).first()
    if touchpoint is not None:
        touchpoint = Touchpoint.objects.select_related("stage").get(pk=touchpoint.pk)
    context.update(
        touchpoint=touchpoint,
        journey_map_id=touchpoint.journey_map_id if touchpoint else None,
        stage=touchpoint.stage if touchpoint else None,
        stage_name=touchpoint.stage.name if touchpoint else "",
    )
    return context


# --------------------------------------------------------------------------- submitting


def response_submit(
    *, invitation_id: int, answers: dict, comment: str = "", language: str = "", now: datetime | None = None
) -> Response:
    """Record the customer's answers to an invitation.

    Stores the response with its context denormalised and the comment's sentiment, marks the
    invitation responded (and opened, if the page was never loaded), records a `survey_response`
    interaction on the customer's timeline, and for a detractor opens the follow-up case and emails
    its assignee after commit. One response per invitation (the invitation row is locked, and the
    one-to-one key holds against anything else).

    Raises Invitation.DoesNotExist for an unknown id, InvitationClosed when it was already answered,
    expired or suppressed, and ValidationError (keyed `q<question id>` / `comment`) for bad answers.
    """
    now = now or timezone.now()
    comment = (comment or "").strip()
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("survey", "customer", "interaction__case", "case")
            .get(pk=invitation_id)
        )
        state = invitation_answer_state(invitation, now=now)
        if state == "open" and Response.objects.filter(invitation_id=invitation.pk).exists():
            state = "answered"
        if state != "open":
            raise InvitationClosed(state)
        survey = invitation.survey
        questions = list(survey.questions.prefetch_related("choices").order_by("position", "id"))
        cleaned = answers_clean(questions=questions, kind=survey.kind, answers=answers, comment=comment)
        if not comment:
            # A survey with its own free-text questions: their answers are the comment.
            comment = "\n\n".join(
                cleaned[str(q.pk)] for q in questions if q.type == QuestionType.TEXT and str(q.pk) in cleaned
            )
        primary = next((q for q in questions if q.is_primary), None)
        score = cleaned.get(str(primary.pk)) if primary else None
        language = delivery.normalise_language(language or invitation.language or invitation.customer.language)
        mood = sentiment.analyse(comment, language)
        customer = invitation.customer
        context = _source_context(invitation)
        try:
            with transaction.atomic():
                response = Response.objects.create(
                    invitation=invitation,
                    survey=survey,
                    kind=survey.kind,
                    customer=customer,
                    persona_id=customer.persona_id,
                    score=score,
                    comment=comment,
                    answers=cleaned,
                    language=language,
                    sentiment=mood.label,
                    sentiment_score=mood.score,
                    submitted_at=now,
                    **context,
                )
        except IntegrityError:
            raise InvitationClosed("answered") from None
        Invitation.objects.filter(pk=invitation.pk).update(
            status=InvitationStatus.RESPONDED, responded_at=now, opened_at=invitation.opened_at or now
        )
        _timeline_record(response, primary_scale=primary is not None)
        if is_detractor(response.kind, score) and not response.customer.erased:  # no case opens for an erased one
            _followup_open(response)
        outbox_record(event=RESPONSE_SUBMITTED, payload={"response_id": response.pk})
    logger.info("invitation %s answered: response %s (%s %s)", invitation.pk, response.pk, response.kind, score)
    return response


def _timeline_record(response: Response, *, primary_scale: bool) -> None:
    """The answer as an inbound `survey_response` interaction on the customer's timeline (on the web page).

    It is a live event, and survey responses start no survey (feedback's own rule).
    """
    survey = response.survey
    summary_values = None
    if response.score is not None and primary_scale and response.kind in SCALES:
        summary = f"{response.kind.upper()} {response.score} · {survey.name}"  # an acronym and a number: no words
    else:
        # Read in each reader's language (customers.summaries); stored in LANGUAGE_CODE.
        summary_values = {"key": "survey_answered", "survey": survey.name}
        with translation.override(settings.LANGUAGE_CODE):
            summary = summary_line(summary_values)
    data = interaction_input_parse(
        {
            "channel": Channel.WEB,
            "occurred_at": response.submitted_at,
            "summary": summary[:300],
            "body": response.comment,
            "customer_id": response.customer_id,
            "direction": Direction.INBOUND,
            "type": InteractionType.SURVEY_RESPONSE,
            "source": RESPONSE_SOURCE,
            "external_id": f"response:{response.pk}",
            "metadata": {
                "response_id": response.pk,
                "survey_id": survey.pk,
                "kind": response.kind,
                "score": response.score,
                "sentiment": response.sentiment,
                **({SUMMARY_VALUES: summary_values} if summary_values else {}),
            },
        }
    )
    interaction_ingest(data=data, live=True)


# --------------------------------------------------------------------------- closed loop


def followup_assignee(customer: Customer, config: FeedbackSettings | None = None):
    """The customer's owner, else the default follow-up assignee set in the admin (FeedbackSettings)."""
    if customer.owner_id:
        return customer.owner
    return (config or FeedbackSettings.load()).default_followup_assignee


def _followup_about(response: Response) -> str:
    """What the answer was about, as a person reads it: the touchpoint's name (its key when the
    touchpoint is gone), else the channel's label; empty when neither is known."""
    if response.touchpoint_id and response.touchpoint is not None:
        return response.touchpoint.name
    if response.touchpoint_key:
        return response.touchpoint_key
    return str(response.get_channel_display()) if response.channel else ""


def followup_case_texts(response: Response, *, language: str) -> tuple[str, str]:
    """(subject, description) of a detractor's follow-up case, written in `language` (the assignee's, else
    LANGUAGE_CODE: a case's subject and description are its team's text, stored as written, editable), e.g.
    ("Detractor follow-up: NPS 2 · Relationship NPS", "NPS score 2 on “Relationship NPS”.\nComment: …\nAbout:
    Store visit."). The subject is cut to the model's 200 characters."""
    values = {"kind": response.kind.upper(), "score": response.score, "survey": response.survey.name}
    with translation.override(language):
        subject = _("Detractor follow-up: %(kind)s %(score)s · %(survey)s") % values
        lines = [_("%(kind)s score %(score)s on “%(survey)s”.") % values]
        if response.comment:
            lines.append(_("Comment: %(comment)s") % {"comment": response.comment})
        else:
            lines.append(_("No comment."))
        about = _followup_about(response)
        if about:
            lines.append(_("About: %(about)s.") % {"about": about})
    return subject[:200], "\n".join(lines)


def _followup_open(response: Response) -> Case:
    """The detractor's follow-up case (idempotent by source `survey` and the response id), emailed on commit."""
    config = FeedbackSettings.load()
    customer = response.customer
    assignee = followup_assignee(customer, config)
    subject, description = followup_case_texts(response, language=user_language(assignee))
    case = case_create(
        customer=customer,
        subject=subject,
        description=description,
        topic=FOLLOWUP_TOPIC,
        origin=CaseOrigin.SURVEY,
        priority=config.followup_priority,
        assignee=assignee,
        opened_at=response.submitted_at,
        source=RESPONSE_SOURCE,
        external_id=f"response:{response.pk}",
    )
    Response.objects.filter(pk=response.pk).update(followup_case=case)
    response.followup_case = case
    response_id = response.pk

    # The email is background work that must not be lost: an outbox row in the answer's transaction.
    outbox_record(event=FOLLOWUP_NOTIFY, payload={"response_id": response_id})
    logger.info("response %s: follow-up case %s for %s", response.pk, case.pk, assignee or "nobody")
    return case


def followup_notify(*, response_id: int) -> bool:
    """Email the follow-up case's assignee, once: the stamp is claimed by a conditional update first.

    Returns whether an email went out (no case, no assignee or no address: False, logged).
    Raises what the email backend raises, after releasing the claim so a retry can send.
    """
    now = timezone.now()
    claimed = Response.objects.filter(
        pk=response_id, followup_case__isnull=False, followup_notified_at__isnull=True
    ).update(followup_notified_at=now)
    if not claimed:
        return False
    response = Response.objects.select_related(
        "survey", "customer", "touchpoint", "followup_case__assignee__preference"
    ).get(pk=response_id)
    case = response.followup_case
    assignee = case.assignee
    if assignee is None or not assignee.email:
        logger.warning("follow-up case %s has no assignee with an email; nobody notified", case.pk)
        return False
    context = {
        "response": response,
        "case": case,
        "customer": response.customer,
        "assignee": assignee,
        "about": _followup_about(response),
        "case_url": settings.SITE_URL + reverse("customers:case_detail", args=[case.pk]),
    }
    with translation.override(user_language(assignee)):  # the assignee's language (UserPreference)
        subject = " ".join(render_to_string("feedback/email/followup_subject.txt", context).split())
        body = render_to_string("feedback/email/followup.txt", context)
    try:
        send_mail(subject, body, None, [assignee.email], fail_silently=False)
    except Exception:
        Response.objects.filter(pk=response_id).update(followup_notified_at=None)
        raise
    logger.info("follow-up case %s: %s emailed", case.pk, assignee.email)
    return True
