from django.urls import path

from . import views

app_name = "alerts"

urlpatterns = [
    path("", views.AlertListView.as_view(), name="alert_list"),
    path("bell/", views.AlertBellView.as_view(), name="bell"),
    path("<int:pk>/read/", views.AlertReadView.as_view(), name="alert_read"),
    path("read-all/", views.AlertReadAllView.as_view(), name="alert_read_all"),
]
