"""Alerts' tests reuse the webhooks' real local receiver (and its permission to post to loopback)."""

from webhooks.tests.conftest import _local_receivers_allowed, endpoint_for, receiver  # noqa: F401
