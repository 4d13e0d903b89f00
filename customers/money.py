"""Amounts of interactions (an order, a purchase, a return): `metadata.amount` in `metadata.currency`.

The currency is an ISO 4217 code ("BRL", "EUR"), settings.DEFAULT_CURRENCY when absent; amounts are shown
in the reader's language with the currency's symbol and minor units (Babel's CLDR data: "R$ 1.234,50" in
Brazilian Portuguese, "€1,234.50" in English, "1.234 JP¥" in Greek).
"""

from decimal import Decimal, InvalidOperation

from babel.core import Locale, UnknownLocaleError
from babel.numbers import format_currency, is_currency
from django.conf import settings
from django.utils import translation


def currency_clean(value) -> str:
    """An ISO 4217 code upper-cased ("brl" -> "BRL"). Raises ValueError for anything else."""
    if not isinstance(value, str) or not is_currency(value.strip().upper()):
        raise ValueError(f"“{value}” is not an ISO 4217 currency code (e.g. BRL, EUR, USD).")
    return value.strip().upper()


def amount_clean(value) -> Decimal:
    """A finite amount from a number or a numeric string ("12.50"). Raises ValueError for anything else."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise ValueError(f"“{value}” is not an amount (give a number, e.g. 12.50).")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"“{value}” is not an amount (give a number, e.g. 12.50).") from None
    if not amount.is_finite():
        raise ValueError(f"“{value}” is not an amount (give a number, e.g. 12.50).")
    return amount


def metadata_amount(metadata, *, language: str | None = None) -> str:
    """The amount of an interaction's metadata formatted for `language` (default: the active one), e.g.
    "R$ 1.234,50"; "" when the metadata holds no valid amount. A missing or unknown currency reads as
    settings.DEFAULT_CURRENCY."""
    if not isinstance(metadata, dict) or metadata.get("amount") in (None, ""):
        return ""
    try:
        amount = amount_clean(metadata["amount"])
    except ValueError:
        return ""
    try:
        currency = currency_clean(metadata.get("currency") or settings.DEFAULT_CURRENCY)
    except ValueError:
        currency = settings.DEFAULT_CURRENCY
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    try:
        locale = Locale.parse(translation.to_locale(language))
    except (UnknownLocaleError, ValueError):
        locale = Locale.parse("en")
    return format_currency(amount, currency, locale=locale)
