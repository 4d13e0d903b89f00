"""Every door where a date, a time or a date-time comes in holds it to the bounds of cxcrm.validators (years
1970 to 2100, UTC offsets within ±14:00): the filters of every API list and of the pages, the API bodies, the
page forms. A value out of bounds is a 400 naming the field (a form error on a page), never a 500."""

import importlib
from datetime import UTC, datetime

import django_filters
import pytest
from django import forms
from django.apps import apps
from django.urls import reverse
from django.utils import timezone
from rest_framework import serializers

from customers.tests.factories import CaseFactory, CustomerFactory
from cxcrm.fields import (
    BoundedDateFilter,
    BoundedIsoDateTimeFilter,
    DaySerializerField,
    InstantSerializerField,
    StorableDictField,
    StorableJSONField,
)

pytestmark = pytest.mark.django_db

# The issue's inputs, each with a word of the message that names what is wrong.
BAD_INSTANTS = {
    "offset -21:00": ("2024-01-01T00:00:00-21:00", "-21:00 is outside -14:00 to +14:00"),
    "year 1 at +01:00": ("0001-01-01T00:00:00+01:00", "between 1970-01-01 and 2100-12-31"),
    "year 9999 at -12:00": ("9999-12-31T23:59:59-12:00", "between 1970-01-01 and 2100-12-31"),
    "garbage": ("last tuesday", "wrong format"),
    "offset +25:00": ("2024-01-01T00:00:00+25:00", "wrong format"),
}
BAD_DAYS = {
    "year 1": ("0001-01-01", "between 1970-01-01 and 2100-12-31"),
    "year 9999": ("9999-12-31", "between 1970-01-01 and 2100-12-31"),
    "garbage": ("2024-13-45", "Enter a valid date"),
}
APPS = ("customers", "feedback", "journeys", "cxcrm")


def _filtersets() -> list[type[django_filters.FilterSet]]:
    for app in APPS:
        try:
            importlib.import_module(f"{app}.filtersets")
        except ModuleNotFoundError:
            pass
    found, stack = [], [django_filters.FilterSet]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            stack.append(sub)
            if sub.__module__.split(".")[0] in APPS:
                found.append(sub)
    return found


def _date_filters() -> list[tuple[type, str, django_filters.Filter]]:
    return [
        (filterset, name, f)
        for filterset in _filtersets()
        for name, f in filterset.base_filters.items()
        if issubclass(f.field_class, forms.DateField | forms.DateTimeField)
    ]


# --------------------------------------------------------------------------- every FilterSet


def test_every_date_filter_of_every_filterset_is_bounded():
    """A new date filter that forgets the bounds fails here."""
    filters = _date_filters()
    assert len({(fs.__name__, name) for fs, name, _ in filters}) >= 16
    unbounded = [
        f"{fs.__name__}.{name}"
        for fs, name, f in filters
        if not isinstance(f, BoundedIsoDateTimeFilter | BoundedDateFilter)
    ]
    assert unbounded == [], unbounded


@pytest.mark.parametrize(("value", "message"), BAD_INSTANTS.values(), ids=BAD_INSTANTS.keys())
def test_every_date_time_filter_names_itself_for_a_value_out_of_bounds(value, message):
    checked = 0
    for filterset, name, f in _date_filters():
        if isinstance(f, BoundedIsoDateTimeFilter):
            bound = filterset({name: value}, queryset=filterset._meta.model.objects.none())
            assert not bound.is_valid(), f"{filterset.__name__}.{name}"
            assert message in " ".join(bound.errors[name]), f"{filterset.__name__}.{name}"
            checked += 1
    assert checked >= 14


@pytest.mark.parametrize(("value", "message"), BAD_DAYS.values(), ids=BAD_DAYS.keys())
def test_every_date_filter_names_itself_for_a_value_out_of_bounds(value, message):
    checked = 0
    for filterset, name, f in _date_filters():
        if isinstance(f, BoundedDateFilter):
            bound = filterset({name: value}, queryset=filterset._meta.model.objects.none())
            assert message in " ".join(bound.errors[name]), f"{filterset.__name__}.{name}"
            checked += 1
    assert checked >= 2


# --------------------------------------------------------------------------- the API's lists


