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


@pytest.mark.django_db
def test_every_admin_list_and_change_page_answers_without_a_server_error(django_user_model):
    # The demo gives most admin models rows; loaded in the test's transaction, so it is rolled back after.
    call_command("load_demo", stdout=io.StringIO(), stderr=io.StringIO())
    FeedbackSettings.load()
    HealthSettings.load()
    for username in ("rep", "marketer", "manager", "admin"):
        failures = _server_errors(django_user_model.objects.get(username=username))
        assert not failures, (username, failures)


def _server_errors(user) -> list[tuple[str, int]]:
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
    return failures
