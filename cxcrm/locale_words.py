"""Words of Django's own catalogues that ours correct, listed here so `makemessages` keeps them.

Our catalogues (LOCALE_PATHS) are read before Django's, so an entry here wins over Django's:
month names are lower case in Portuguese (Django's pt-BR writes "4 de Dezembro de 2026"; the
right date is "4 de dezembro de 2026"). Spanish, Polish and Greek repeat Django's own words.
"""

from django.utils.translation import gettext_noop

MONTHS = [
    gettext_noop("January"),
    gettext_noop("February"),
    gettext_noop("March"),
    gettext_noop("April"),
    gettext_noop("May"),
    gettext_noop("June"),
    gettext_noop("July"),
    gettext_noop("August"),
    gettext_noop("September"),
    gettext_noop("October"),
    gettext_noop("November"),
    gettext_noop("December"),
]
