from django.urls import NoReverseMatch, reverse

from .navigation import nav_for
from .roles import user_roles


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    search_url = None
    if user.has_perm("customers.view_customer"):
        try:
            search_url = reverse("customers:customer_list")
        except NoReverseMatch:
            pass
    return {"nav_items": nav_for(user), "user_roles": user_roles(user), "search_url": search_url}
