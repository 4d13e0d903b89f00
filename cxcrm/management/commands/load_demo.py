"""Load the demo: users per role, then each app's demo data, once.

Apps contribute a loader listed in settings.DEMO_LOADERS (a dotted path to a
function taking `seed`, `scale` and `stdout`); each loader skips what is there.
"""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string
from rest_framework.authtoken.models import Token

from cxcrm.db import tables_analyze
from cxcrm.demo import demo_users_create


class Command(BaseCommand):
    help = "Create demo users (one per role) and the apps' demo data; safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=42, help="random seed (same seed, same data)")
        parser.add_argument("--scale", type=int, default=1, help="multiply data volumes (benchmarks)")
        parser.add_argument("--users-only", action="store_true", help="only the demo users")

    def handle(self, *args, seed, scale, users_only, **options):
        users = demo_users_create()
        if not users_only:
            for dotted in getattr(settings, "DEMO_LOADERS", ()):
                loader = import_string(dotted)
                loader(seed=seed, scale=scale, stdout=self.stderr)
            # Fresh statistics for the first queries after the load (PostgreSQL; nothing elsewhere).
            tables_analyze()
        token = Token.objects.get(user__username="integration").key
        self.stdout.write("  Demo logins (user / password):")
        for username, password, role in users:
            self.stdout.write(f"    {username:<12} {password:<20} {role}")
        self.stdout.write(f"  API token of 'integration': {token}")
