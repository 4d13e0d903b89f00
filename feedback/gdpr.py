"""feedback's part of the GDPR flows: the sections of a customer's personal-data export (customers.gdpr,
through settings.CUSTOMER_EXPORT_SECTIONS), the survey invitations sent to them and their responses, and
the scrubbing of those rows when the customer is erased (settings.CUSTOMER_ERASURE_HOOKS)."""

from django.utils import timezone

from customers.gdpr import model_rows

from .choices import InvitationStatus, QuestionType, SuppressionReason
from .models import AttentionAction, Invitation, Response, SurveyQuestion


def customer_export_sections(customer) -> list[tuple[str, object]]:
    """[(name, rows)] of the customer's invitations (without the sending run's claim token) and responses."""
    return [
        (
            "survey_invitations",
            model_rows(Invitation.objects.filter(customer=customer).order_by("id"), exclude=("claim_token",)),
        ),
        ("survey_responses", model_rows(Response.objects.filter(customer=customer).order_by("id"))),
    ]


def customer_erase_rows(customer_ids: list[int], *, commit: bool) -> dict[str, int]:
    """feedback's part of a customer's erasure (customers/services/erasure.py, through
    settings.CUSTOMER_ERASURE_HOOKS), in its transaction; returns {label: rows}.

    Invitations lose the address they were sent to and their error text; those not sent yet are suppressed
    (opted out), so nothing more goes out. Responses keep score, kind, channel, touchpoint, journey, stage,
    persona, agent, times, language and sentiment (every report figure), and lose the comment and the
    answers to free-text questions. "Needs attention" snoozes and handlings keep their kind, reasons and times
    and lose the rep's note. With commit=False nothing is written: the rows that would be are counted.
    """
    invitations = Invitation.objects.filter(customer_id__in=customer_ids)
    responses = Response.objects.filter(customer_id__in=customer_ids)
    attention_notes = AttentionAction.objects.filter(customer_id__in=customer_ids).exclude(note="")
    if not commit:
        return {
            "survey_invitations": invitations.count(),
            "survey_responses": responses.count(),
            "attention_notes": attention_notes.count(),
        }
    now = timezone.now()
    invitations.filter(status=InvitationStatus.SCHEDULED).update(
        status=InvitationStatus.SUPPRESSED, suppression_reason=SuppressionReason.OPT_OUT, suppressed_at=now
    )
    counts = {
        "survey_invitations": invitations.update(recipient="", last_error="", updated_at=now),
        "survey_responses": responses.update(comment=""),
        "attention_notes": attention_notes.update(note=""),
    }
    # Free-text answers: one read of the questions concerned, one bulk write of the answers that hold them.
    text_questions = {
        str(pk)
        for pk in SurveyQuestion.objects.filter(
            type=QuestionType.TEXT, survey__in=responses.values("survey_id")
        ).values_list("pk", flat=True)
    }
    if text_questions:
        changed = []
        for response in responses.exclude(answers={}).only("pk", "answers"):
            if text_questions & set(response.answers or {}):
                response.answers = {k: v for k, v in response.answers.items() if k not in text_questions}
                changed.append(response)
        Response.objects.bulk_update(changed, ["answers"], batch_size=500)
    return counts
