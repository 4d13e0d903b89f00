from django.db import models
from django.utils.translation import gettext_lazy as _


class MapStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class Department(models.TextChoices):
    MARKETING = "marketing", _("Marketing")
    SALES = "sales", _("Sales")
    SUPPORT = "support", _("Support")
    PRODUCT = "product", _("Product")
    BILLING = "billing", _("Billing")
    LOGISTICS = "logistics", _("Logistics")
    OTHER = "other", _("Other")


class TouchpointKind(models.TextChoices):
    DIGITAL = "digital", _("Digital")
    HUMAN = "human", _("Human")
    PHYSICAL = "physical", _("Physical")
