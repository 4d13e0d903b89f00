"""One permission class for every API endpoint (set as the DRF default).

Reads need the model's `view` permission (DRF's DjangoModelPermissions lets any
authenticated user read); writes need add/change/delete. A view may name the
permissions of a custom action in `action_permissions` ({"merge": [...]}) or,
without a queryset, all of its permissions in `required_permissions`.
"""

from rest_framework.permissions import DjangoModelPermissions


class RolePermission(DjangoModelPermissions):
    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
    }

    def has_permission(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return False
        action = getattr(view, "action", None)
        explicit = getattr(view, "action_permissions", {}) or {}
        if action in explicit:
            return request.user.has_perms(explicit[action])
        required = getattr(view, "required_permissions", None)
        if required is not None:
            return request.user.has_perms(required)
        return super().has_permission(request, view)
