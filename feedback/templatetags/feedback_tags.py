"""Template helpers of the CX pages."""

from django import template

from ..metrics.definitions import GRANULARITY_LABELS

register = template.Library()


@register.filter
def granularity_label(granularity: str) -> str:
    """A report's granularity ("week") in the reader's language ("Semana")."""
    return str(GRANULARITY_LABELS.get(granularity, granularity))
