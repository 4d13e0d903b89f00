"""Requests the schema fuzzer (scripts/api_fuzz.sh) once answered with a 500, kept as regular tests
with their minimal input: each is now a 400 naming the field."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url, params, field",
    [
        ("/api/cases/", {"opened_before": "9988-05-14T09:22:24-16:54"}, "opened_before"),
        ("/api/customers/", {"updated_since": "0069-04-05T14:37:38.00+18:52"}, "updated_since"),
    ],
)
def test_out_of_range_instants_in_filters_are_a_400_naming_the_filter(api_as, superuser, url, params, field):
    response = api_as(superuser).get(url, params)
    assert response.status_code == 400
    assert field in response.json()
