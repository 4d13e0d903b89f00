"""The report parameters' errors in the reader's language: /api/metrics/ and the journey analytics API answer a
400 in the client's Accept-Language, naming dimensions and filters by their translated labels while the codes a
client may send stay codes; the import page shows its errors in the page's language."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from cxcrm.validators import instant_clean
from journeys.models import JourneyMap
from journeys.tests.factories import JourneyMapFactory

pytestmark = pytest.mark.django_db

JAN = {"granularity": "week", "start": "2026-01-01", "end": "2026-01-31"}


def test_a_breakdown_a_metric_lacks_is_named_by_its_label_in_portuguese(api_as, manager_user):
    response = api_as(manager_user).get(
        "/api/metrics/", {"metric": "churn_rate", "dimension": "survey", **JAN}, HTTP_ACCEPT_LANGUAGE="pt-BR"
    )

    assert response.status_code == 400
    assert response.json()["dimension"] == [
        "Não é possível detalhar Taxa de churn por pesquisa; use um destes: overall, persona (stage: com journey=<id>)."
    ]


def test_a_date_out_of_range_in_polish(api_as, manager_user):
    response = api_as(manager_user).get(
        "/api/metrics/",
        {"metric": "churn_rate", "granularity": "week", "start": "1900-01-01", "end": "2026-01-31"},
        HTTP_ACCEPT_LANGUAGE="pl",
    )

    assert response.status_code == 400
    assert response.json()["start"] == ["Wybierz datę od 1970-01-01 do 2100-12-31."]


def test_too_many_periods_in_spanish(api_as, manager_user):
    response = api_as(manager_user).get(
        "/api/metrics/",
        {"metric": "nps", "granularity": "day", "start": "2020-01-01", "end": "2026-01-31"},
        HTTP_ACCEPT_LANGUAGE="es",
    )

    assert response.status_code == 400
    assert response.json()["start"] == ["Más de 1000 periodos: elija un intervalo más corto o una granularidad mayor."]


def test_customer_health_refuses_a_filter_by_its_label_in_greek(api_as, manager_user):
    response = api_as(manager_user).get(
        "/api/metrics/", {"metric": "health", "channel": "chat", **JAN}, HTTP_ACCEPT_LANGUAGE="el"
    )

    assert response.status_code == 400
    assert response.json()["channel"] == ["Υγεία πελατών: δεν γίνεται φιλτράρισμα κατά κανάλι."]


def test_journey_analytics_refuses_a_parameter_in_portuguese_and_greek(api_as, marketer_user):
    journey_map = JourneyMapFactory()
    url = f"/api/journeys/{journey_map.pk}/funnel/"

    portuguese = api_as(marketer_user).get(url, {"survey": "1"}, HTTP_ACCEPT_LANGUAGE="pt-BR")
    greek = api_as(marketer_user).get(url, {"survey": "1"}, HTTP_ACCEPT_LANGUAGE="el")

    assert portuguese.status_code == greek.status_code == 400
    assert portuguese.json()["survey"] == ["A análise da jornada não pode ser filtrada nem agrupada por survey."]
    assert greek.json()["survey"] == ["Η ανάλυση διαδρομής δεν μπορεί να φιλτραριστεί ή να ομαδοποιηθεί κατά survey."]


def test_an_unknown_journey_map_is_a_404_in_portuguese(api_as, marketer_user):
    response = api_as(marketer_user).get("/api/journeys/999999/funnel/", HTTP_ACCEPT_LANGUAGE="pt-BR")

    assert response.status_code == 404
    assert response.json() == {"detail": "Este mapa da jornada não existe."}


def test_the_import_page_shows_bad_json_in_spanish(client, marketer_user):
    client.force_login(marketer_user)

    response = client.post(reverse("journeys:map_import"), {"document": "{not json"}, HTTP_ACCEPT_LANGUAGE="es")

    assert response.status_code == 200
    assert "Esto no es un JSON válido: Expecting property name enclosed in double quotes (línea 1, columna 2)." in (
        response.content.decode()
    )
    assert not JourneyMap.objects.exists()


def test_a_duplicate_key_in_an_imported_map_is_shown_in_polish(client, marketer_user):
    client.force_login(marketer_user)
    document = {
        "name": "Zakupy",
        "stages": [
            {"name": "Wybór", "touchpoints": [{"key": "same", "name": "A", "channel": "web"}]},
            {"name": "Zakup", "touchpoints": [{"key": "same", "name": "B", "channel": "web"}]},
        ],
    }

    response = client.post(
        reverse("journeys:map_import"), {"document": json.dumps(document)}, HTTP_ACCEPT_LANGUAGE="pl"
    )

    assert response.status_code == 200
    assert "Klucz „same” jest już używany na tej mapie przez punkt styku „A” w etapie „Wybór”." in (
        response.content.decode()
    )


def test_a_timestamp_filter_in_a_wrong_format_is_refused_in_portuguese(api_as, manager_user):
    response = api_as(manager_user).get("/api/customers/", {"created_after": "notadate"}, HTTP_ACCEPT_LANGUAGE="pt-BR")

    assert response.status_code == 400
    assert response.json()["created_after"] == [
        "Formato inválido para data e hora. Use um dos formatos a seguir: "
        "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
    ]


def test_a_time_too_far_ahead_is_refused_in_polish_with_its_durations_in_polish():
    now = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    with pytest.raises(ValidationError) as refused, translation.override("pl"):
        instant_clean(now + timedelta(hours=3), future_skew=timedelta(minutes=5), now=now)
    with translation.override("pl"):
        message = refused.value.messages[0]

    assert message.startswith(
        "Ten czas jest w przyszłości (różnica: 3 godziny; zegar serwera wskazuje 2026-11-29 12:00"
    )
    assert "(limit: 5 minut)" in message
