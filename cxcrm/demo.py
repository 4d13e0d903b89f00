"""Demo users, one per role, shared by `load_demo` and the tests."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from rest_framework.authtoken.models import Token

from .choices import Role

DEMO_USERS = (
    # username, password, role (None: superuser), first name, last name, staff
    ("admin", "admin-demo-1", None, "Ada", "Admin", True),
    ("rep", "rep-demo-1", Role.SUPPORT_REP, "Rita", "Rep", True),
    ("rep2", "rep-demo-1", Role.SUPPORT_REP, "Sam", "Support", True),
    ("marketer", "marketer-demo-1", Role.MARKETER, "Mia", "Marketer", True),
    ("manager", "manager-demo-1", Role.MANAGER, "Max", "Manager", True),
    ("integration", "integration-demo-1", Role.INTEGRATION, "Ivo", "Integration", False),
)


def demo_users_create() -> list[tuple[str, str, str]]:
    """Create the demo users once (passwords are not reset on a second run).

    Returns (username, password, role label) for each.
    """
    User = get_user_model()
    rows = []
    for username, password, role, first, last, staff in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@example.com",
                "is_staff": staff,
                "is_superuser": role is None,
            },
        )
        if created:
            user.set_password(password)
            user.save(update_fields=["password"])
        if role is not None:
            user.groups.add(Group.objects.get(name=role))
        rows.append((username, password, role.label if role else "Administrator (superuser)"))
    Token.objects.get_or_create(user=User.objects.get(username="integration"))
    return rows
