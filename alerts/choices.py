"""The vocabularies of real-time alerts: what a rule watches for (also the alert's reason)."""

from django.db import models


class Condition(models.TextChoices):
    """What raises an alert; an alert's `reason` is its rule's condition."""

    HEALTH_BELOW = "health_below", "Health below a threshold"
    DETRACTOR = "detractor", "A detractor's answer"
    SLA_BREACH = "sla_breach", "An SLA breach"
    REPEAT_CONTACT = "repeat_contact", "A repeat contact"
    VIP = "vip", "A VIP customer in touch"
