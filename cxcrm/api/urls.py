"""The API root: each app contributes its own `api/urls.py` under /api/."""

from django.urls import include, path
from drf_spectacular.views import SpectacularSwaggerSplitView

from .schema import SchemaView

urlpatterns = [
    path("schema/", SchemaView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file (?script), not inline: the CSP allows no inline script.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("journeys.api.urls")),
    path("", include("customers.api.urls")),
    path("", include("feedback.api.urls")),
    path("", include("alerts.api.urls")),
    path("", include("webhooks.api.urls")),
]
