"""The health settings in the admin: one number per lifecycle stage, by its name, in the reader's format."""

import pytest
from django.urls import reverse
from django.utils import translation

from feedback.models import HealthSettings

pytestmark = pytest.mark.django_db


def form_data(page, **changes):
    """The change form's current values (as the browser would post them), with `changes`."""
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data = {name: ("" if value is None else value) for name, value in data.items()}
    return {**data, **changes}


def test_each_stage_has_its_own_field_named_by_its_label_in_portuguese(client, superuser):
    settings_row = HealthSettings.load()
    client.force_login(superuser)
    url = reverse("admin:feedback_healthsettings_change", args=[settings_row.pk])
    with translation.override("pt-br"):
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="pt-br")
    html = page.content.decode()
    assert page.status_code == 200
    from customers.choices import LifecycleStage

    with translation.override("pt-br"):
        at_risk = str(LifecycleStage.AT_RISK.label)
    assert at_risk != "At risk" and f">{at_risk}:<" in html  # the stage by its Portuguese label
    assert "&quot;at_risk&quot;" not in html  # no JSON box of stage codes
    assert 'name="lifecycle_points_at_risk"' in html and 'value="0,2"' in html  # Portuguese decimal comma


def test_saving_the_stage_numbers_stores_them_and_refuses_one_above_one(client, superuser):
    settings_row = HealthSettings.load()
    client.force_login(superuser)
    url = reverse("admin:feedback_healthsettings_change", args=[settings_row.pk])
    page = client.get(url)

    refused = client.post(url, form_data(page, lifecycle_points_at_risk="1.5"))
    assert refused.status_code == 200 and refused.context["adminform"].form.errors["lifecycle_points_at_risk"]
    assert HealthSettings.load().lifecycle_points["at_risk"] == 0.2

    saved = client.post(url, form_data(page, lifecycle_points_at_risk="0.1", lifecycle_points_lead="0.45"))
    assert saved.status_code == 302, saved.context["adminform"].form.errors if saved.context else saved
    points = HealthSettings.load().lifecycle_points
    assert (points["at_risk"], points["lead"], points["advocate"]) == (0.1, 0.45, 1.0)


def test_a_stage_given_minus_zero_is_stored_and_shown_again_as_zero(client, superuser):
    settings_row = HealthSettings.load()
    client.force_login(superuser)
    url = reverse("admin:feedback_healthsettings_change", args=[settings_row.pk])
    page = client.get(url)

    saved = client.post(url, form_data(page, lifecycle_points_churned="-0"))
    assert saved.status_code == 302, saved.context["adminform"].form.errors if saved.context else saved
    assert str(HealthSettings.load().lifecycle_points["churned"]) == "0.0"
    assert 'value="-0' not in client.get(url).content.decode()
