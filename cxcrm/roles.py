"""Staff roles as Django groups, and the permissions each one holds.

The groups are created by a data migration (cxcrm 0001); their permissions are
kept in step with ROLE_PERMISSIONS after every `migrate` (post_migrate), so a
model added later is covered without a new migration. The sync only *adds*
permissions: what an administrator grants a group by hand stays.

A rule is (app_label, models, actions): models is "*" for every model of the
app (present and future) or a tuple of model names; actions are Django's
view/add/change/delete, or, with models="=", whole custom codenames.

ROLE_EXCLUSIONS names what a role must not hold although a wider rule above would give it
(reps write customer records, but not the SLA policies or the lifecycle history): the sync
removes those from the group, also when granted by hand or by an earlier version.
"""

from django.db.models import F, Q, Value
from django.db.models.functions import Concat

from .choices import Role

ALL = ("view", "add", "change", "delete")
WRITE = ("view", "add", "change")

ROLE_PERMISSIONS: dict[str, list[tuple[str, object, tuple[str, ...]]]] = {
    Role.SUPPORT_REP: [
        ("journeys", "*", ("view",)),
        ("customers", "*", WRITE),
        ("customers", "=", ("merge_customer",)),
        ("feedback", "*", ("view",)),
        ("feedback", "=", ("view_own_reports",)),
        ("alerts", ("alert",), ("view",)),
    ],
    Role.MARKETER: [
        ("journeys", "*", ALL),
        ("customers", ("customer", "identity", "interaction", "note"), ("view",)),
        ("feedback", "*", ("view",)),
        ("feedback", ("survey", "surveyquestion", "surveytext", "surveyrule", "questionchoice"), ALL),
        ("feedback", "=", ("view_marketing_reports",)),
        ("alerts", ("alert",), ("view",)),
    ],
    Role.MANAGER: [
        ("journeys", "*", ("view",)),
        ("customers", "*", WRITE),
        ("customers", "=", ("merge_customer", "erase_customer")),
        ("feedback", "*", ("view",)),
        ("feedback", "=", ("view_reports", "view_marketing_reports", "view_own_reports")),
        ("feedback", ("feedbacksettings", "healthsettings"), ("view", "change")),
        ("django_celery_beat", "*", ALL),
        # CSV/Excel of customer-level rows (the drill-downs); grantable to marketers in the admin.
        ("cxcrm", "=", ("export_customer_rows",)),
        ("cxcrm", ("auditevent",), ("view",)),
        ("alerts", ("alert",), ("view",)),
        ("alerts", ("alertrule",), ALL),
    ],
    Role.INTEGRATION: [
        ("journeys", "*", ("view",)),
        ("customers", ("customer",), ("view",)),
        ("customers", ("interaction", "case", "note"), WRITE),
        ("feedback", ("invitation",), ("view", "add")),
        # POST /api/invitations/ names a survey: the integration must be able to list them.
        ("feedback", ("survey",), ("view",)),
    ],
}

# Exporting customer-level rows (the drill-downs' CSV and Excel), apart from reading them on the page.
EXPORT_ROWS_PERMISSION = "cxcrm.export_customer_rows"

# Roles whose users work through the API only (their token): the login form refuses them and the staff
# pages answer 403 even to a session (cxcrm.forms.StaffAuthenticationForm, cxcrm.views.StaffPermissionMixin).
API_ONLY_ROLES = frozenset({Role.INTEGRATION})
# Roles that may change other users' records where a record belongs to its author (notes).
OTHERS_RECORDS_ROLES = frozenset({Role.MANAGER})

# Taken away after the rules above (same rule format): the SLA policies are the managers' settings, and the
# lifecycle history is the input of churn, written by the services when a stage changes, never by hand.
ROLE_EXCLUSIONS: dict[str, list[tuple[str, object, tuple[str, ...]]]] = {
    Role.SUPPORT_REP: [
        ("customers", ("slapolicy", "lifecyclechange"), ("add", "change", "delete")),
    ],
}

# Where each role lands after login (a URL name; the first that resolves wins).
ROLE_HOME: dict[str, tuple[str, ...]] = {
    Role.SUPPORT_REP: ("customers:my_work",),
    Role.MARKETER: ("journeys:map_list",),
    Role.MANAGER: ("feedback:report_overview",),
    Role.INTEGRATION: ("api-docs",),
}


def _rule_query(app_label: str, models, actions) -> Q:
    if models == "=":
        return Q(content_type__app_label=app_label, codename__in=actions)
    if models == "*":
        # Default permissions only (`<action>_<model>`): custom codenames such as
        # feedback's `view_reports` start with an action too but are granted by name.
        query = Q()
        for action in actions:
            query |= Q(codename=Concat(Value(f"{action}_"), F("content_type__model")))
        return Q(content_type__app_label=app_label) & query
    codenames = [f"{action}_{model}" for model in models for action in actions]
    return Q(content_type__app_label=app_label, content_type__model__in=models, codename__in=codenames)


def sync_role_permissions(*, group_model, permission_model) -> None:
    """Create the role groups if needed, add every permission the rules name and remove the exclusions."""
    for role, rules in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=role)
        query = Q(pk__in=[])
        for app_label, models, actions in rules:
            query |= _rule_query(app_label, models, actions)
        group.permissions.add(*permission_model.objects.filter(query))
        excluded = Q(pk__in=[])
        for app_label, models, actions in ROLE_EXCLUSIONS.get(role, []):
            excluded |= _rule_query(app_label, models, actions)
        group.permissions.remove(*permission_model.objects.filter(excluded))


def is_api_only(user) -> bool:
    """True for a signed-in user whose roles are all API-only (an integration); never a superuser."""
    if not user.is_authenticated or user.is_superuser:
        return False
    roles = set(user_roles(user))
    return bool(roles) and roles <= API_ONLY_ROLES


def may_change_others_records(user) -> bool:
    """True when the user may change records another user authored: superusers and OTHERS_RECORDS_ROLES."""
    return user.is_superuser or bool(set(user_roles(user)) & OTHERS_RECORDS_ROLES)


def may_change_record(user, owner_id) -> bool:
    """True when the user may change a record that belongs to the user `owner_id` (its author, agent,
    visitor): its owner, a superuser or an OTHERS_RECORDS_ROLES holder. A record of nobody is nobody's own."""
    return (owner_id is not None and owner_id == user.pk) or may_change_others_records(user)


def user_roles(user) -> list[str]:
    """The role names a user holds, in the order of Role; read once per user object (one request)."""
    if not user.is_authenticated:
        return []
    cached = getattr(user, "_cxcrm_roles", None)
    if cached is None:
        names = {group.name for group in user.groups.all()}
        cached = user._cxcrm_roles = [role.value for role in Role if role.value in names]
    return list(cached)
