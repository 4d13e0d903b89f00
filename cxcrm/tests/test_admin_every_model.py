"""Every registered admin model answers every staff role without a server error: the list and the first
row's change page, whether the role may change the model, only view it, or neither (a view-only form has
no editable fields, so an admin that customises its form fields must not assume they are there)."""

import io

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from feedback.models import FeedbackSettings, HealthSettings


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo, loaded once for the module: rows in most admin models (read-only in these tests)."""
    with django_db_blocker.unblock():
        call_command("load_demo", stdout=io.StringIO(), stderr=io.StringIO())
        FeedbackSettings.load()
        HealthSettings.load()
    yield
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["rep", "marketer", "manager", "admin"])
def test_every_admin_list_and_change_page_answers_without_a_server_error(demo, username, django_user_model):
    user = django_user_model.objects.get(username=username)
    client = Client(raise_request_exception=False)
    client.force_login(user)
    failures = []
    for model in admin.site._registry:
        opts = model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        answer = client.get(changelist, follow=True)
        if answer.status_code >= 500:
            failures.append((changelist, answer.status_code))
        row = model._default_manager.order_by("pk").first()
        if row is None:
            continue
        change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[row.pk])
        answer = client.get(change)
        if answer.status_code >= 500:
            failures.append((change, answer.status_code))
    assert not failures, failures
