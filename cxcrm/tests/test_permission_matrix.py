"""The permission matrix of docs/security.md, tested table-driven: every page, API endpoint and method,
and admin model answers each role (anonymous, rep, marketer, manager, integration, superuser) as the
matrix says. A page, endpoint, method or admin model that the matrix does not list fails the test, so a
new one cannot be added without deciding who may use it.

Cells: pages and API `✓` allowed (any answer but a refusal: 200, a redirect to the role's page, 400 for
missing input, 404 for the unknown id the test uses, 405), `✗` refused (403; the API's 401), `login`
(sent to the login page). Admin: the actions the role has on the model, `v`iew `a`dd `c`hange `d`elete, or
`–`. Row-level rules (a note's author, a rep's own answers) are checked in test_access_rules.py and
feedback/tests/test_response_scope.py; the matrix is the role level. To see the matrix as the code has it:
`CXCRM_PRINT_MATRIX=1 .venv/bin/pytest cxcrm/tests/test_permission_matrix.py -s`.
"""

import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "rep", "marketer", "manager", "integration", "superuser")
UNKNOWN = 999999
SKIPPED_PREFIXES = ("admin/", "media/", "^media/")


# --------------------------------------------------------------------------- the matrix in the docs


def documented(section: str) -> dict[str, dict[str, str]]:
    """{row key: {role: cell}} of the table under '### <section>' in docs/security.md's matrix."""
    text = (Path(settings.BASE_DIR) / "docs" / "security.md").read_text()
    matrix = text.split("## Permission matrix", 1)[1]
    body = matrix.split(f"### {section}\n", 1)[1].split("\n#", 1)[0]
    rows = {}
    for line in body.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != len(ROLES) + 1 or not cells[0].startswith("`"):
            continue
        rows[cells[0].strip("`")] = dict(zip(ROLES, cells[1:], strict=True))
    return rows


# --------------------------------------------------------------------------- what the code does


@pytest.fixture
def users(rep_user, marketer_user, manager_user, integration_user, superuser):
    return {
        "anonymous": None,
        "rep": rep_user,
        "marketer": marketer_user,
        "manager": manager_user,
        "integration": integration_user,
        "superuser": superuser,
    }


def _walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


def _fill(route: str) -> str:
    """A concrete path for a route: unknown ids, a made-up token."""
    path = re.sub(r"\(\?P<pk>[^)]*\)", str(UNKNOWN), route)
    path = re.sub(r"\(\?P<rest>[^)]*\)", "x", path)
    path = path.replace("^", "").replace("$", "")
    path = re.sub(r"<int:\w+>", str(UNKNOWN), path)
    path = re.sub(r"<(str:)?\w+>", "x", path)
    return "/" + path


def _key(route: str) -> str:
    """How the matrix names a route: its pattern without regex anchors, `{id}` for an object id."""
    key = route.replace("(?P<pk>[^/.]+)", "{id}").replace("(?P<rest>.*)", "{rest}")
    return "/" + key.replace("^", "").replace("$", "")


def page_routes() -> dict[str, str]:
    """{'<path as routed>': concrete path} of every page (not the admin, the API or media)."""
    routes = {}
    for route, _pattern in _walk(get_resolver().url_patterns):
        if route.startswith(SKIPPED_PREFIXES) or route.startswith("api/"):
            continue
        routes[_key(route)] = _fill(route)
    return routes


def api_routes() -> dict[str, tuple[str, str]]:
    """{'METHOD /api/route': (method, concrete path)} for every API route and method it serves."""
    routes = {}
    for route, pattern in _walk(get_resolver().url_patterns):
        if not route.startswith("api/") or r"\.(?P<format>" in route:
            continue
        view = pattern.callback
        actions = getattr(view, "actions", None)
        cls = getattr(view, "cls", None) or getattr(view, "view_class", None)
        methods = list(actions) if actions else ["get"]
        allowed = getattr(cls, "http_method_names", None) or []
        key_route = _key(route)
        for method in methods:
            if method in ("head", "options") or (allowed and method not in allowed):
                continue
            routes[f"{method.upper()} {key_route}"] = (method, _fill(route))
    return routes


def page_cell(client, path) -> str:
    response = client.get(path)
    if response.status_code == 403:
        return "✗"
    if response.status_code in (301, 302) and "/accounts/login/" in response.url:
        return "login"
    assert response.status_code < 500, (path, response.status_code)
    return "✓"


def api_cell(client, method, path) -> str:
    response = getattr(client, method)(path, {}, format="json")
    assert response.status_code < 500, (method, path, response.status_code)
    return "✗" if response.status_code in (401, 403) else "✓"


def admin_cell(model_admin, user) -> str:
    if user is None:
        return "–"
    request = RequestFactory().get("/admin/")
    request.user = user
    if not admin.site.has_permission(request):
        return "–"
    checks = (
        ("v", model_admin.has_view_permission),
        ("a", model_admin.has_add_permission),
        ("c", model_admin.has_change_permission),
        ("d", model_admin.has_delete_permission),
    )
    return "".join(letter for letter, allowed in checks if allowed(request)) or "–"


def observed(users, kind: str) -> dict[str, dict[str, str]]:
    rows: dict[str, dict[str, str]] = {}
    for role, user in users.items():
        if kind == "Pages":
            client = Client()
            if user:
                client.force_login(user)
            for key, path in page_routes().items():
                rows.setdefault(key, {})[role] = page_cell(client, path)
        elif kind == "API":
            client = APIClient()
            if user:
                client.force_authenticate(user)
            for key, (method, path) in api_routes().items():
                rows.setdefault(key, {})[role] = api_cell(client, method, path)
        else:
            for model, model_admin in admin.site._registry.items():
                key = f"{model._meta.app_label}.{model._meta.model_name}"
                rows.setdefault(key, {})[role] = admin_cell(model_admin, user)
    if os.environ.get("CXCRM_PRINT_MATRIX"):
        print(f"\n### {kind}\n")
        print("| " + " | ".join([kind[:-1] if kind != "API" else "endpoint", *ROLES]) + " |")
        print("|" + "---|" * (len(ROLES) + 1))
        for key in sorted(rows):
            print("| " + " | ".join([f"`{key}`", *(rows[key][r] for r in ROLES)]) + " |")
    return rows


# --------------------------------------------------------------------------- the tests


@pytest.mark.parametrize("kind", ["Pages", "API", "Admin"])
def test_every_door_is_in_the_matrix_and_answers_each_role_as_it_says(users, kind):
    have, want = observed(users, kind), documented(kind)
    missing = sorted(set(have) - set(want))
    assert not missing, f"not in docs/security.md's permission matrix ({kind}): {missing}"
    gone = sorted(set(want) - set(have))
    assert not gone, f"in the matrix but no longer routed ({kind}): {gone}"
    wrong = [
        (key, role, want[key][role], have[key][role])
        for key in want
        for role in ROLES
        if want[key][role] != have[key][role]
    ]
    assert not wrong, "(door, role, the matrix says, the code does):\n" + "\n".join(map(str, wrong))
