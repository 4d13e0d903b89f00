"""One permission class for every API endpoint (set as the DRF default).

Reads need the model's `view` permission (DRF's DjangoModelPermissions lets any
authenticated user read); writes need add/change/delete. A view may name the
permissions of a custom action in `action_permissions` ({"merge": [...]}) or,
without a queryset, all of its permissions in `required_permissions`. Writes to one
object also pass the view's `object_write_allowed(user, obj)` when it defines one.
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

    def has_object_permission(self, request, view, obj):
        """Writes to one object also pass the view's `object_write_allowed(user, obj)` when it has one
        (a note is changed by its author or a manager)."""
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        check = getattr(view, "object_write_allowed", None)
        return check is None or check(request.user, obj)
