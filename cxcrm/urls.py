from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.auth.views import LoginView
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from . import views
from .forms import StaffAuthenticationForm

admin.site.site_header = _("cxcrm administration")
admin.site.site_title = "cxcrm"

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    # Before Django's auth URLs: the login form that refuses API-only users.
    path("accounts/login/", LoginView.as_view(authentication_form=StaffAuthenticationForm), name="login"),
    path("accounts/language/", views.language_set, name="language_set"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("cxcrm.api.urls")),
    path("journeys/", include("journeys.urls")),
    path("customers/", include("customers.urls")),
    path("alerts/", include("alerts.urls")),
    path("", include("feedback.urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
