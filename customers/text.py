"""Folding text for accent- and case-insensitive search, the same on SQLite and PostgreSQL.

`unaccent()` exists only on PostgreSQL and cannot be indexed directly, so names are folded in Python when
they are written (Customer.search_name) and search terms the same way when they are read.
"""

import unicodedata

# Letters that are not a base letter plus combining marks, so NFKD leaves them as they are.
_LETTERS = str.maketrans(
    {
        "ł": "l",
        "đ": "d",
        "ð": "d",
        "ø": "o",
        "æ": "ae",
        "œ": "oe",
        "þ": "th",
        "ı": "i",
        "ħ": "h",
        "ŀ": "l",
    }
)


def search_fold(text: str) -> str:
    """Text as search compares it: case-folded, accents and other marks removed (Latin diacritics, the
    Greek tonos and dialytika), ł -> l, ß -> ss, final ς -> σ, and runs of white space made one space.

    "Hugo Pérez" -> "hugo perez", "Julia Wójcik" -> "julia wojcik", "Łukasz" -> "lukasz",
    "Γιώργος" -> "γιωργοσ", "Muñoz" -> "munoz".
    """
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.translate(_LETTERS).split())
