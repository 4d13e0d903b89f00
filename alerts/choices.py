"""The vocabularies of real-time alerts: what a rule watches for (also the alert's reason)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Condition(models.TextChoices):
    """What raises an alert; an alert's `reason` is its rule's condition."""

    HEALTH_BELOW = "health_below", _("Health below a threshold")
    DETRACTOR = "detractor", _("A detractor's answer")
    SLA_BREACH = "sla_breach", _("An SLA breach")
    REPEAT_CONTACT = "repeat_contact", _("A repeat contact")
    VIP = "vip", _("A VIP customer in touch")