def _api_date_filters() -> list[tuple[str, str, bool]]:
    """(list path, filter name, whether it takes a date-time) of every date filter of every API list."""
    from customers.api.urls import router as customers_router
    from feedback.api.urls import router as feedback_router
    from journeys.api.urls import router as journeys_router

    found = []
    for router in (journeys_router, customers_router, feedback_router):
        for prefix, viewset, _ in router.registry:
            filterset = getattr(viewset, "filterset_class", None)
            for name, f in (filterset.base_filters if filterset else {}).items():
                if isinstance(f, BoundedIsoDateTimeFilter | BoundedDateFilter):
                    found.append((f"/api/{prefix}/", name, isinstance(f, BoundedIsoDateTimeFilter)))
    return found


def test_the_api_lists_have_the_date_filters_the_issue_counted():
    filters = _api_date_filters()
    assert {path for path, _, _ in filters} >= {
        "/api/customers/",
        "/api/interactions/",
        "/api/cases/",
        "/api/invitations/",
        "/api/responses/",
    }
    assert len(filters) >= 14  # and the timeline's two, below


@pytest.mark.parametrize(("value", "message"), BAD_INSTANTS.values(), ids=BAD_INSTANTS.keys())
def test_every_api_date_time_filter_answers_a_400_naming_it(api_as, superuser, value, message):
    client = api_as(superuser)
    customer = CustomerFactory()
    checked = []
    for path, name, takes_time in _api_date_filters():
        if not takes_time:
            continue
        response = client.get(path, {name: value})
        assert response.status_code == 400, (path, name, response.content[:200])
        assert message in " ".join(response.json()[name]), (path, name)
        checked.append(name)
    for name in ("occurred_after", "occurred_before"):
        response = client.get(f"/api/customers/{customer.pk}/timeline/", {name: value})
        assert response.status_code == 400 and message in " ".join(response.json()[name])
        checked.append(name)
    assert len(checked) >= 16


@pytest.mark.parametrize(("value", "message"), BAD_DAYS.values(), ids=BAD_DAYS.keys())
def test_every_api_date_filter_answers_a_400_naming_it(api_as, superuser, value, message):
    client = api_as(superuser)
    for path, name, takes_time in _api_date_filters():
        if takes_time:
            continue
        response = client.get(path, {name: value})
        assert response.status_code == 400, (path, name)
        assert message in " ".join(response.json()[name])


def test_the_issue_case_filter_with_offset_minus_21_is_a_400_naming_opened_after(api_as, superuser):
    response = api_as(superuser).get("/api/cases/?opened_after=2024-01-01T00:00:00-21:00")

    assert response.status_code == 400
    assert response.json() == {"opened_after": ["The UTC offset -21:00 is outside -14:00 to +14:00."]}


def test_a_filter_within_bounds_filters_and_one_without_offset_is_read_in_the_site_time_zone(
    api_as, superuser, settings
):
    settings.TIME_ZONE = "America/Sao_Paulo"
    early = CaseFactory(opened_at=datetime(2024, 1, 1, 2, 0, tzinfo=UTC))  # 2023-12-31 23:00 in São Paulo
    late = CaseFactory(opened_at=datetime(2024, 1, 1, 4, 0, tzinfo=UTC))  # 2024-01-01 01:00 in São Paulo
    client = api_as(superuser)

    with_offset = client.get("/api/cases/", {"opened_after": "2024-01-01T00:00:00-03:00"})
    without = client.get("/api/cases/", {"opened_after": "2024-01-01T00:00:00"})
    plain_date = client.get("/api/cases/", {"opened_after": "2024-01-01"})

    for response in (with_offset, without, plain_date):
        assert response.status_code == 200, response.content
        assert [c["id"] for c in response.json()["results"]] == [late.pk]
    both = client.get("/api/cases/", {"opened_after": "1970-01-01T00:00:00Z", "opened_before": "2100-12-31T23:59Z"})
    assert {c["id"] for c in both.json()["results"]} == {early.pk, late.pk}


def test_a_timeline_cursor_edited_out_of_bounds_is_a_400(api_as, superuser):
    import base64
    import json

    customer = CustomerFactory()
    payload = json.dumps({"t": "9999-12-31T23:59:59-12:00", "i": 1, "d": "n"}).encode()
    cursor = base64.urlsafe_b64encode(payload).decode().rstrip("=")

    response = api_as(superuser).get(f"/api/customers/{customer.pk}/timeline/", {"cursor": cursor})

    assert response.status_code == 400
    assert response.json() == {"cursor": ["Invalid cursor."]}


