"""The vocabularies of outbound webhooks: the event types an endpoint subscribes to, and delivery states."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class EventType(models.TextChoices):
    """What a webhook tells about (the `type` of its body). `alert.raised` is reserved for the alerts."""

    INTERACTION_RECORDED = "interaction.recorded", _("Interaction recorded")
    CASE_OPENED = "case.opened", _("Case opened")
    CASE_RESOLVED = "case.resolved", _("Case resolved")
    RESPONSE_SUBMITTED = "response.submitted", _("Survey response submitted")
    CUSTOMER_MERGED = "customer.merged", _("Customers merged")
    CUSTOMER_ERASED = "customer.erased", _("Customer erased")
    ALERT_RAISED = "alert.raised", _("Alert raised")


# Sent by "send test" only, to one endpoint, whatever it subscribes to.
TEST_EVENT = "webhook.test"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    GAVE_UP = "gave_up", _("Gave up")
