import pytest
from django.urls import include, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db


def test_customers_endpoints_generate_an_openapi_schema_without_warnings(capsys):
    GENERATOR_STATS.reset()
    generator = SchemaGenerator(patterns=[path("api/", include("customers.api.urls"))])
    schema = generator.get_schema(request=None, public=True)
    warnings = dict(GENERATOR_STATS._warn_cache)
    errors = dict(GENERATOR_STATS._error_cache)
    GENERATOR_STATS.reset()
    assert (warnings, errors) == ({}, {})
    assert {
        "/api/interactions/",
        "/api/interactions/bulk/",
        "/api/customers/{id}/timeline/",
        "/api/customers/{id}/merge-preview/",
        "/api/customers/{id}/merge/",
        "/api/merges/{id}/undo/",
        "/api/merge-suggestions/",
        "/api/cases/",
        "/api/notes/",
    } <= set(schema["paths"])


def test_schema_endpoint_answers(api_as, rep_user):
    response = api_as(rep_user).get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/customers/{id}/timeline/" in response.content
