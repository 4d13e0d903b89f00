"""Rendering the invitation email and SMS, in the customer's language.

`invitation_email` / `invitation_sms_text` build the messages; the services
(feedback/services/sending.py) decide when to send them. The admin preview renders
the same templates for a survey and a language without a stored invitation.
A helper of the services: it reads and renders, it writes nothing.
"""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone, translation

from cxcrm.choices import Language, language_best_match

from . import tokens
from .choices import SurveyKind
from .models import Survey

# Kinds whose email carries one-click score buttons.
BUTTON_KINDS = (SurveyKind.NPS, SurveyKind.CSAT)


def customer_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


def normalise_language(code: str) -> str:
    """The supported language that best serves a language tag (cxcrm.choices.language_best_match), else English."""
    return language_best_match(code) or Language.EN


@dataclass
class SurveyTexts:
    title: str
    intro: str
    question: str


def survey_texts(survey: Survey, language: str) -> SurveyTexts:
    """The survey's title, intro and primary question in `language`, falling back to English, then the name.

    Works on prefetched `texts` and `questions` when the caller prefetched them.
    """
    texts = {t.language: t for t in survey.texts.all()}
    text = texts.get(language) or texts.get(Language.EN)
    primary = next((q for q in survey.questions.all() if q.is_primary), None)
    return SurveyTexts(
        title=text.title if text else survey.name,
        intro=(text.intro if text and text.intro else (texts[Language.EN].intro if Language.EN in texts else "")),
        question=primary.text_in(language) if primary else "",
    )


# Languages whose greeting cannot carry the bare name: Polish addresses a person in the vocative
# ("Dzień dobry, Kasiu"), which a program cannot derive reliably from a first name, and the
# nominative ("Dzień dobry, Kasia,") reads as a mistake. These are greeted without the name.
GREETING_WITHOUT_NAME = frozenset({Language.PL})


def greeting_name(first_name: str, language: str) -> str:
    """The first name to greet the customer by in `language`, or "" for a greeting without it
    (GREETING_WITHOUT_NAME)."""
    return "" if language in GREETING_WITHOUT_NAME else first_name


def _context(*, survey: Survey, language: str, invitation_id: int, first_name: str, expires_at: datetime, reminder):
    texts = survey_texts(survey, language)
    buttons = []
    if survey.kind in BUTTON_KINDS and texts.question:
        low, high = survey.scale
        buttons = [{"score": s, "url": tokens.survey_url(invitation_id, score=s)} for s in range(low, high + 1)]
    return {
        "survey": survey,
        "kind": survey.kind,
        "texts": texts,
        "first_name": greeting_name(first_name, language),
        "survey_url": tokens.survey_url(invitation_id),
        "unsubscribe_url": tokens.unsubscribe_url(invitation_id),
        "buttons": buttons,
        "expires_at": expires_at,
        "reminder": reminder,
        "language": language,
    }


def render_email(
    *,
    survey: Survey,
    language: str,
    invitation_id: int,
    first_name: str = "",
    expires_at: datetime | None = None,
    zone: str = "",
    reminder: bool = False,
) -> tuple[str, str, str, dict]:
    """(subject, text body, HTML body, headers) of an invitation email in `language`."""
    language = normalise_language(language)
    expires_at = expires_at or timezone.now() + timezone.timedelta(days=survey.expiry_days)
    with translation.override(language), timezone.override(customer_zone(zone)):
        context = _context(
            survey=survey,
            language=language,
            invitation_id=invitation_id,
            first_name=first_name,
            expires_at=expires_at,
            reminder=reminder,
        )
        subject = " ".join(render_to_string("feedback/email/invitation_subject.txt", context).split())
        text = render_to_string("feedback/email/invitation.txt", context)
        html = render_to_string("feedback/email/invitation.html", context)
    headers = {
        "List-Unsubscribe": f"<{context['unsubscribe_url']}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    return subject, text, html, headers


def build_email(*, to: str, subject: str, text: str, html: str, headers: dict) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(subject=subject, body=text, to=[to], headers=headers)
    message.attach_alternative(html, "text/html")
    return message


def invitation_email(invitation, *, reminder: bool = False) -> EmailMultiAlternatives:
    customer = invitation.customer
    subject, text, html, headers = render_email(
        survey=invitation.survey,
        language=customer.language,
        invitation_id=invitation.pk,
        first_name=customer.first_name,
        expires_at=invitation.expires_at,
        zone=customer.timezone,
        reminder=reminder,
    )
    return build_email(to=invitation.recipient, subject=subject, text=text, html=html, headers=headers)


def invitation_sms_text(invitation, *, reminder: bool = False) -> str:
    customer = invitation.customer
    language = normalise_language(customer.language)
    with translation.override(language):
        return render_to_string(
            "feedback/sms/invitation.txt",
            {
                "texts": survey_texts(invitation.survey, language),
                "first_name": greeting_name(customer.first_name, language),
                "survey_url": tokens.survey_url(invitation.pk),
                "reminder": reminder,
            },
        ).strip()
