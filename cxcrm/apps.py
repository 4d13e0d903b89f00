from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_roles(sender, using, **kwargs):
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Group, Permission

    # post_migrate is sent once per app; permissions of apps later in
    # INSTALLED_APPS may not exist yet, so create them all first (idempotent).
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    from .roles import sync_role_permissions

    sync_role_permissions(group_model=Group, permission_model=Permission)


def _create_cache_table(sender, using, **kwargs):
    # The embedded install's cache lives in a database table (cxcrm/cache.py): made after every
    # migrate, the test databases' included; nothing to do when the cache is Redis.
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=0)


class CxcrmConfig(AppConfig):
    name = "cxcrm"
    verbose_name = "cxcrm"

    def ready(self):
        post_migrate.connect(_sync_roles, sender=self, dispatch_uid="cxcrm.sync_roles")
        post_migrate.connect(_create_cache_table, sender=self, dispatch_uid="cxcrm.create_cache_table")
        from .audit import connect_receivers

        connect_receivers()
        from .api.authentication import connect_receivers as connect_token_cache_receivers

        connect_token_cache_receivers()
        from .i18n import connect_receivers as connect_language_receivers

        connect_language_receivers()
