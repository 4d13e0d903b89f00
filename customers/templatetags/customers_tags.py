"""Template helpers of the customers pages: channel icons and labels, SLA badges, query strings, amounts."""

from django import template

from cxcrm.choices import CHANNEL_ICONS, Channel, network_label, row_kind_label

from ..choices import SLA_STATE_LABELS, case_topic_label
from ..money import metadata_amount

register = template.Library()

SLA_COLOURS = {
    "breached": "danger",
    "due_soon": "warning",
    "on_track": "success",
    "paused": "secondary",
    "met": "success",
    "none": "light",
}


@register.filter
def channel_icon(channel: str) -> str:
    return CHANNEL_ICONS.get(channel, "three-dots")


@register.filter
def channel_label(channel: str) -> str:
    try:
        return Channel(channel).label
    except ValueError:
        return channel


@register.filter(name="network_label")
def network_label_filter(network: str) -> str:
    """A network by its proper name: "whatsapp" -> "WhatsApp" (cxcrm.choices.NETWORK_LABELS)."""
    return network_label(network)


@register.filter
def key_label(key: str) -> str:
    """A counted kind of rows in the reader's language: "lifecycle_changes" -> "Lifecycle stage changes"
    (cxcrm.choices.row_kind_label)."""
    return row_kind_label(key)


@register.inclusion_tag("customers/_sla_badge.html")
def sla_badge(case):
    state = getattr(case, "sla_state", "")
    colour, label = SLA_COLOURS.get(state, "light"), SLA_STATE_LABELS.get(state, "")
    return {"colour": colour, "label": label, "case": case}


@register.simple_tag(takes_context=True)
def query_with(context, **changes):
    """The current query string with some parameters replaced (None or "" removes them)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        params.pop(key, None)
        if value not in (None, ""):
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.filter
def amount(metadata) -> str:
    """An interaction's `metadata.amount` in its currency, formatted for the reader's language ("R$ 1.234,50");
    "" without one (customers.money.metadata_amount)."""
    return metadata_amount(metadata)


@register.filter
def topic_label(topic: str) -> str:
    """A case topic as a person reads it (customers.choices.case_topic_label)."""
    return case_topic_label(topic)
