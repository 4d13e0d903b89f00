from django.urls import path

from . import views

app_name = "journeys"

urlpatterns = [
    path("", views.MapListView.as_view(), name="map_list"),
    path("import/", views.MapImportView.as_view(), name="map_import"),
    path("<int:pk>/", views.MapDetailView.as_view(), name="map_detail"),
    path("<int:pk>/export.json", views.MapExportView.as_view(), name="map_export"),
]
