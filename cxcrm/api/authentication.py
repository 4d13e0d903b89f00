"""API authentication: DRF's token scheme, with a key the database cannot look up (a NUL character, a lone
surrogate) answered as any unknown token is (401), not as a failed query.

A token's user, with the permissions its roles give, is kept in Django's cache for TOKEN_CACHE_SECONDS, so a
call reads one cache entry instead of the token, the user and the user's permissions (three queries); with
Redis (CACHE_URL) only, not with the embedded install's database cache. Any
change that could alter an answer (a token deleted, a user saved or deleted, a user's groups or permissions
changed, a group's permissions changed, a group deleted) starts a new *generation* and every cached entry is
ignored from then on (receivers below, connected in cxcrm.apps). Changes made without signals
(`QuerySet.update()` of users) are seen within TOKEN_CACHE_SECONDS.
"""

import hashlib
import logging
import uuid

from django.core.cache import cache, caches
from django.core.cache.backends.db import DatabaseCache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from cxcrm.validators import text_storable_check

logger = logging.getLogger(__name__)

TOKEN_CACHE_SECONDS = 60
GENERATION_KEY = "api-token-auth:generation"


def _entry_key(key: str) -> str:
    # The key itself is a credential: the cache holds only its digest.
    return "api-token-auth:" + hashlib.sha256(key.encode()).hexdigest()


def _tokens_cached() -> bool:
    # The embedded install's cache is a table of the same database: reading it costs what reading the
    # token does, and storing an entry several statements more. Tokens are cached in Redis only.
    return not isinstance(caches["default"], DatabaseCache)


def _new_generation() -> None:
    if not _tokens_cached():  # nothing cached, nothing to forget (and no table yet during the first migrate)
        return
    try:
        # In a savepoint: the embedded install's cache is a table of the database (cxcrm.cache), missing
        # while the first migrate sets up the roles, and a failed statement must not abort the transaction.
        with transaction.atomic():
            cache.set(GENERATION_KEY, uuid.uuid4().hex, None)
    except Exception:  # noqa: BLE001 - an unreachable cache must not fail the write that caused this
        logger.warning("api token cache: could not start a new generation", exc_info=True)


def token_auth_cache_clear(**kwargs) -> None:
    """Forget every cached token (a new generation), now and again when the transaction commits (a request
    reading the old rows in between must not keep them). Signal receiver: takes any arguments."""
    _new_generation()
    transaction.on_commit(_new_generation)


def _user_saved(update_fields=None, **kwargs) -> None:
    # A login stamps last_login only: no answer changes, so the cache stays.
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return
    token_auth_cache_clear()


class TokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token <key>`; raises AuthenticationFailed (401) for an unknown or unreadable key or an
    inactive user. Answers from the cache for up to TOKEN_CACHE_SECONDS (see the module's docstring)."""

    def authenticate_credentials(self, key):
        try:
            text_storable_check(key)
        except ValidationError:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        if not _tokens_cached():
            return super().authenticate_credentials(key)
        entry_key = _entry_key(key)
        try:
            found = cache.get_many([GENERATION_KEY, entry_key])
        except Exception:  # noqa: BLE001 - without its cache the API still answers, from the database
            logger.warning("api token cache: unreadable, using the database", exc_info=True)
            return super().authenticate_credentials(key)
        generation = found.get(GENERATION_KEY)
        entry = found.get(entry_key)
        if generation is not None and entry is not None and entry[0] == generation:
            return entry[1], entry[2]
        user, token = super().authenticate_credentials(key)
        # Loaded now so that they travel with the cached user (ModelBackend keeps them on the instance).
        user.get_all_permissions()
        try:
            if generation is None:
                # The first call (or the cache was emptied): two processes doing this at once only make
                # each other's entries misses.
                generation = uuid.uuid4().hex
                cache.set(GENERATION_KEY, generation, None)
            cache.set(entry_key, (generation, user, token), TOKEN_CACHE_SECONDS)
        except Exception:  # noqa: BLE001
            logger.warning("api token cache: could not store an entry", exc_info=True)
        return user, token


def connect_receivers() -> None:
    """Start a new generation whenever a cached answer could be wrong."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db.models.signals import m2m_changed, post_delete, post_save
    from rest_framework.authtoken.models import Token

    User = get_user_model()
    uid = "cxcrm.api.token_auth_cache_clear"
    post_delete.connect(token_auth_cache_clear, sender=Token, dispatch_uid=f"{uid}.token")
    post_save.connect(_user_saved, sender=User, dispatch_uid=f"{uid}.user_saved")
    post_delete.connect(token_auth_cache_clear, sender=User, dispatch_uid=f"{uid}.user_deleted")
    post_delete.connect(token_auth_cache_clear, sender=Group, dispatch_uid=f"{uid}.group_deleted")
    for through in (User.groups.through, User.user_permissions.through, Group.permissions.through):
        m2m_changed.connect(token_auth_cache_clear, sender=through, dispatch_uid=f"{uid}.{through.__name__}")
