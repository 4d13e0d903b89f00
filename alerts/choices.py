"""The vocabularies of real-time alerts: what a rule watches for (also the alert's reason)."""

from django.db import models


class Condition(models.TextChoices):
    """What raises an alert; an alert's `reason` is its rule's condition."""

    DETRACTOR = "detractor", "A detractor's answer"
    REPEAT_CONTACT = "repeat_contact", "A repeat contact"
    VIP = "vip", "A VIP customer in touch"
