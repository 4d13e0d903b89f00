"""Admin pieces shared by the apps."""


class ReadOnlyAdminMixin:
    """An audit or computed record: every field shown, nothing added, changed or deleted here.

    Rows change only through services (merges, survey delivery, rollups); the admin
    lets staff look, filter and search.
    """

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
