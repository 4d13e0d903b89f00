from django.db import models
from django.utils.translation import gettext_lazy as _

from cxcrm.choices import Channel


class LifecycleStage(models.TextChoices):
    LEAD = "lead", _("Lead")
    PROSPECT = "prospect", _("Prospect")
    ACTIVE = "active", _("Active")
    AT_RISK = "at_risk", _("At risk")
    CHURNED = "churned", _("Churned")
    ADVOCATE = "advocate", _("Advocate")


# Stages that count as "active" for churn: a customer in one of these at a period's
# start who enters `churned` during it has churned in that period.
ACTIVE_STAGES = (LifecycleStage.ACTIVE, LifecycleStage.AT_RISK, LifecycleStage.ADVOCATE)


class IdentityKind(models.TextChoices):
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    HANDLE = "handle", _("Social handle")
    EXTERNAL_ID = "external_id", _("External id")
    DEVICE = "device", _("Device")


# Identity kinds integrations send that are one of ours: a WhatsApp (or SMS) number is a plain phone
# identity, network-less, so the same number never becomes two identities.
IDENTITY_KIND_ALIASES = {"whatsapp": IdentityKind.PHONE, "sms": IdentityKind.PHONE, "mobile": IdentityKind.PHONE}
# Networks whose accounts are phone numbers: a handle or external id on them is stored as the phone.
PHONE_NETWORKS = frozenset({"whatsapp"})


class Direction(models.TextChoices):
    INBOUND = "inbound", _("Inbound")
    OUTBOUND = "outbound", _("Outbound")
    SYSTEM = "system", _("System")


class InteractionType(models.TextChoices):
    MESSAGE = "message", _("Message")
    CALL = "call", _("Call")
    VISIT = "visit", _("Visit")
    PURCHASE = "purchase", _("Purchase")
    RETURN = "return", _("Return")
    PAGE_VIEW = "page_view", _("Page view")
    APP_EVENT = "app_event", _("App event")
    EMAIL_SENT = "email_sent", _("Email sent")
    EMAIL_OPEN = "email_open", _("Email opened")
    EMAIL_CLICK = "email_click", _("Email clicked")
    POST = "post", _("Post")
    REVIEW = "review", _("Review")
    DEVICE_EVENT = "device_event", _("Device event")
    CASE_UPDATE = "case_update", _("Case update")
    SURVEY_RESPONSE = "survey_response", _("Survey response")
    OTHER = "other", _("Other")


# Origin of a case: any channel, or `survey` for follow-ups the CX module opens.
CaseOrigin = models.TextChoices(
    "CaseOrigin", [(c.name, (c.value, c.label)) for c in Channel] + [("SURVEY", ("survey", _("Survey follow-up")))]
)


class CasePriority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class CaseStatus(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    PENDING = "pending", _("Pending")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


OPEN_CASE_STATUSES = (CaseStatus.NEW, CaseStatus.OPEN, CaseStatus.PENDING)


class SuggestionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    MERGED = "merged", _("Merged")
    DISMISSED = "dismissed", _("Dismissed")


# The SLA state of a case as the cases list computes it (customers.selectors.case_list_sla), in words.
SLA_STATE_LABELS = {
    "breached": _("Breached"),
    "due_soon": _("Due within the hour"),
    "on_track": _("On track"),
    "paused": _("Paused (pending)"),
    "met": _("Met"),
    "none": _("No SLA"),
}

# Case topics are free text, except those the product itself sets (the CX module's detractor follow-ups):
# these are stored as codes and shown by their label.
CASE_TOPIC_LABELS = {"detractor follow-up": _("Detractor follow-up")}


def case_topic_label(topic: str) -> str:
    """A case topic as a person reads it: a product topic's label, else the topic as typed; "" for none."""
    return CASE_TOPIC_LABELS.get(topic, topic)