# --------------------------------------------------------------------------- the pages


@pytest.mark.parametrize(("value", "message"), BAD_INSTANTS.values(), ids=BAD_INSTANTS.keys())
def test_the_customers_and_cases_pages_show_a_form_error_for_a_filter_out_of_bounds(
    client, manager_user, value, message
):
    CaseFactory(subject="Still listed")
    client.force_login(manager_user)

    customers = client.get(reverse("customers:customer_list"), {"created_after": value})
    cases = client.get(reverse("customers:case_list"), {"opened_after": value})

    assert customers.status_code == 200
    assert "created_after" in customers.content.decode() and message in customers.content.decode()
    assert cases.status_code == 200
    assert "opened_after" in cases.content.decode() and message in cases.content.decode()


@pytest.mark.parametrize(("value", "message"), BAD_INSTANTS.values(), ids=BAD_INSTANTS.keys())
@pytest.mark.parametrize("name", ["customers:customer_detail", "customers:timeline"])
def test_the_customer_page_and_its_timeline_ignore_a_filter_or_cursor_out_of_bounds(
    client, manager_user, name, value, message
):
    import base64
    import json

    customer = CustomerFactory()
    cursor = base64.urlsafe_b64encode(json.dumps({"t": value, "i": 1, "d": "n"}).encode()).decode()
    client.force_login(manager_user)

    response = client.get(reverse(name, args=[customer.pk]), {"occurred_after": value, "cursor": cursor})

    assert response.status_code == 200


@pytest.mark.parametrize("export", ["customers:case_export", "customers:case_export_xlsx"])
@pytest.mark.parametrize(("value", "message"), BAD_INSTANTS.values(), ids=BAD_INSTANTS.keys())
def test_the_cases_export_refuses_a_filter_out_of_bounds_instead_of_a_file_of_only_its_header(
    client, manager_user, export, value, message
):
    CaseFactory()
    client.force_login(manager_user)

    response = client.get(reverse(export), {"opened_after": value})

    assert response.status_code == 400
    assert response.content.decode().startswith("opened_after: ") and message in response.content.decode()


def test_the_journey_map_period_refuses_a_date_out_of_bounds(client, manager_user):
    from journeys.forms import PeriodForm

    form = PeriodForm({"period": "custom", "start": "0001-01-01", "end": "9999-12-31"})

    assert not form.is_valid()
    assert "between 1970-01-01 and 2100-12-31" in " ".join(form.errors["start"])
    assert "between 1970-01-01 and 2100-12-31" in " ".join(form.errors["end"])


# --------------------------------------------------------------------------- API bodies


# Serializers that only describe a response (never read a body).
RESPONSE_ONLY = {"BulkItemResultSerializer", "BulkResultSerializer", "MergePreviewSerializer"}


def _serializer_classes() -> list[type[serializers.Serializer]]:
    for app in ("customers", "feedback", "journeys"):
        importlib.import_module(f"{app}.api.serializers")
    found, stack = [], [serializers.BaseSerializer]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            stack.append(sub)
            ours = sub.__module__.split(".")[0] in APPS[:3] and sub.__module__.endswith("api.serializers")
            if ours and sub.__name__ not in RESPONSE_ONLY:
                found.append(sub)
    return found


def _writable_fields(serializer, path=""):
    for name, field in serializer.fields.items():
        if field.read_only:
            continue
        yield f"{path}{name}", field
        inner = getattr(field, "child", None)
        if isinstance(field, serializers.ListSerializer):
            inner = field.child
        if isinstance(inner, serializers.Serializer):
            yield from _writable_fields(inner, f"{path}{name}.")
        if isinstance(field, serializers.Serializer):
            yield from _writable_fields(field, f"{path}{name}.")


def test_every_writable_date_time_date_and_json_field_of_the_api_is_bounded():
    """A serializer that declares a plain DateTimeField, DateField, JSONField or DictField fails here."""
    classes = _serializer_classes()
    assert len(classes) >= 20
    pairs = (
        (serializers.DateTimeField, InstantSerializerField),
        (serializers.DateField, DaySerializerField),
        (serializers.JSONField, StorableJSONField),
        (serializers.DictField, StorableDictField),
    )
    unbounded = [
        f"{cls.__name__}.{name}"
        for cls in classes
        for name, field in _writable_fields(cls())
        for plain, bounded in pairs
        if isinstance(field, plain) and not isinstance(field, bounded)
    ]
    assert unbounded == [], unbounded


