"""Create the two API users the schema fuzzer (scripts/api_fuzz.sh) signs in as, and print their tokens.

Prints two lines, ``integration <key>`` and ``superuser <key>``: an integration-role user (what an
integration may call) and a superuser (every operation). Safe to run again (same users, same tokens).
Run with the environment of the server under test (DATABASE_URL), from the repository root.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxcrm.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from cxcrm.roles import Role  # noqa: E402


def main() -> None:
    User = get_user_model()
    integration, _ = User.objects.get_or_create(username="fuzz-integration", defaults={"is_staff": False})
    integration.groups.add(Group.objects.get(name=Role.INTEGRATION))
    superuser, _ = User.objects.get_or_create(
        username="fuzz-superuser", defaults={"is_staff": True, "is_superuser": True}
    )
    for label, user in (("integration", integration), ("superuser", superuser)):
        token, _ = Token.objects.get_or_create(user=user)
        print(label, token.key)


if __name__ == "__main__":
    main()
