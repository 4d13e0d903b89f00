"""Survey link tokens: the invitation id signed with its own salt.

Nothing secret is stored: the token is rebuilt from the id whenever needed
(reminders send the same link), and a forged or altered token fails the
signature. Plain Signer (no timestamp) keeps the token stable; expiry is the
invitation's own `expires_at`. Used by the messages (delivery.py), the public
pages (views.py) and the API's invitation urls; it touches no database.
"""

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "cxcrm.feedback.invitation"


def _signer() -> signing.Signer:
    return signing.Signer(salt=SALT)


def invitation_token(invitation_id: int) -> str:
    return _signer().sign_object(int(invitation_id))


def invitation_id_from_token(token: str) -> int | None:
    """The invitation id the token was made for, or None when the signature does not match."""
    try:
        value = _signer().unsign_object(token)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return value if isinstance(value, int) else None


def survey_url(invitation_id: int, *, score: int | None = None, absolute: bool = True) -> str:
    path = reverse("feedback:survey_answer", kwargs={"token": invitation_token(invitation_id)})
    if score is not None:
        path += f"?score={score}"
    return settings.SITE_URL + path if absolute else path


def unsubscribe_url(invitation_id: int, *, absolute: bool = True) -> str:
    path = reverse("feedback:unsubscribe", kwargs={"token": invitation_token(invitation_id)})
    return settings.SITE_URL + path if absolute else path
