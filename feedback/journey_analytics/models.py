"""The materialised journey analytics of published maps (filled by `compute`, read by `selectors`).

Rows are derived data: `compute.journey_analytics_refresh` deletes and re-inserts a customer's rows of a map in
one transaction, so they can be rebuilt at any time (`manage.py rollup_metrics --since`). Their foreign keys are
therefore not database constraints and are indexed only where a read needs it (the composite indexes below):
each constraint and index costs every row of a backfill; deleting a map, stage, customer or persona still
removes its rows through Django's on_delete.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from cxcrm.choices import Channel
from cxcrm.models import ChoiceLabelsModel


class CustomerJourney(ChoiceLabelsModel):
    """One journey of one customer on a published journey map: their touchpoint interactions on the map's keys,
    split from the customer's other journeys by a gap of inactivity (`JourneyMap.journey_gap_days`)."""

    journey_map = models.ForeignKey(
        "journeys.JourneyMap",
        verbose_name=_("journey map"),
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    started_at = models.DateTimeField(verbose_name=_("started at"))  # the first touchpoint interaction on the map
    ended_at = models.DateTimeField(verbose_name=_("ended at"))  # the last one
    interactions = models.PositiveIntegerField(
        verbose_name=_("touchpoint interactions"), default=0
    )  # touchpoint interactions on the map's keys
    furthest_stage = models.ForeignKey(
        "journeys.Stage",
        verbose_name=_("furthest stage"),
        null=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    furthest_index = models.PositiveSmallIntegerField(
        verbose_name=_("furthest stage index"), default=0
    )  # 0-based position among the map's stages
    entry_channel = models.CharField(
        verbose_name=_("entry channel"), max_length=16, choices=Channel.choices, blank=True
    )
    persona = models.ForeignKey(
        "journeys.Persona",
        verbose_name=_("persona"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    # The customer's first contact (their cohort is its month); the journey's start when unknown.
    first_contact_at = models.DateTimeField(verbose_name=_("first contact"))
    # Touchpoint keys in the order met, repeats in a row shown once, joined by " > " (off-map keys included).
    path = models.TextField(verbose_name=_("path"), default="")
    skipped = models.BooleanField(
        verbose_name=_("skipped a stage"), default=False
    )  # a stage jumped over (or a start after the first stage)
    reversed = models.BooleanField(
        verbose_name=_("went back a stage"), default=False
    )  # a touchpoint of an earlier stage after a later one
    off_map = models.BooleanField(
        verbose_name=_("left the map"), default=False
    )  # a touchpoint not on this map between the first and the last
    # Outcome: primary NPS and CSAT answers about the map's touchpoints from the start to a gap after the end.
    nps_n = models.PositiveIntegerField(verbose_name=_("NPS answers"), default=0)
    nps_promoters = models.PositiveIntegerField(verbose_name=_("NPS promoters"), default=0)
    nps_detractors = models.PositiveIntegerField(verbose_name=_("NPS detractors"), default=0)
    csat_n = models.PositiveIntegerField(verbose_name=_("CSAT answers"), default=0)
    csat_satisfied = models.PositiveIntegerField(verbose_name=_("satisfied CSAT answers"), default=0)
    churned = models.BooleanField(
        verbose_name=_("churned"), default=False
    )  # entered the churned lifecycle stage in that same window
    computed_at = models.DateTimeField(verbose_name=_("computed at"))

    class Meta:
        verbose_name = _("customer journey")
        verbose_name_plural = _("customer journeys")
        ordering = ["journey_map", "started_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["journey_map", "customer", "started_at"], name="feedback_journey_map_cust_start_uniq"
            ),
        ]
        indexes = [
            models.Index(fields=["journey_map", "started_at"], name="feedback_journey_map_start_idx"),
            models.Index(fields=["customer", "journey_map"], name="feedback_journey_customer_idx"),
        ]

    def __str__(self):
        return f"{self.customer_id} on {self.journey_map_id} from {self.started_at:%Y-%m-%d}"


class JourneyStageVisit(models.Model):
    """A journey's passage through one stage of the map: entered (a touchpoint interaction of the stage that
    took the journey further than before) or skipped (passed over by a later stage's)."""

    journey = models.ForeignKey(
        CustomerJourney,
        verbose_name=_("customer journey"),
        on_delete=models.CASCADE,
        related_name="visits",
        db_constraint=False,
        db_index=False,
    )
    journey_map = models.ForeignKey(
        "journeys.JourneyMap",
        verbose_name=_("journey map"),
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    stage = models.ForeignKey(
        "journeys.Stage",
        verbose_name=_("stage"),
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    stage_index = models.PositiveSmallIntegerField(verbose_name=_("stage index"))
    entered_at = models.DateTimeField(verbose_name=_("entered at"))  # entered, or passed over for a skipped stage
    skipped = models.BooleanField(verbose_name=_("stage skipped"), default=False)
    # When the journey went on to a later stage (null: it has not, yet or ever), and that stage.
    left_at = models.DateTimeField(verbose_name=_("left at"), null=True)
    next_stage = models.ForeignKey(
        "journeys.Stage",
        verbose_name=_("next stage"),
        null=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    seconds_in_stage = models.FloatField(
        verbose_name=_("time in stage (seconds)"), null=True
    )  # left_at − entered_at for an entered stage left

    class Meta:
        verbose_name = _("journey stage visit")
        verbose_name_plural = _("journey stage visits")
        ordering = ["journey", "stage_index"]
        constraints = [
            models.UniqueConstraint(fields=["journey", "stage"], name="feedback_stagevisit_journey_stage_uniq"),
        ]
        indexes = [
            models.Index(fields=["journey_map", "entered_at"], name="feedback_stagevisit_map_at_idx"),
            models.Index(fields=["customer", "journey_map"], name="feedback_stagevisit_cust_idx"),
        ]

    def __str__(self):
        return f"journey {self.journey_id} stage {self.stage_index}"


class JourneyAnalyticsState(models.Model):
    """When a published map's analytics were last refreshed, and the layout (keys → stages, gap) they were
    computed with: a different layout (a new version published, a touchpoint moved) recomputes them whole."""

    journey_map = models.OneToOneField(
        "journeys.JourneyMap", verbose_name=_("journey map"), on_delete=models.CASCADE, related_name="+"
    )
    layout = models.JSONField(verbose_name=_("layout"), default=dict)
    computed_at = models.DateTimeField(verbose_name=_("computed at"))

    class Meta:
        verbose_name = _("journey analytics state")
        verbose_name_plural = _("journey analytics states")

    def __str__(self):
        return f"journey analytics of {self.journey_map_id} @ {self.computed_at:%Y-%m-%d %H:%M}"
