"""Surveys: creating and changing a survey with its questions and texts, and emailing a test.

The rules of the questions (one primary score question for a standard kind, choices, scales)
and the lock on the questions of a survey that has invitations are the model's
(`Survey.questions_check`, `Survey.questions_lock_check`); the admin applies the same ones.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .. import delivery
from ..models import QuestionChoice, Survey, SurveyQuestion, SurveyText


def _questions_check(survey: Survey, questions: list[dict]) -> None:
    try:
        survey.questions_check(questions)
    except ValidationError as exc:
        raise ValidationError({"questions": exc}) from None


def _write_questions(survey: Survey, questions: list[dict]) -> None:
    survey.questions.all().delete()
    for position, data in enumerate(questions, start=1):
        data = dict(data)
        choices = data.pop("choices", None) or []
        data.pop("position", None)
        question = SurveyQuestion.objects.create(survey=survey, position=position, **data)
        QuestionChoice.objects.bulk_create(
            [QuestionChoice(question=question, position=i, **choice) for i, choice in enumerate(choices, start=1)]
        )


def _write_texts(survey: Survey, texts: list[dict]) -> None:
    languages = [t["language"] for t in texts]
    if len(set(languages)) != len(languages):
        raise ValidationError({"texts": [_("Give each language once.")]})
    survey.texts.all().delete()
    SurveyText.objects.bulk_create([SurveyText(survey=survey, **t) for t in texts])


def survey_create(*, fields: dict, questions: list[dict], texts: list[dict], created_by=None) -> Survey:
    """A survey with its ordered questions (and choices) and per-language texts.

    `questions` are dicts of SurveyQuestion fields with `choices` as a list of QuestionChoice
    field dicts; `texts` dicts of SurveyText fields. Raises ValidationError (keyed `questions`,
    `texts` or the field) when the questions break Survey.questions_check, a language is given
    twice, or the survey fails its own full_clean().
    """
    survey = Survey(created_by=created_by, **fields)
    _questions_check(survey, questions)
    with transaction.atomic():
        survey.full_clean()
        survey.save()
        _write_questions(survey, questions)
        _write_texts(survey, texts)
    return survey


def survey_update(
    *, survey: Survey, fields: dict, questions: list[dict] | None = None, texts: list[dict] | None = None
) -> Survey:
    """Change a survey; questions and texts, when given, replace the old ones.

    Raises ValidationError when the questions (given, or the current ones under a new kind) break
    Survey.questions_check, when questions are given for a survey whose questions are locked
    (it has invitations: Survey.questions_lock_check), or when the survey fails full_clean().
    """
    for name, value in fields.items():
        setattr(survey, name, value)
    if questions is not None:
        _questions_check(survey, questions)
        try:
            survey.questions_lock_check()
        except ValidationError as exc:
            raise ValidationError({"questions": exc}) from None
    elif "kind" in fields:
        current = survey.questions.prefetch_related("choices")
        _questions_check(
            survey,
            [
                {
                    "type": q.type,
                    "is_primary": q.is_primary,
                    "scale_min": q.scale_min,
                    "scale_max": q.scale_max,
                    "choices": list(q.choices.all()),
                }
                for q in current
            ],
        )
    with transaction.atomic():
        survey.full_clean()
        survey.save()
        if questions is not None:
            _write_questions(survey, questions)
        if texts is not None:
            _write_texts(survey, texts)
    return survey


def survey_delete(*, survey: Survey) -> None:
    """Delete a survey with its questions, texts and rules.

    Raises ValidationError (keyed `survey`) when it has invitations: their answers need it; deactivate it instead.
    """
    if survey.invitations.exists():
        raise ValidationError({"survey": [_("This survey has invitations; deactivate it instead.")]})
    survey.delete()


def survey_send_test(*, survey: Survey, language: str, to: str) -> None:
    """Email a sample invitation of the survey in `language` to `to` (links do not open a real invitation).

    Raises ValidationError without an address; whatever the email backend raises otherwise.
    """
    if not to:
        raise ValidationError({"to": [_("Your user has no email address.")]})
    subject, text, html, headers = delivery.render_email(survey=survey, language=language, invitation_id=0)
    delivery.build_email(to=to, subject=f"[TEST] {subject}", text=text, html=html, headers=headers).send()
