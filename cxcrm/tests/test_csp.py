"""The Content Security Policy header: on every page, strict outside the admin, and templates that need
nothing more (no inline script, no style attribute or element)."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import path as url_path
from django.urls import reverse

pytestmark = pytest.mark.django_db

STRICT = "script-src 'self'; style-src 'self'"


def policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: " ".join(part.split()[1:]) for part in header.split("; ")}


@pytest.mark.parametrize("path", ["/accounts/login/", "/s/unknown/", "/api/docs/", "/customers/", "/reports/"])
def test_every_page_gets_the_strict_policy(client, manager_user, path):
    client.force_login(manager_user)
    rules = policy(client.get(path))
    assert rules["default-src"] == "'self'"
    assert rules["script-src"] == "'self'"
    assert rules["style-src"] == "'self'"
    assert rules["object-src"] == "'none'"
    assert rules["frame-ancestors"] == "'none'"
    assert rules["form-action"] == "'self'"


def test_the_admin_gets_inline_scripts_and_styles_and_nothing_else_more(client, superuser):
    client.force_login(superuser)
    rules = policy(client.get(reverse("admin:index")))
    assert rules["script-src"] == "'self' 'unsafe-inline'"
    assert rules["style-src"] == "'self' 'unsafe-inline'"
    assert rules["object-src"] == "'none'"


def test_the_swagger_page_loads_its_script_from_a_file(client, manager_user):
    client.force_login(manager_user)
    html = client.get("/api/docs/").content.decode()
    assert "<style" not in html
    assert re.search(r"<script>", html) is None
    script = client.get("/api/docs/?script")
    assert script.status_code == 200 and b"SwaggerUIBundle" in script.content


def _broken(request):
    raise RuntimeError("broken on purpose")


urlpatterns = [url_path("broken/", _broken)]


@pytest.mark.urls(__name__)
def test_the_500_page_may_style_itself_inline_and_run_no_script(settings):
    settings.DEBUG = False
    response = Client(raise_request_exception=False).get("/broken/")
    assert response.status_code == 500
    assert b"Something went wrong" in response.content
    rules = policy(response)
    assert rules["style-src"] == "'self' 'unsafe-inline'"
    assert rules["script-src"] == "'self'"


# Emails are not pages (mail clients need inline styles); the 500 page carries its own <style> on purpose.
NOT_PAGES = ("/email/", "500.html")


def _templates():
    root = Path(settings.BASE_DIR) / "templates"
    return [p for p in root.rglob("*.html") if not any(part in str(p) for part in NOT_PAGES)]


@pytest.mark.parametrize("template", _templates(), ids=lambda p: str(p.relative_to(settings.BASE_DIR)))
def test_templates_have_no_inline_script_or_style(template):
    text = template.read_text()
    assert not re.search(r"\sstyle=", text), "a style attribute: use a class in our CSS"
    assert not re.search(r"<style", text), "a <style> element: use our CSS files"
    assert not re.search(r"\son[a-z]+=", text), "an event handler attribute: use a static script"
    for tag in re.findall(r"<script\b[^>]*>", text):
        assert "src=" in tag or "application/json" in tag, f"an inline script: {tag}"