CASE_OPENED_AT = {
    **BAD_INSTANTS,
    "no offset": ("2024-05-01T10:00:00", "Give the time zone"),
    "a date": ("2024-05-01", "Give the time zone"),
}


@pytest.mark.parametrize(("value", "message"), CASE_OPENED_AT.values(), ids=CASE_OPENED_AT.keys())
def test_a_case_opened_at_out_of_bounds_or_without_offset_is_a_400(api_as, superuser, value, message):
    customer = CustomerFactory()

    response = api_as(superuser).post(
        "/api/cases/", {"customer": customer.pk, "subject": "x", "opened_at": value}, format="json"
    )

    assert response.status_code == 400
    assert message in " ".join(response.json()["opened_at"])


def test_a_case_opened_at_with_its_offset_is_stored_in_utc(api_as, superuser):
    customer = CustomerFactory()

    response = api_as(superuser).post(
        "/api/cases/",
        {"customer": customer.pk, "subject": "x", "opened_at": "2024-05-01T10:00:00-03:00"},
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["opened_at"].startswith("2024-05-01T13:00:00")


def test_the_model_serializer_base_maps_every_date_time_field_of_the_models():
    from cxcrm.api.serializers import ModelSerializer

    assert (
        ModelSerializer.serializer_field_mapping[
            apps.get_model("customers", "Case")._meta.get_field("opened_at").__class__
        ]
        is InstantSerializerField
    )
    assert timezone.is_aware(InstantSerializerField().to_internal_value("2024-05-01T10:00:00+14:00"))


# --------------------------------------------------------------------------- the admin


def _admin_form_fields(request):
    """(label, model field, form field) of every date, date-time and JSON field the admin's add forms (and
    their inlines, nested ones too) edit, for our apps' models."""
    from django.contrib import admin

    def walk(model_admin, label):
        form = model_admin.get_formset(request, None).form if hasattr(model_admin, "get_formset") else None
        form = form or model_admin.get_form(request, None)
        for name, field in form.base_fields.items():
            if isinstance(field, forms.DateField | forms.DateTimeField | forms.SplitDateTimeField | forms.JSONField):
                yield f"{label}.{name}", field
        inlines = getattr(model_admin, "get_inline_instances", None)
        for inline in inlines(request, None) if inlines else ():
            yield from walk(inline, f"{label}>{inline.model.__name__}")

    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label in APPS:
            yield from walk(model_admin, model.__name__)


def test_every_admin_date_time_and_json_field_refuses_what_the_api_refuses(rf, superuser):
    """A new admin form that edits a date-time or a JSON value without the bounds fails here."""
    request = rf.get("/")
    request.user = superuser
    fields = list(_admin_form_fields(request))
    assert {label for label, _ in fields} >= {
        "Case.opened_at",
        "Interaction.occurred_at",
        "Interaction.metadata",
    }
    unbounded = []
    for label, field in fields:
        if isinstance(field, forms.JSONField):
            bad = '{"pl": "a\\u0000b"}'
        elif isinstance(field, forms.SplitDateTimeField):
            bad = ["9999-12-31", "23:59:59"]
        elif isinstance(field, forms.DateTimeField):
            bad = "9999-12-31T23:59:59"
        else:
            bad = "0001-01-01"
        try:
            field.clean(bad)
        except forms.ValidationError:
            continue
        unbounded.append(label)
    assert unbounded == []


def test_the_admins_translation_fields_refuse_what_the_database_cannot_store(rf, superuser):
    """Question and choice translations are one text field per language in the admin (no JSON box): each
    refuses NUL and a lone surrogate as every other text does, so saving never fails in the database."""
    from feedback.admin import TRANSLATION_FIELDS

    request = rf.get("/")
    request.user = superuser
    forms_seen = 0
    for model_admin in _admin_and_inlines(request):
        form = model_admin.get_formset(request, None).form if hasattr(model_admin, "get_formset") else None
        form = form or model_admin.get_form(request, None)
        names = [name for name in TRANSLATION_FIELDS if name in form.base_fields]
        if not names:
            continue
        forms_seen += 1
        for name in names:
            for bad in ("a\x00b", "a\ud800b"):
                with pytest.raises(forms.ValidationError):
                    form.base_fields[name].clean(bad)
            assert form.base_fields[name].clean("Olá") == "Olá"
    assert forms_seen == 2  # the question and the choice


def _admin_and_inlines(request):
    from django.contrib import admin

    def walk(model_admin):
        yield model_admin
        inlines = getattr(model_admin, "get_inline_instances", None)
        for inline in inlines(request, None) if inlines else ():
            yield from walk(inline)

    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label in APPS:
            yield from walk(model_admin)


def test_an_admin_case_opened_in_the_year_1_is_a_form_error(client, superuser):
    customer = CustomerFactory()
    client.force_login(superuser)

    response = client.post(
        reverse("admin:customers_case_add"),
        {
            "customer": customer.pk,
            "subject": "Old",
            "origin": "email",
            "priority": "normal",
            "status": "new",
            "opened_at_0": "0001-01-01",
            "opened_at_1": "00:00:00",
            "source": "admin",
        },
    )

    assert response.status_code == 200
    assert "Give a time between 1970-01-01 and 2100-12-31 (UTC)." in response.content.decode()


def _admins_with_a_date_hierarchy():
    from django.contrib import admin

    return [
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in APPS and model_admin.date_hierarchy
    ]


def test_the_admin_lists_with_a_date_hierarchy_are_all_walked_below():
    names = {model.__name__ for model, _ in _admins_with_a_date_hierarchy()}
    assert names >= {"Customer", "Case", "Interaction", "LifecycleChange", "Invitation", "Response", "AuditEvent"}


@pytest.mark.parametrize(
    "suffix, value",
    [
        ("__year", "99999999999999999999"),
        ("__year", "0"),
        ("__month", "13"),
        ("__gte", "0001-01-01 00:00:00+01:00"),
        ("__lt", "9999-12-31 23:59:59-12:00"),
        ("__gte", "2024-01-01T00:00:00-21:00"),
    ],
)
def test_every_admin_list_answers_a_date_parameter_out_of_bounds_with_its_invalid_filter_page(
    client, superuser, suffix, value
):
    client.force_login(superuser)
    for model, model_admin in _admins_with_a_date_hierarchy():
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        response = client.get(url, {f"{model_admin.date_hierarchy}{suffix}": value})
        assert response.status_code == 302, (model.__name__, response.status_code)
        assert response["Location"].endswith("?e=1")


def test_an_admin_list_within_bounds_still_filters(client, superuser):
    CaseFactory(subject="In 2024", opened_at=datetime(2024, 3, 1, tzinfo=UTC))
    client.force_login(superuser)

    response = client.get(reverse("admin:customers_case_changelist"), {"opened_at__year": "2024"})

    assert response.status_code == 200 and "In 2024" in response.content.decode()


# --------------------------------------------------------------------------- number filters


def test_every_number_filter_of_every_filterset_is_bounded_to_64_bit_integers():
    """A number filter beyond the database's integers (an overflow on SQLite) is a 400 naming it."""
    from cxcrm.fields import BoundedNumberFilter

    found = [
        (filterset, name)
        for filterset in _filtersets()
        for name, f in filterset.base_filters.items()
        if isinstance(f, django_filters.NumberFilter)
    ]
    assert len(found) >= 20
    for filterset, name in found:
        assert isinstance(filterset.base_filters[name], BoundedNumberFilter), f"{filterset.__name__}.{name}"
        for value in ("99999999999999999999", "-99999999999999999999", "1e30"):
            bound = filterset({name: value}, queryset=filterset._meta.model.objects.none())
            assert name in bound.errors, f"{filterset.__name__}.{name}={value}"


def test_an_api_id_filter_beyond_64_bits_is_a_400_naming_it(api_as, superuser):
    client = api_as(superuser)

    for path, name in [
        ("/api/cases/", "customer_id"),
        ("/api/responses/", "score_min"),
        ("/api/journeys/", "owner_id"),
    ]:
        response = client.get(path, {name: "99999999999999999999"})
        assert response.status_code == 400, (path, name)
        assert name in response.json()
    assert client.get("/api/cases/", {"customer_id": str(2**63 - 1)}).status_code == 200
