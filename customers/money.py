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
from django.utils.translation import gettext

# The amounts taken on ingestion: |amount| < AMOUNT_LIMIT with at most AMOUNT_MAX_DECIMALS decimal places.
# Larger values are no order's amount and cannot be formatted (Decimal's 28 digits of precision).
AMOUNT_LIMIT = Decimal(10) ** 15
AMOUNT_MAX_DECIMALS = 6
# The `metadata ->> 'amount'` texts a query may cast to a number: a plain decimal of at most 15 integer digits
# (an amount_clean value). Rows stored before the bounds holding text ("12,50", "abc") or a huge number
# ("1e400", which PostgreSQL's cast to double precision refuses with an error) are left out of sums.
AMOUNT_SQL_PATTERN = r"^-?[0-9]{1,15}(\.[0-9]+)?$"


def currency_clean(value) -> str:
    """An ISO 4217 code upper-cased ("brl" -> "BRL"). Raises ValueError for anything else."""
    if not isinstance(value, str) or not is_currency(value.strip().upper()):
        message = gettext("“%(value)s” is not an ISO 4217 currency code (e.g. BRL, EUR, USD).")
        raise ValueError(message % {"value": value})
    return value.strip().upper()


def _not_an_amount(value) -> ValueError:
    return ValueError(gettext("“%(value)s” is not an amount (give a number, e.g. 12.50).") % {"value": value})


def amount_clean(value) -> Decimal:
    """A finite amount from a number or a numeric string ("12.50"), |amount| < AMOUNT_LIMIT (10^15) with at most
    AMOUNT_MAX_DECIMALS (6) decimal places. Raises ValueError for anything else."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise _not_an_amount(value)
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise _not_an_amount(value) from None
    if not amount.is_finite():
        raise _not_an_amount(value)
    if abs(amount) >= AMOUNT_LIMIT:
        message = gettext("“%(value)s” is out of range: an amount is less than 10^15 in absolute value.")
        raise ValueError(message % {"value": value})
    if amount != amount.quantize(Decimal(1).scaleb(-AMOUNT_MAX_DECIMALS), rounding="ROUND_DOWN"):
        message = gettext("“%(value)s” has more than %(max)s decimal places.")
        raise ValueError(message % {"value": value, "max": AMOUNT_MAX_DECIMALS})
    return amount


def metadata_amount(metadata, *, language: str | None = None) -> str:
    """The amount of an interaction's metadata formatted for `language` (default: the active one), e.g.
    "R$ 1.234,50"; "" when the metadata holds no number. A missing or unknown currency reads as
    settings.DEFAULT_CURRENCY. A number stored before amount_clean's bounds that cannot be formatted (1e28) is
    shown in scientific notation, followed by the currency code ("1E+28 EUR", the same whether the database kept
    it as a float or as an integer): a page never fails on a stored value."""
    if not isinstance(metadata, dict) or metadata.get("amount") in (None, ""):
        return ""
    raw = metadata["amount"]
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str, Decimal)):
        return ""
    try:
        amount = Decimal(str(raw).strip())
    except InvalidOperation:
        return ""
    if not amount.is_finite():
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
    try:
        return format_currency(amount, currency, locale=locale)
    except (ArithmeticError, ValueError):  # decimal.InvalidOperation beyond 28 digits, and the like
        return f"{amount.normalize():E} {currency}"
