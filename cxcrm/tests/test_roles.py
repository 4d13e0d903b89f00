import pytest
from django.contrib.auth.models import Group

from cxcrm.choices import Role

pytestmark = pytest.mark.django_db


def test_every_role_is_a_group():
    assert set(Group.objects.values_list("name", flat=True)) >= {r.value for r in Role}


@pytest.mark.parametrize(
    ("role", "perm", "expected"),
    [
        (Role.MANAGER, "django_celery_beat.change_periodictask", True),
        (Role.SUPPORT_REP, "django_celery_beat.change_periodictask", False),
        (Role.INTEGRATION, "django_celery_beat.view_periodictask", False),
    ],
)
def test_role_permissions(role, perm, expected):
    from cxcrm.tests.factories import UserFactory

    user = UserFactory(role=role)
    assert user.has_perm(perm) is expected


def test_role_sync_keeps_permissions_added_by_hand():
    from django.contrib.auth.models import Permission

    from cxcrm.roles import sync_role_permissions

    group = Group.objects.get(name=Role.SUPPORT_REP)
    extra = Permission.objects.get(codename="view_group")
    group.permissions.add(extra)
    sync_role_permissions(group_model=Group, permission_model=Permission)
    assert group.permissions.filter(pk=extra.pk).exists()
