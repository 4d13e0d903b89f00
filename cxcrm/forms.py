"""Forms shared by every app: the staff login."""

from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .roles import is_api_only


class StaffAuthenticationForm(AuthenticationForm):
    """The login form: refuses API-only users (integrations), who use their token, never a session."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "api_only": _("This account is for the API only: send its token with each request instead of logging in."),
    }

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if is_api_only(user):
            raise ValidationError(self.error_messages["api_only"], code="api_only")
