from django.urls import NoReverseMatch, reverse

from .choices import Language
from .i18n import SESSION_KEY
from .navigation import nav_for
from .roles import is_api_only, user_roles


def navigation(request):
    """The navbar's items, roles and search link; worked out once per request and user, since every
    template rendered with the request (the page, each django-tables2 table in it) runs this again."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    cached = getattr(request, "_navigation", None)
    if cached is not None and cached[0] == user.pk:
        return cached[1]
    search_url = None
    if user.has_perm("customers.view_customer"):
        try:
            search_url = reverse("customers:customer_list")
        except NoReverseMatch:
            pass
    alerts_url = None
    if user.has_perm("alerts.view_alert") and not is_api_only(user):
        try:
            alerts_url = reverse("alerts:alert_list")
        except NoReverseMatch:
            pass
    context = {
        "nav_items": nav_for(user),
        "user_roles": user_roles(user),
        "search_url": search_url,
        "alerts_url": alerts_url,
        # The user menu's language chooser: each language in its own name, and the one chosen ("": browser's).
        "language_choices": Language.choices,
        "language_chosen": request.session.get(SESSION_KEY, "") if hasattr(request, "session") else "",
    }
    request._navigation = (user.pk, context)
    return context
