"""API error handling: a Django ValidationError raised by a service becomes a 400
with field messages, like a serializer's; a delete the database refuses (`ProtectedError`,
`RestrictedError`) is a 400 naming what still uses the record; an unknown object stays a 404; a database
that stops answering mid-request (connection lost, server restarting) is a 503 with
Retry-After, never a 500: the request's transaction was rolled back, so nothing of it
was stored and the client retries it whole. An error message quoting a lone surrogate of the input
("\\ud800" in a choice) is sent with U+FFFD in its place: a 400 naming the field, not a failure to encode."""

import logging

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.db.models import ProtectedError, RestrictedError
from django.utils.translation import gettext
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from cxcrm.deletion import refused_delete_message
from cxcrm.validators import lone_surrogates_replace

logger = logging.getLogger(__name__)

DATABASE_RETRY_AFTER_SECONDS = 5


def django_validation_detail(error: DjangoValidationError):
    if hasattr(error, "error_dict"):
        return {field: [str(m) for m in messages] for field, messages in error.message_dict.items()}
    return {"non_field_errors": [str(m) for m in error.messages]}


def exception_handler(exc, context):
    if isinstance(exc, ProtectedError | RestrictedError):
        # Services refuse protected deletes themselves; this keeps any path that forgot it a 400.
        exc = exceptions.ValidationError(detail={"non_field_errors": [refused_delete_message(exc)]})
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=django_validation_detail(exc))
    if isinstance(exc, OperationalError | InterfaceError):
        logger.warning("database unavailable during %s: %s", context.get("request") and context["request"].path, exc)
        return Response(
            {
                "detail": gettext("The database did not answer. Nothing of this request was stored; send it again."),
                "stored": False,
            },
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
        )
    response = drf_exception_handler(exc, context)
    if response is not None:
        # A message may quote the input; a lone surrogate in it cannot be encoded by any renderer.
        response.data = lone_surrogates_replace(response.data)
    return response
