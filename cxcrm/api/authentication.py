"""API authentication: DRF's token scheme, with a key the database cannot look up (a NUL character, a lone
surrogate) answered as any unknown token is (401), not as a failed query."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from cxcrm.validators import text_storable_check


class TokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token <key>`; raises AuthenticationFailed (401) for an unknown or unreadable key."""

    def authenticate_credentials(self, key):
        try:
            text_storable_check(key)
        except ValidationError:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        return super().authenticate_credentials(key)
