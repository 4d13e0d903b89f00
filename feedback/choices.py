"""Vocabularies of the feedback (CX) app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class SurveyKind(models.TextChoices):
    NPS = "nps", _("Net Promoter Score")
    CSAT = "csat", _("Customer satisfaction")
    CES = "ces", _("Customer effort")
    CUSTOM = "custom", _("Custom")

    # The scales of the standard kinds live in feedback/scales.py.


class QuestionType(models.TextChoices):
    SCORE = "score", _("Score")
    SINGLE_CHOICE = "single_choice", _("Single choice")
    MULTIPLE_CHOICE = "multiple_choice", _("Multiple choice")
    TEXT = "text", _("Free text")


class DeliveryChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    LINK = "link", _("Link only")


class TriggerEvent(models.TextChoices):
    INTERACTION = "interaction", _("Interaction recorded")
    CASE_RESOLVED = "case_resolved", _("Case resolved")


class InvitationStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    OPENED = "opened", _("Opened")
    RESPONDED = "responded", _("Responded")
    EXPIRED = "expired", _("Expired")
    SUPPRESSED = "suppressed", _("Suppressed")
    FAILED = "failed", _("Failed")


# Invitations that reached (or will reach) the customer: the fatigue rule counts these.
FATIGUE_STATUSES = (
    InvitationStatus.SCHEDULED,
    InvitationStatus.SENDING,
    InvitationStatus.SENT,
    InvitationStatus.OPENED,
    InvitationStatus.RESPONDED,
    InvitationStatus.EXPIRED,
)
# Invitations whose link still works.
OPEN_STATUSES = (InvitationStatus.SENT, InvitationStatus.OPENED)


class SuppressionReason(models.TextChoices):
    SAMPLED_OUT = "sampled_out", _("Sampled out")
    FATIGUE = "fatigue", _("Invited recently (fatigue rule)")
    OPT_OUT = "opt_out", _("Opted out of surveys")
    NO_CONTACT = "no_contact", _("No email or phone for the channel")
    SURVEY_INACTIVE = "survey_inactive", _("Survey inactive")
    OVERLAP = "overlap", _("A rule of higher precedence invited for the same event")


class Sentiment(models.TextChoices):
    POSITIVE = "positive", _("Positive")
    NEUTRAL = "neutral", _("Neutral")
    NEGATIVE = "negative", _("Negative")
    UNKNOWN = "unknown", _("Unknown")
