"""The staff's language: chosen per user (UserPreference.language), else the browser's, else LANGUAGE_CODE.

- `user_language(user)`: the language to address a user in where there is no browser (emails to staff).
- `user_language_set(user=, language=)`: stores the choice (the user menu's chooser).
- `UserLanguageMiddleware`: activates the signed-in user's choice on every request. It reads the choice
  from the session (copied there at login and when the user changes it), so a page costs no query more;
  without a choice, LocaleMiddleware's pick from Accept-Language stands.
"""

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.utils import translation

SESSION_KEY = "cxcrm_language"


def supported_language(code) -> str:
    """`code` when it is one of settings.LANGUAGES, else "" (the browser's language)."""
    return code if code in {c for c, _label in settings.LANGUAGES} else ""


def user_language(user) -> str:
    """The language to write to `user` in: their chosen one, else LANGUAGE_CODE (one query, none when the
    preference was read with select_related("preference"))."""
    from .models import UserPreference

    if user is None or not getattr(user, "pk", None):
        return settings.LANGUAGE_CODE
    try:
        chosen = user.preference.language
    except UserPreference.DoesNotExist:
        chosen = ""
    return supported_language(chosen) or settings.LANGUAGE_CODE


def user_language_set(*, user, language: str, request=None) -> str:
    """Store `user`'s language ("" for the browser's) and, given the request, use it from this response on.

    Returns the language stored. Raises ValueError for a code that is not one of settings.LANGUAGES.
    """
    from .models import UserPreference

    if language and not supported_language(language):
        raise ValueError(f"{language!r} is not a supported language.")
    UserPreference.objects.update_or_create(user=user, defaults={"language": language})
    if request is not None:
        request.session[SESSION_KEY] = language
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language
    return language


def _copy_choice_to_session(sender, request, user, **kwargs):
    """At login: the user's chosen language into the session (one query per login, none per page)."""
    from .models import UserPreference

    if request is None or not hasattr(request, "session"):
        return
    chosen = UserPreference.objects.filter(user=user).values_list("language", flat=True).first() or ""
    request.session[SESSION_KEY] = supported_language(chosen)


def connect_receivers() -> None:
    user_logged_in.connect(_copy_choice_to_session, dispatch_uid="cxcrm.i18n.language_at_login")


class UserLanguageMiddleware:
    """After AuthenticationMiddleware: the signed-in user's chosen language, when they chose one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        chosen = supported_language(session.get(SESSION_KEY, "")) if session is not None else ""
        if chosen and request.user.is_authenticated:
            translation.activate(chosen)
            request.LANGUAGE_CODE = chosen
        return self.get_response(request)
