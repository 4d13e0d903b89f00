from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from cxcrm.choices import Channel
from cxcrm.models import ChoiceLabelsModel

from .choices import Department, MapStatus, TouchpointKind

# Days of inactivity that split a customer's journeys on a map when none is set (docs/metrics.md).
DEFAULT_JOURNEY_GAP_DAYS = 30


class Persona(models.Model):
    """A buyer persona: the archetype a journey map is drawn for and customers are assigned to."""

    name = models.CharField(verbose_name=_("name"), max_length=120, unique=True)
    summary = models.CharField(verbose_name=_("summary"), max_length=300, blank=True)
    goals = models.TextField(verbose_name=_("goals"), blank=True)
    frustrations = models.TextField(verbose_name=_("frustrations"), blank=True, help_text=_("Pain points"))
    motivations = models.TextField(
        verbose_name=_("motivations"), blank=True, help_text=_("Motivations and emotional drivers")
    )
    demographics = models.TextField(verbose_name=_("demographics"), blank=True)
    preferred_channels = models.JSONField(
        verbose_name=_("preferred channels"),
        default=list,
        blank=True,
        help_text=_("Channel codes, e.g. ['email', 'chat']"),
    )
    picture = models.ImageField(verbose_name=_("picture"), upload_to="personas/", blank=True)
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(verbose_name=_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("persona")
        verbose_name_plural = _("personas")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        channels = self.preferred_channels or []
        if not isinstance(channels, list):
            raise ValidationError({"preferred_channels": _("Give a list of channel codes.")})
        unknown = [c for c in channels if c not in Channel.values]
        if unknown:
            message = gettext("Unknown channel(s): %(unknown)s. Use: %(codes)s.") % {
                "unknown": ", ".join(map(str, unknown)),
                "codes": ", ".join(Channel.values),
            }
            raise ValidationError({"preferred_channels": message})


class JourneyMapQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=MapStatus.PUBLISHED)


