"""The vocabularies of outbound webhooks: the event types an endpoint subscribes to, and delivery states."""

from django.db import models


class EventType(models.TextChoices):
    """What a webhook tells about (the `type` of its body). `alert.raised` is reserved for the alerts."""

    INTERACTION_RECORDED = "interaction.recorded", "Interaction recorded"
    CASE_OPENED = "case.opened", "Case opened"
    CASE_RESOLVED = "case.resolved", "Case resolved"
    RESPONSE_SUBMITTED = "response.submitted", "Survey response submitted"
    CUSTOMER_MERGED = "customer.merged", "Customers merged"
    CUSTOMER_ERASED = "customer.erased", "Customer erased"
    ALERT_RAISED = "alert.raised", "Alert raised"


# Sent by "send test" only, to one endpoint, whatever it subscribes to.
TEST_EVENT = "webhook.test"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    GAVE_UP = "gave_up", "Gave up"
