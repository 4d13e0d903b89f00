"""Vocabulary shared by several apps: the channels we meet customers through,
the staff roles, and the customer languages."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    CHAT = "chat", _("Chat")
    SMS = "sms", _("SMS")
    SOCIAL = "social", _("Social")
    WEB = "web", _("Web")
    MOBILE_APP = "mobile_app", _("Mobile app")
    STORE = "store", _("Store visit")
    FORUM = "forum", _("Forum")
    MARKETING = "marketing", _("Marketing")
    IOT = "iot", _("Connected device")
    OTHER = "other", _("Other")


# Bootstrap Icons name per channel, used by every page that lists interactions.
CHANNEL_ICONS = {
    Channel.EMAIL: "envelope",
    Channel.PHONE: "telephone",
    Channel.CHAT: "chat-dots",
    Channel.SMS: "phone",
    Channel.SOCIAL: "people",
    Channel.WEB: "globe",
    Channel.MOBILE_APP: "phone-vibrate",
    Channel.STORE: "shop",
    Channel.FORUM: "chat-square-text",
    Channel.MARKETING: "megaphone",
    Channel.IOT: "cpu",
    Channel.OTHER: "three-dots",
}


class Language(models.TextChoices):
    """Languages customers are addressed in (surveys, emails). Codes follow Django's."""

    EN = "en", "English"
    PT_BR = "pt-br", "Português (Brasil)"
    ES = "es", "Español"
    PL = "pl", "Polski"
    EL = "el", "Ελληνικά"


class Role(models.TextChoices):
    """Staff roles; each is a Django group of the same name (see cxcrm.roles)."""

    SUPPORT_REP = "Support rep", _("Support rep")
    MARKETER = "Marketer", _("Marketer")
    MANAGER = "Manager", _("Manager")
    INTEGRATION = "Integration", _("Integration")