class JourneyMap(ChoiceLabelsModel):
    """A versioned journey map of one persona: ordered stages, each with touchpoints.

    Versions of the same map share a name; cloning makes the next version as a
    draft, publishing it archives the published version it was cloned from.
    """

    name = models.CharField(verbose_name=_("name"), max_length=160)
    persona = models.ForeignKey(
        Persona,
        verbose_name=_("persona"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="journey_maps",
    )
    description = models.TextField(verbose_name=_("description"), blank=True)
    status = models.CharField(
        verbose_name=_("status"), max_length=16, choices=MapStatus.choices, default=MapStatus.DRAFT, db_index=True
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        # The map's owner (a marketer), not a customer's account owner: translated apart.
        verbose_name=pgettext_lazy("journey map", "owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="journey_maps",
    )
    version = models.PositiveIntegerField(verbose_name=_("version"), default=1)
    cloned_from = models.ForeignKey(
        "self", verbose_name=_("cloned from"), null=True, blank=True, on_delete=models.SET_NULL, related_name="clones"
    )
    published_at = models.DateTimeField(verbose_name=_("published at"), null=True, blank=True)
    # Journey analytics: a customer's touchpoint interactions on this map more than this many days apart
    # are two journeys (docs/metrics.md, "Journey analytics").
    journey_gap_days = models.PositiveSmallIntegerField(
        _("journey gap (days)"),
        default=DEFAULT_JOURNEY_GAP_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("Days without a touchpoint interaction after which a customer's next one starts a new journey"),
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(verbose_name=_("updated at"), auto_now=True)

    objects = JourneyMapQuerySet.as_manager()

    class Meta:
        verbose_name = _("journey map")
        verbose_name_plural = _("journey maps")
        ordering = ["name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="journeys_map_name_version_uniq"),
        ]

    def __str__(self):
        return f"{self.name} v{self.version} ({self.get_status_display()})"

    def get_absolute_url(self):
        return reverse("journeys:map_detail", args=[self.pk])

    @property
    def label(self) -> str:
        """Name and version, as validation messages name a map."""
        return f"{self.name} v{self.version}"


class Stage(models.Model):
    """One stage of a journey map (awareness, purchase, support…), ordered by position."""

    journey_map = models.ForeignKey(
        JourneyMap, verbose_name=_("journey map"), on_delete=models.CASCADE, related_name="stages", db_index=False
    )
    position = models.PositiveIntegerField(verbose_name=_("position"), default=0)
    name = models.CharField(verbose_name=_("name"), max_length=120)
    customer_goal = models.TextField(verbose_name=_("customer goal"), blank=True)
    actions = models.TextField(verbose_name=_("actions"), blank=True)
    thoughts = models.TextField(verbose_name=_("thoughts"), blank=True)
    emotion_score = models.SmallIntegerField(
        verbose_name=_("emotion score"),
        default=0,
        validators=[MinValueValidator(-2), MaxValueValidator(2)],
        help_text=_("From −2 (very negative) to +2"),
    )
    emotion_label = models.CharField(verbose_name=_("emotion label"), max_length=60, blank=True)
    pain_points = models.TextField(verbose_name=_("pain points"), blank=True)
    opportunities = models.TextField(verbose_name=_("opportunities"), blank=True)

    class Meta:
        verbose_name = _("journey stage")
        verbose_name_plural = _("journey stages")
        ordering = ["journey_map", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(emotion_score__gte=-2, emotion_score__lte=2), name="journeys_stage_emotion_range"
            ),
        ]
        indexes = [models.Index(fields=["journey_map", "position"], name="journeys_stage_map_pos_idx")]

    def __str__(self):
        return self.name


class TouchpointQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published=True)


class Touchpoint(ChoiceLabelsModel):
    """Where we meet the customer in a stage, on one channel. Integrations tag
    interactions with its `key`; reports group figures by key across versions."""

    journey_map = models.ForeignKey(
        JourneyMap, verbose_name=_("journey map"), on_delete=models.CASCADE, related_name="touchpoints", db_index=False
    )
    stage = models.ForeignKey(
        Stage, verbose_name=_("stage"), on_delete=models.CASCADE, related_name="touchpoints", db_index=False
    )
    position = models.PositiveIntegerField(verbose_name=_("position"), default=0)
    name = models.CharField(verbose_name=_("name"), max_length=160)
    key = models.SlugField(
        verbose_name=_("touchpoint key"), max_length=80, help_text=_("Stable key integrations use to tag interactions")
    )
    channel = models.CharField(verbose_name=_("channel"), max_length=16, choices=Channel.choices)
    department = models.CharField(
        verbose_name=_("department"), max_length=16, choices=Department.choices, default=Department.OTHER
    )
    kind = models.CharField(
        verbose_name=_("kind"), max_length=16, choices=TouchpointKind.choices, default=TouchpointKind.DIGITAL
    )
    description = models.TextField(verbose_name=_("description"), blank=True)
    target_csat = models.DecimalField(
        _("CSAT target (%)"),
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    target_nps = models.SmallIntegerField(
        _("NPS target"), null=True, blank=True, validators=[MinValueValidator(-100), MaxValueValidator(100)]
    )
    target_ces = models.DecimalField(
        _("CES target (1–7)"),
        max_digits=3,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(7)],
    )
    target_ttr_hours = models.DecimalField(
        _("time to resolution target (hours)"),
        max_digits=7,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    # Denormalised from the map's status so a partial unique index can keep keys
    # unique among published maps (an index cannot look across the join).
    published = models.BooleanField(verbose_name=_("published"), default=False, editable=False)

    objects = TouchpointQuerySet.as_manager()

    class Meta:
        verbose_name = _("touchpoint")
        verbose_name_plural = _("touchpoints")
        ordering = ["journey_map", "stage__position", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["journey_map", "key"], name="journeys_touchpoint_key_per_map_uniq"),
            models.UniqueConstraint(
                fields=["key"], condition=Q(published=True), name="journeys_touchpoint_key_published_uniq"
            ),
        ]
        indexes = [models.Index(fields=["stage", "position"], name="journeys_tp_stage_pos_idx")]

    def __str__(self):
        return f"{self.name} [{self.key}]"

    def clean(self):
        if self.stage_id and self.journey_map_id and self.stage.journey_map_id != self.journey_map_id:
            raise ValidationError({"stage": _("The stage belongs to another journey map.")})
