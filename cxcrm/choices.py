"""Vocabulary shared by several apps: the channels we meet customers through,
the staff roles, and the customer languages."""

import re

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


# Messaging apps and social networks are not channels of their own: an interaction on WhatsApp is a
# `chat` with network "whatsapp", a comment on Instagram is `social` with network "instagram", so that
# reports can count chat and social as a whole and break them down by network. These names are also
# accepted as a channel (the alias sets both); the list is documented in docs/api.md.
CHAT_NETWORKS = ("whatsapp", "telegram", "messenger", "line", "wechat", "signal", "viber")
SOCIAL_NETWORKS = ("instagram", "facebook", "tiktok", "x", "linkedin", "youtube")
# The networks' names as their owners write them (proper nouns: the same in every language).
NETWORK_LABELS = {
    "whatsapp": "WhatsApp",
    "telegram": "Telegram",
    "messenger": "Messenger",
    "line": "LINE",
    "wechat": "WeChat",
    "signal": "Signal",
    "viber": "Viber",
    "instagram": "Instagram",
    "facebook": "Facebook",
    "tiktok": "TikTok",
    "x": "X",
    "linkedin": "LinkedIn",
    "youtube": "YouTube",
}


def network_label(network: str) -> str:
    """A network as a person reads it: its proper name ("WhatsApp"), else as stored; "" for none."""
    return NETWORK_LABELS.get(network, network)


# The kinds of rows the merge preview and the erasure count, by the keys their counts carry (the API's too:
# "lifecycle_changes", "survey invitations"; spaces and underscores alike), as a person reads them.
ROW_KIND_LABELS = {
    "identities": _("Identities"),
    "interactions": _("Interactions"),
    "cases": _("Cases"),
    "notes": _("Notes"),
    "lifecycle_changes": _("Lifecycle stage changes"),
    "merged_customers": _("Merged customers"),
    "case_changes": _("Case changes"),
    "merge_suggestions": _("Merge suggestions"),
    "merge_records": _("Merge records"),
    "outbox_messages": _("Background event records"),
    "survey_invitations": _("Survey invitations"),
    "survey_responses": _("Survey responses"),
    "attention_notes": _("Needs attention notes"),
    "alerts": _("Alerts"),
    "webhook_deliveries": _("Webhook deliveries"),
}


def row_kind_label(key: str) -> str:
    """A counted kind of rows as words in the reader's language ("lifecycle_changes" -> "Lifecycle stage
    changes"); a key not listed in ROW_KIND_LABELS as its words ("foo_bars" -> "foo bars")."""
    key = str(key)
    label = ROW_KIND_LABELS.get(key.replace(" ", "_"))
    return str(label) if label is not None else key.replace("_", " ")


CHANNEL_ALIASES: dict[str, tuple[str, str]] = {
    **{network: (Channel.CHAT, network) for network in CHAT_NETWORKS},
    **{network: (Channel.SOCIAL, network) for network in SOCIAL_NETWORKS},
    "twitter": (Channel.SOCIAL, "x"),
    "fb": (Channel.SOCIAL, "facebook"),
    "text": (Channel.SMS, ""),
}
CHANNEL_UNKNOWN = _(
    '"%(value)s" is not a valid choice. Channels: %(channels)s; or a messaging app or social network, read as its '
    "channel: %(aliases)s (any case)."
)
# The codes CHANNEL_UNKNOWN lists (codes: the same in every language).
CHANNEL_UNKNOWN_PARAMS = {"channels": ", ".join(Channel.values), "aliases": ", ".join(CHANNEL_ALIASES)}


def channel_unknown(value) -> str:
    """The error for a channel name that names no channel (`value` as sent), in the active language, listing the
    channels and the aliases by their codes."""
    return str(CHANNEL_UNKNOWN) % {"value": value, **CHANNEL_UNKNOWN_PARAMS}


_CHANNEL_VALUES = frozenset(Channel.values)  # read once: `Channel.values` builds a new list on every access


def channel_parse(value) -> tuple[str, str] | None:
    """(channel, network) of a channel name as integrations send it, or None when it names no channel.

    Case and surrounding spaces do not matter ("Chat" is `chat`); an alias names its channel and network
    ("WhatsApp" -> ("chat", "whatsapp"), "instagram" -> ("social", "instagram")); a channel itself has
    no network (""). The one rule of every door that takes a channel name.
    """
    if not isinstance(value, str):
        return None
    key = value.strip().lower()
    if key in _CHANNEL_VALUES:
        return key, ""
    return CHANNEL_ALIASES.get(key)


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


# The supported language of a base language subtag, for tags without an exact match:
# "pt-PT" is read as Brazilian Portuguese until European Portuguese is supported.
_LANGUAGE_OF_BASE = {"en": Language.EN, "pt": Language.PT_BR, "es": Language.ES, "pl": Language.PL, "el": Language.EL}
_LANGUAGE_TAG = re.compile(r"^[a-z]{2,8}(-[a-z0-9]{1,8})*$")

LANGUAGE_UNSUPPORTED = (
    "“%(value)s” is not a supported language. Give a language tag (BCP 47, e.g. pt-BR, es-MX, en-US, pl-PL, "
    "el-GR) whose language is one of: " + ", ".join(Language.values) + "."
)


def language_best_match(tag) -> str | None:
    """The supported language (a Language value) that best serves a BCP 47 language tag, or None.

    The one rule for every door (API, bulk, import, forms, the customer model, the survey page):
    case does not matter and "_" is read as "-" ("PT_BR", "pt-BR", "pt-br" are the same); an exact
    supported code wins, then the tag with its last subtags dropped ("pt-BR-x-foo" -> "pt-br"), then
    the base language ("es-MX", "es-419" -> "es", "en-US" -> "en", "pt-PT" -> "pt-br").
    None for anything else: an unsupported language ("zh-Hant", "de"), a malformed tag, a non-string.
    """
    if not isinstance(tag, str):
        return None
    tag = tag.strip().replace("_", "-").lower()
    if not _LANGUAGE_TAG.match(tag):
        return None
    subtags = tag.split("-")
    for end in range(len(subtags), 0, -1):
        candidate = "-".join(subtags[:end])
        if candidate in Language.values:
            return candidate
    return _LANGUAGE_OF_BASE.get(subtags[0])


class Role(models.TextChoices):
    """Staff roles; each is a Django group of the same name (see cxcrm.roles)."""

    SUPPORT_REP = "Support rep", _("Support rep")
    MARKETER = "Marketer", _("Marketer")
    MANAGER = "Manager", _("Manager")
    INTEGRATION = "Integration", _("Integration")
