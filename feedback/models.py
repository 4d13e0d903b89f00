from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from customers.choices import CasePriority
from cxcrm.choices import Channel, Language
from cxcrm.models import ChoiceLabelsModel
from cxcrm.validators import json_storable_check

from .choices import (
    DeliveryChannel,
    InvitationStatus,
    QuestionType,
    Sentiment,
    SuppressionReason,
    SurveyKind,
    TriggerEvent,
)
from .scales import SCALES

TRANSLATED_LANGUAGES = [code for code, _label in Language.choices if code != Language.EN]


def _validate_translations(value):
    """A {language: text} map of the non-English texts (English is the field itself)."""
    if not isinstance(value, dict):
        raise ValidationError(_("Enter an object mapping language codes to texts."))
    for code, text in value.items():
        if code not in TRANSLATED_LANGUAGES:
            raise ValidationError(
                _("Unknown language %(code)s; use one of %(codes)s."),
                params={"code": code, "codes": ", ".join(TRANSLATED_LANGUAGES)},
            )
        if not isinstance(text, str):
            raise ValidationError(_("Each translation must be a string."))
    json_storable_check(value)


# --------------------------------------------------------------------------- surveys


class SurveyQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)


class Survey(ChoiceLabelsModel):
    """A questionnaire sent to customers after an interaction: NPS, CSAT, CES or custom.

    Its texts per language are SurveyText rows (English is the fallback); its
    ordered questions carry at most one primary score question, which gives
    the survey its NPS, CSAT or CES meaning.
    """

    name = models.CharField(verbose_name=_("name"), max_length=160, unique=True)
    kind = models.CharField(verbose_name=_("kind"), max_length=16, choices=SurveyKind.choices, default=SurveyKind.CSAT)
    active = models.BooleanField(verbose_name=_("active"), default=True)
    delivery_channel = models.CharField(
        verbose_name=_("delivery channel"), max_length=8, choices=DeliveryChannel.choices, default=DeliveryChannel.EMAIL
    )
    expiry_days = models.PositiveSmallIntegerField(
        verbose_name=_("expires after (days)"), default=14, validators=[MinValueValidator(1)]
    )
    reminder_after_days = models.PositiveSmallIntegerField(
        verbose_name=_("reminder after (days)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("Send one reminder after N days; empty: none"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(verbose_name=_("updated at"), auto_now=True)

    objects = SurveyQuerySet.as_manager()

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(reminder_after_days__isnull=True) | Q(reminder_after_days__lt=models.F("expiry_days")),
                name="feedback_survey_reminder_before_expiry",
                violation_error_message="The reminder must come before the survey expires.",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.reminder_after_days and self.expiry_days and self.reminder_after_days >= self.expiry_days:
            raise ValidationError({"reminder_after_days": _("The reminder must come before the survey expires.")})
        if self.reminder_after_days and self.delivery_channel == DeliveryChannel.LINK:
            raise ValidationError({"reminder_after_days": _("Link-only surveys are not delivered, so not reminded.")})

    @property
    def scale(self) -> tuple[int, int] | None:
        """(lowest, highest) points of the primary question's scale; None for a custom survey."""
        scale = SCALES.get(self.kind)
        return (scale.low, scale.high) if scale else None

    # The rules of a survey's questions live here, once: the survey services (API) and the admin's
    # question formset both call these two methods.

    def questions_check(self, questions: list[dict]) -> None:
        """Check the questions this survey (of its current `kind`) would have.

        `questions` are dicts of SurveyQuestion fields in order (`type`, `is_primary`, `scale_min`,
        `scale_max`, and `choices`, a list: missing means none). A standard kind (NPS/CSAT/CES,
        feedback/scales.py SCALES) has exactly one primary score question, a custom survey at most
        one; each question keeps SurveyQuestion's own rules (SurveyQuestion.problems_of).
        Raises ValidationError with one message per problem.
        """
        primaries = [q for q in questions if q.get("is_primary")]
        errors = []
        if self.kind in SCALES and len(primaries) != 1:
            errors.append(
                _("A %(kind)s survey needs exactly one primary score question.") % {"kind": self.kind.upper()}
            )
        if self.kind not in SCALES and len(primaries) > 1:
            errors.append(_("At most one question can be the primary score."))
        for number, question in enumerate(questions, start=1):
            for problem in SurveyQuestion.problems_of({"choices": [], **question}).values():
                errors.append(_("Question %(n)s: %(problem)s") % {"n": number, "problem": problem})
        if errors:
            raise ValidationError(errors)

    @property
    def questions_locked(self) -> bool:
        """Whether the questions can no longer change: the survey has invitations, whose answers refer to them."""
        return self.pk is not None and self.invitations.exists()

    def questions_lock_check(self) -> None:
        """Raises ValidationError when the questions are locked (see `questions_locked`)."""
        if self.questions_locked:
            raise ValidationError(
                _("This survey has invitations; copy it to a new survey to change its questions."), code="locked"
            )


class SurveyText(ChoiceLabelsModel):
    """The customer-facing texts of a survey in one language."""

    survey = models.ForeignKey(
        Survey, verbose_name=_("survey"), on_delete=models.CASCADE, related_name="texts", db_index=False
    )
    language = models.CharField(verbose_name=_("language"), max_length=8, choices=Language.choices)
    title = models.CharField(verbose_name=_("title"), max_length=200)
    intro = models.TextField(
        verbose_name=_("introduction"), blank=True, help_text=_("Shown in the email and above the questions")
    )
    thank_you = models.CharField(verbose_name=_("thank-you message"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("survey text")
        verbose_name_plural = _("survey texts")
        ordering = ["survey", "language"]
        constraints = [models.UniqueConstraint(fields=["survey", "language"], name="feedback_surveytext_lang_uniq")]

    def __str__(self):
        return f"{self.survey} [{self.get_language_display()}]"


class SurveyQuestion(ChoiceLabelsModel):
    """One question of a survey, in order. `text` is English; `translations` holds the other languages."""

    survey = models.ForeignKey(
        Survey, verbose_name=_("survey"), on_delete=models.CASCADE, related_name="questions", db_index=False
    )
    position = models.PositiveSmallIntegerField(verbose_name=_("position"), default=0)
    type = models.CharField(
        verbose_name=_("question type"), max_length=16, choices=QuestionType.choices, default=QuestionType.SCORE
    )
    text = models.CharField(verbose_name=_("text"), max_length=300)
    translations = models.JSONField(
        verbose_name=_("translations"), default=dict, blank=True, validators=[_validate_translations]
    )
    is_primary = models.BooleanField(
        _("primary score"), default=False, help_text=_("Carries the survey's NPS, CSAT or CES meaning")
    )
    required = models.BooleanField(verbose_name=_("required"), default=True)
    scale_min = models.SmallIntegerField(verbose_name=_("scale minimum"), null=True, blank=True)
    scale_max = models.SmallIntegerField(verbose_name=_("scale maximum"), null=True, blank=True)

    class Meta:
        verbose_name = _("survey question")
        verbose_name_plural = _("survey questions")
        ordering = ["survey", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["survey"], condition=Q(is_primary=True), name="feedback_question_one_primary"
            ),
            models.CheckConstraint(
                condition=Q(is_primary=False) | Q(type=QuestionType.SCORE), name="feedback_question_primary_is_score"
            ),
            models.CheckConstraint(
                condition=Q(scale_min__isnull=True)
                | Q(scale_max__isnull=True)
                | Q(scale_min__lt=models.F("scale_max")),
                name="feedback_question_scale_order",
            ),
        ]
        indexes = [models.Index(fields=["survey", "position"], name="feedback_question_pos_idx")]

    def __str__(self):
        return f"{self.position}. {self.text}"

    def clean(self):
        # Choices are saved after their question, so they are checked with the whole survey
        # (Survey.questions_check), not here.
        problems = self.problems_of(
            {"type": self.type, "is_primary": self.is_primary, "scale_min": self.scale_min, "scale_max": self.scale_max}
        )
        if problems:
            raise ValidationError(problems)

    @staticmethod
    def problems_of(question: dict) -> dict[str, str]:
        """The rules one question breaks, as {field: message}; {} when none.

        `question` holds SurveyQuestion fields (`type` defaults to score) and, when known, its
        `choices` as a list. Only a score question can be the primary score; a single- or
        multiple-choice question needs at least two choices; the scale's maximum is above its minimum.
        """
        problems = {}
        question_type = question.get("type") or QuestionType.SCORE
        if question.get("is_primary") and question_type != QuestionType.SCORE:
            problems["is_primary"] = _("Only a score question can be the primary score.")
        if (
            "choices" in question
            and question_type in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE)
            and len(question["choices"] or []) < 2
        ):
            problems["choices"] = _("A choice question needs at least two choices.")
        low, high = question.get("scale_min"), question.get("scale_max")
        if low is not None and high is not None and low >= high:
            problems["scale_max"] = _("The scale's maximum must be above its minimum.")
        return problems

    def text_in(self, language: str) -> str:
        return self.translations.get(language) or self.text

    def effective_scale(self, kind: str) -> tuple[int, int]:
        """The scale shown: the kind's for the primary question, else the question's own (default 1–5)."""
        if self.is_primary and kind in SCALES:
            return SCALES[kind].low, SCALES[kind].high
        return (
            self.scale_min if self.scale_min is not None else 1,
            self.scale_max if self.scale_max is not None else 5,
        )


class QuestionChoice(models.Model):
    """One option of a single- or multiple-choice question."""

    question = models.ForeignKey(
        SurveyQuestion, verbose_name=_("question"), on_delete=models.CASCADE, related_name="choices", db_index=False
    )
    position = models.PositiveSmallIntegerField(verbose_name=_("position"), default=0)
    value = models.SlugField(verbose_name=_("value"), max_length=60)
    label = models.CharField(verbose_name=_("label"), max_length=200)
    translations = models.JSONField(
        verbose_name=_("translations"), default=dict, blank=True, validators=[_validate_translations]
    )

    class Meta:
        verbose_name = _("question choice")
        verbose_name_plural = _("question choices")
        ordering = ["question", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["question", "value"], name="feedback_choice_value_uniq")]

    def __str__(self):
        return self.label

    def label_in(self, language: str) -> str:
        return self.translations.get(language) or self.label


# --------------------------------------------------------------------------- rules


class SurveyRuleQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)

    def for_event(self, event: str):
        return self.active().filter(event=event).select_related("survey")

    def in_precedence(self) -> list["SurveyRule"]:
        """The rules in the order they are tried on one event (see `SurveyRule.precedence_key`)."""
        return sorted(self, key=SurveyRule.precedence_key)

    def overlapping(self, rule: "SurveyRule"):
        """The other active rules of `rule`'s event that can match an event `rule` matches: on each match field
        (channel, interaction type, touchpoint key) one of the two is empty (any) or both are equal."""
        condition = Q()
        for field in SurveyRule.MATCH_FIELDS:
            value = getattr(rule, field)
            if value:
                condition &= Q(**{field: ""}) | Q(**{field: value})
        return self.active().filter(condition, event=rule.event).exclude(pk=rule.pk)

    def with_overlaps(self):
        """Annotate `overlaps`: the rule is active and another active rule can match the same events
        (as `overlapping`, in one EXISTS subquery)."""
        others = SurveyRule.objects.filter(active=True, event=OuterRef("event")).exclude(pk=OuterRef("pk"))
        for field in SurveyRule.MATCH_FIELDS:
            others = others.filter(Q(**{field: ""}) | Q(**{field: OuterRef(field)}) | Exact(OuterRef(field), ""))
        return self.annotate(overlaps=Q(active=True) & Exists(others))


class SurveyRule(ChoiceLabelsModel):
    """Which events start a survey, after what delay, for which share of customers, outside which hours.

    Empty match fields match anything. Quiet hours are read in the customer's
    time zone; a window may wrap midnight (21:00–08:00). An event is offered to the matching
    rules in precedence order: lower `priority` first, then the more specific rule (a touchpoint
    key before a channel before any), then the older rule; once one rule invites, the rules after
    it record the suppression reason `overlap`.
    """

    MATCH_FIELDS = ("touchpoint_key", "channel", "interaction_type")

    survey = models.ForeignKey(Survey, verbose_name=_("survey"), on_delete=models.CASCADE, related_name="rules")
    name = models.CharField(verbose_name=_("name"), max_length=160)
    event = models.CharField(
        verbose_name=_("event"), max_length=16, choices=TriggerEvent.choices, default=TriggerEvent.INTERACTION
    )
    channel = models.CharField(
        verbose_name=_("channel"),
        max_length=16,
        choices=Channel.choices,
        blank=True,
        help_text=_("Interaction channel or case origin; empty: any"),
    )
    interaction_type = models.CharField(
        verbose_name=_("interaction type"), max_length=32, blank=True, help_text=_("Interaction type; empty: any")
    )
    touchpoint_key = models.SlugField(
        verbose_name=_("touchpoint key"), max_length=80, blank=True, help_text=_("Touchpoint key; empty: any")
    )
    delay_minutes = models.PositiveIntegerField(verbose_name=_("delay (minutes)"), default=120)
    sample_percent = models.PositiveSmallIntegerField(
        verbose_name=_("sample (%)"), default=100, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    quiet_start = models.TimeField(
        verbose_name=_("quiet hours start"),
        null=True,
        blank=True,
        help_text=_("Customer's local time; empty: no quiet hours"),
    )
    quiet_end = models.TimeField(verbose_name=_("quiet hours end"), null=True, blank=True)
    priority = models.PositiveSmallIntegerField(
        verbose_name=_("priority"),
        default=100,
        help_text=_(
            "Rules matching the same event are tried lowest first; among equal priorities the most "
            "specific (touchpoint, then channel, then any) first. Once one invites, the others record 'overlap'."
        ),
    )
    active = models.BooleanField(verbose_name=_("active"), default=True)
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(verbose_name=_("updated at"), auto_now=True)

    objects = SurveyRuleQuerySet.as_manager()

    class Meta:
        verbose_name = _("survey rule")
        verbose_name_plural = _("survey rules")
        ordering = ["survey", "name", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(sample_percent__lte=100), name="feedback_rule_sample_percent_range"),
            models.CheckConstraint(
                condition=Q(quiet_start__isnull=True, quiet_end__isnull=True)
                | Q(quiet_start__isnull=False, quiet_end__isnull=False),
                name="feedback_rule_quiet_hours_pair",
                violation_error_message="Give both ends of the quiet hours, or neither.",
            ),
        ]
        indexes = [models.Index(fields=["event", "active"], name="feedback_rule_event_idx")]

    def __str__(self):
        return self.name

    def precedence_key(self) -> tuple:
        """Sort key of the rules offered one event: priority, then specificity (touchpoint key, channel,
        interaction type given), then id."""
        return (self.priority, *(not getattr(self, field) for field in self.MATCH_FIELDS), self.pk or 0)

    def clean(self):
        if (self.quiet_start is None) != (self.quiet_end is None):
            raise ValidationError({"quiet_end": _("Give both ends of the quiet hours, or neither.")})
        if self.quiet_start is not None and self.quiet_start == self.quiet_end:
            raise ValidationError({"quiet_end": _("Quiet hours must not start and end at the same time.")})
        if self.event == TriggerEvent.CASE_RESOLVED and (self.interaction_type or self.touchpoint_key):
            raise ValidationError(
                {"event": _("A case rule matches on the case's origin channel only, not type or touchpoint.")}
            )


# --------------------------------------------------------------------------- invitations


class InvitationQuerySet(models.QuerySet):
    def due(self, now):
        return self.filter(status=InvitationStatus.SCHEDULED, scheduled_for__lte=now)

    def fatiguing(self, customer_id, since):
        from .choices import FATIGUE_STATUSES

        return self.filter(customer_id=customer_id, status__in=FATIGUE_STATUSES, scheduled_for__gte=since)


class Invitation(ChoiceLabelsModel):
    """One customer asked (or deliberately not asked) to answer one survey about one event.

    `source_key` names the event ("interaction:12", "case:4", "manual:<customer id>") so a
    retried evaluation or API call finds the same row: (survey, source_key) is unique,
    with no NULL that a unique constraint would let collide. Suppressed invitations record
    why a customer was not invited. Each state change is stamped.
    """

    survey = models.ForeignKey(
        Survey, verbose_name=_("survey"), on_delete=models.PROTECT, related_name="invitations", db_index=False
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="survey_invitations",
        db_index=False,
    )
    rule = models.ForeignKey(
        SurveyRule,
        verbose_name=_("survey rule"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invitations",
    )
    interaction = models.ForeignKey(
        "customers.Interaction",
        verbose_name=_("interaction"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="survey_invitations",
    )
    case = models.ForeignKey(
        "customers.Case",
        verbose_name=_("case"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="survey_invitations",
    )
    source_key = models.CharField(verbose_name=_("source key"), max_length=64)
    channel = models.CharField(verbose_name=_("channel"), max_length=8, choices=DeliveryChannel.choices)
    status = models.CharField(
        verbose_name=_("status"), max_length=16, choices=InvitationStatus.choices, default=InvitationStatus.SCHEDULED
    )
    suppression_reason = models.CharField(
        verbose_name=_("suppression reason"), max_length=20, choices=SuppressionReason.choices, blank=True
    )
    recipient = models.CharField(
        verbose_name=_("recipient"), max_length=254, blank=True, help_text=_("Email or phone it was sent to")
    )
    language = models.CharField(
        verbose_name=_("language"), max_length=8, choices=Language.choices, blank=True, help_text=_("Language sent in")
    )
    attempts = models.PositiveSmallIntegerField(verbose_name=_("send attempts"), default=0)
    last_error = models.TextField(verbose_name=_("last error"), blank=True)
    scheduled_for = models.DateTimeField(verbose_name=_("scheduled for"))
    expires_at = models.DateTimeField(verbose_name=_("expires at"))
    sending_at = models.DateTimeField(verbose_name=_("sending since"), null=True, blank=True)
    claim_token = models.CharField(
        verbose_name=_("claim token"),
        max_length=32,
        blank=True,
        help_text=_("The send run holding this row while it is in `sending`"),
    )
    lease_until = models.DateTimeField(
        verbose_name=_("lease until"),
        null=True,
        blank=True,
        help_text=_("While sending: the claim is handed back to scheduled after this time"),
    )
    message_id = models.CharField(
        verbose_name=_("message ID"),
        max_length=255,
        blank=True,
        help_text=_("Message-ID of the email sent (stored in the same transaction)"),
    )
    sent_at = models.DateTimeField(verbose_name=_("sent at"), null=True, blank=True)
    opened_at = models.DateTimeField(verbose_name=_("opened at"), null=True, blank=True)
    responded_at = models.DateTimeField(verbose_name=_("responded at"), null=True, blank=True)
    expired_at = models.DateTimeField(verbose_name=_("expired at"), null=True, blank=True)
    suppressed_at = models.DateTimeField(verbose_name=_("suppressed at"), null=True, blank=True)
    failed_at = models.DateTimeField(verbose_name=_("failed at"), null=True, blank=True)
    reminder_sent_at = models.DateTimeField(verbose_name=_("reminder sent at"), null=True, blank=True)
    reminder_attempts = models.PositiveSmallIntegerField(verbose_name=_("reminder attempts"), default=0)
    reminder_retry_at = models.DateTimeField(
        verbose_name=_("reminder retry at"),
        null=True,
        blank=True,
        help_text=_("After a failed reminder: not tried again before this time"),
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(verbose_name=_("updated at"), auto_now=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "source_key"], name="feedback_invitation_source_uniq"),
            models.CheckConstraint(
                condition=Q(status=InvitationStatus.SUPPRESSED, suppression_reason__gt="")
                | (~Q(status=InvitationStatus.SUPPRESSED) & Q(suppression_reason="")),
                name="feedback_invitation_reason_iff_suppressed",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "scheduled_for"], name="feedback_inv_status_due_idx"),
            models.Index(fields=["customer", "scheduled_for"], name="feedback_inv_customer_idx"),
            models.Index(fields=["status", "expires_at"], name="feedback_inv_status_exp_idx"),
            models.Index(fields=["survey", "status"], name="feedback_inv_survey_status_idx"),
            models.Index(fields=["-created_at", "-id"], name="feedback_inv_created_idx"),
            # Response rate counts invitations by the day they were sent; the beat reads the ones sent since its
            # last run (feedback/metrics/changes.py).
            models.Index(fields=["sent_at"], name="feedback_inv_sent_idx"),
        ]

    def __str__(self):
        return gettext("Invitation #%(id)s %(survey)s→%(customer)s (%(status)s)") % {
            "id": self.pk,
            "survey": self.survey_id,
            "customer": self.customer_id,
            "status": self.get_status_display(),
        }


class MergeMove(models.Model):
    """A row moved to a merge's survivor, remembered so that undoing the merge moves it back
    (see feedback/services/merges.py)."""

    merge = models.ForeignKey(
        "customers.MergeRecord",
        verbose_name=_("merge record"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    from_customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("from customer"), on_delete=models.CASCADE, related_name="+"
    )
    moved_at = models.DateTimeField(verbose_name=_("moved at"), auto_now_add=True)
    undone_at = models.DateTimeField(verbose_name=_("undone at"), null=True, blank=True)

    class Meta:
        abstract = True


class InvitationMergeMove(MergeMove):
    """An invitation moved by a merge."""

    invitation = models.ForeignKey(
        Invitation, verbose_name=_("invitation"), on_delete=models.CASCADE, related_name="merge_moves"
    )

    class Meta:
        verbose_name = _("invitation merge move")
        verbose_name_plural = _("invitation merge moves")
        ordering = ["merge", "invitation"]
        constraints = [
            models.UniqueConstraint(fields=["merge", "invitation"], name="feedback_mergemove_uniq"),
        ]

    def __str__(self):
        return f"merge {self.merge_id}: invitation {self.invitation_id} from {self.from_customer_id}"


# --------------------------------------------------------------------------- responses


class ResponseQuerySet(models.QuerySet):
    def scored(self):
        """Responses whose primary score was answered (skipped ones count in no metric)."""
        return self.filter(score__isnull=False)

    def of_kind(self, kind):
        return self.filter(kind=kind)


class Response(ChoiceLabelsModel):
    """A customer's submitted answers to one invitation, with its context denormalised
    (persona, channel, touchpoint, journey, stage, case, agent) for fast reporting.

    `score` is the answer to the survey's primary score question (None if skipped);
    `kind` copies the survey's kind so metrics need no join.
    """

    invitation = models.OneToOneField(
        Invitation, verbose_name=_("invitation"), on_delete=models.PROTECT, related_name="response"
    )
    survey = models.ForeignKey(
        Survey, verbose_name=_("survey"), on_delete=models.PROTECT, related_name="responses", db_index=False
    )
    kind = models.CharField(verbose_name=_("kind"), max_length=16, choices=SurveyKind.choices)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="survey_responses",
        db_index=False,
    )
    # PROTECT: reports break answers down by persona, so a persona with answers cannot be deleted.
    persona = models.ForeignKey(
        "journeys.Persona", verbose_name=_("persona"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField(verbose_name=_("channel"), max_length=16, choices=Channel.choices, blank=True)
    touchpoint_key = models.CharField(verbose_name=_("touchpoint key"), max_length=80, blank=True)
    touchpoint = models.ForeignKey(
        "journeys.Touchpoint",
        verbose_name=_("touchpoint"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    journey_map = models.ForeignKey(
        "journeys.JourneyMap",
        verbose_name=_("journey map"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    stage = models.ForeignKey(
        "journeys.Stage", verbose_name=_("stage"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The stage's name, so reports group a stage across map versions.
    stage_name = models.CharField(verbose_name=_("stage name"), max_length=120, blank=True)
    interaction = models.ForeignKey(
        "customers.Interaction",
        verbose_name=_("interaction"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    case = models.ForeignKey(
        "customers.Case", verbose_name=_("case"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    score = models.SmallIntegerField(verbose_name=_("score"), null=True, blank=True)
    comment = models.TextField(verbose_name=_("comment"), blank=True)
    answers = models.JSONField(
        verbose_name=_("answers"), default=dict, blank=True, help_text=_("{question id: answer}")
    )
    language = models.CharField(verbose_name=_("language"), max_length=8, choices=Language.choices, default=Language.EN)
    sentiment = models.CharField(
        verbose_name=_("sentiment"), max_length=10, choices=Sentiment.choices, default=Sentiment.UNKNOWN
    )
    sentiment_score = models.FloatField(
        verbose_name=_("sentiment score"), null=True, blank=True, help_text=_("Compound score from −1 to +1")
    )
    followup_case = models.OneToOneField(
        "customers.Case",
        verbose_name=_("follow-up case"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="survey_response",
    )
    submitted_at = models.DateTimeField(verbose_name=_("submitted at"), db_index=True)
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    # When the follow-up case's assignee was emailed; the conditional update on it keeps the email single.
    followup_notified_at = models.DateTimeField(verbose_name=_("follow-up notified at"), null=True, blank=True)

    objects = ResponseQuerySet.as_manager()

    class Meta:
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(fields=["kind", "submitted_at"], name="feedback_resp_kind_at_idx"),
            models.Index(fields=["customer", "-submitted_at"], name="feedback_resp_customer_idx"),
            # The health score's latest and previous answer of each kind per customer (feedback/health.py).
            models.Index(fields=["customer", "kind", "-submitted_at", "-id"], name="feedback_resp_cust_kind_idx"),
            models.Index(fields=["touchpoint_key", "submitted_at"], name="feedback_resp_tp_idx"),
            models.Index(fields=["survey", "submitted_at"], name="feedback_resp_survey_idx"),
            # The answers recorded since the beat's last rollup run (feedback/metrics/changes.py).
            models.Index(fields=["created_at"], name="feedback_resp_created_idx"),
        ]

    def __str__(self):
        return gettext("Response #%(id)s %(kind)s %(score)s") % {
            "id": self.pk,
            "kind": self.get_kind_display(),
            "score": self.score,
        }


# --------------------------------------------------------------------------- metric rollups


class MetricRollup(models.Model):
    """One metric for one day (in TIME_ZONE) and one dimension value, stored as exact counts.

    Weeks, months and quarters are sums of days, so nothing is an average of averages:
    `n` is the sample (answers, cases, invitations…), `numerator`/`denominator` a ratio's
    parts, `value_sum` a sum for means, and `top_box`/`middle`/`bottom_box` the answers in each
    bucket of the kind's scale (feedback/scales.py): promoters/passives/detractors for NPS,
    satisfied/neutral/dissatisfied for CSAT, easy/neutral/difficult for CES.
    `dimension_value` is "" for the `overall` dimension.
    """

    metric = models.CharField(verbose_name=_("metric"), max_length=40)
    day = models.DateField(verbose_name=_("day"))
    dimension = models.CharField(verbose_name=_("dimension"), max_length=20, default="overall")
    dimension_value = models.CharField(verbose_name=_("dimension value"), max_length=160, blank=True, default="")
    n = models.PositiveIntegerField(verbose_name=_("count (n)"), default=0)
    numerator = models.FloatField(verbose_name=_("numerator"), default=0)
    denominator = models.FloatField(verbose_name=_("denominator"), default=0)
    value_sum = models.FloatField(verbose_name=_("sum of values"), default=0)
    top_box = models.PositiveIntegerField(verbose_name=_("top box"), default=0)
    middle = models.PositiveIntegerField(verbose_name=_("middle"), default=0)
    bottom_box = models.PositiveIntegerField(verbose_name=_("bottom box"), default=0)
    # The day's median (time to resolution / first response, hours); longer periods
    # take their medians from the source rows.
    median = models.FloatField(verbose_name=_("median"), null=True, blank=True)
    # The moment the figures were computed as of: the rows recorded by then, and only those, are counted
    # (feedback.metrics.compute, `as_of`).
    computed_at = models.DateTimeField(verbose_name=_("computed at"), default=timezone.now)

    class Meta:
        verbose_name = _("metric rollup")
        verbose_name_plural = _("metric rollups")
        ordering = ["metric", "day", "dimension", "dimension_value"]
        permissions = [
            ("view_reports", "Can read every CX report"),
            ("view_marketing_reports", "Can read campaign and journey reports"),
            ("view_own_reports", "Can read the figures of their own cases"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["metric", "day", "dimension", "dimension_value"], name="feedback_rollup_key_uniq"
            ),
        ]
        indexes = [
            models.Index(fields=["metric", "dimension", "day"], name="feedback_rollup_lookup_idx"),
        ]

    def __str__(self):
        return f"{self.metric} {self.day} {self.dimension}={self.dimension_value or '-'} n={self.n}"


class MetricRollupWatermark(models.Model):
    """Where the beat's rollup cycle stands (one row, pk 1): the start of its last successful run, from which
    the next run looks for changed source rows, and the last time history changed in a way no row's timestamp
    shows (an edit or a deletion in the admin, a customer's new persona), which makes the next run recompute
    every metric's whole settle window (feedback/metrics/changes.py)."""

    # None until a run succeeds: the first run recomputes the whole settle windows.
    run_started_at = models.DateTimeField(verbose_name=_("last run started at"), null=True, blank=True)
    rewritten_at = models.DateTimeField(verbose_name=_("history rewritten at"), null=True, blank=True)
    updated_at = models.DateTimeField(verbose_name=_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("metric rollup watermark")
        verbose_name_plural = _("metric rollup watermarks")

    def __str__(self):
        return gettext("Rollups changed since %(time)s") % {"time": self.run_started_at or "-"}


class MetricDigest(models.Model):
    """One weekly digest sent to managers; the unique week makes a retried task send it once."""

    week_start = models.DateField(verbose_name=_("week starting"), unique=True)
    sent_at = models.DateTimeField(verbose_name=_("sent at"), auto_now_add=True)
    recipients = models.PositiveIntegerField(verbose_name=_("recipients"), default=0)

    class Meta:
        verbose_name = _("metric digest")
        verbose_name_plural = _("metric digests")
        ordering = ["-week_start"]

    def __str__(self):
        return ngettext(
            "Digest of the week of %(week)s, sent to %(count)d recipient",
            "Digest of the week of %(week)s, sent to %(count)d recipients",
            self.recipients,
        ) % {"week": self.week_start, "count": self.recipients}


# --------------------------------------------------------------------------- closed loop and merges of responses


class FeedbackSettings(ChoiceLabelsModel):
    """The feedback module's settings edited in the admin (one row, pk 1): who follows up detractors
    whose customer has no owner, and the follow-up case's priority (its SLA due times come from it)."""

    default_followup_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("default follow-up assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Gets the detractor follow-up when the customer has no owner"),
    )
    followup_priority = models.CharField(
        verbose_name=_("follow-up priority"),
        max_length=16,
        choices=CasePriority.choices,
        default=CasePriority.HIGH,
        help_text=_("Priority of detractor follow-up cases; the SLA policy of that priority sets the due time"),
    )
    updated_at = models.DateTimeField(verbose_name=_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("feedback settings")
        verbose_name_plural = _("feedback settings")

    def __str__(self):
        return gettext("Feedback settings")

    @classmethod
    def load(cls) -> "FeedbackSettings":
        return cls.objects.select_related("default_followup_assignee").get_or_create(pk=1)[0]


class ResponseMergeMove(MergeMove):
    """A response moved by a merge."""

    response = models.ForeignKey(
        Response, verbose_name=_("response"), on_delete=models.CASCADE, related_name="merge_moves"
    )

    class Meta:
        verbose_name = _("response merge move")
        verbose_name_plural = _("response merge moves")
        ordering = ["merge", "response"]
        constraints = [
            models.UniqueConstraint(fields=["merge", "response"], name="feedback_resp_mergemove_uniq"),
        ]

    def __str__(self):
        return f"merge {self.merge_id}: response {self.response_id} from {self.from_customer_id}"


# --------------------------------------------------------------------------- customer health


def _default_lifecycle_points():
    return {"advocate": 1.0, "active": 0.8, "prospect": 0.6, "lead": 0.5, "at_risk": 0.2, "churned": 0.0}


class HealthSettings(models.Model):
    """The customer health score's weights and thresholds, edited in the admin (one row, pk 1).

    Each part of the score (feedback/health.py) earns a fraction from 0 to 1 of its weight; the score is
    100 × (points earned) / (weights of the parts that have a signal). docs/metrics.md gives the reason
    for each default.
    """

    weight_surveys = models.PositiveSmallIntegerField(
        verbose_name=_("weight: surveys"), default=25, help_text=_("Latest NPS, CSAT and CES")
    )
    weight_survey_trend = models.PositiveSmallIntegerField(
        verbose_name=_("weight: survey trend"), default=5, help_text=_("Latest answer against the one before")
    )
    weight_cases = models.PositiveSmallIntegerField(
        verbose_name=_("weight: cases"), default=20, help_text=_("Open and breached cases")
    )
    weight_followup = models.PositiveSmallIntegerField(
        verbose_name=_("weight: follow-up"), default=10, help_text=_("A detractor follow-up still open")
    )
    weight_sentiment = models.PositiveSmallIntegerField(
        verbose_name=_("weight: sentiment"), default=10, help_text=_("Negative comments lately")
    )
    weight_engagement = models.PositiveSmallIntegerField(
        verbose_name=_("weight: engagement"), default=15, help_text=_("Last 30 days against the 90 before")
    )
    weight_recency = models.PositiveSmallIntegerField(
        verbose_name=_("weight: recency"), default=10, help_text=_("Days since last contact against rhythm")
    )
    weight_lifecycle = models.PositiveSmallIntegerField(
        verbose_name=_("weight: lifecycle stage"), default=5, help_text=_("Lifecycle stage")
    )
    lifecycle_points = models.JSONField(
        verbose_name=_("points per lifecycle stage"),
        default=_default_lifecycle_points,
        validators=[json_storable_check],
        help_text=_("Fraction (0–1) of the lifecycle weight earned by each stage"),
    )
    open_case_penalty = models.FloatField(
        verbose_name=_("open case penalty"),
        default=0.2,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text=_("Share lost per open case"),
    )
    breached_case_penalty = models.FloatField(
        verbose_name=_("breached case penalty"),
        default=0.5,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text=_("Share lost per open case past its SLA (on top of the open case's)"),
    )
    sentiment_days = models.PositiveSmallIntegerField(
        verbose_name=_("sentiment window (days)"), default=90, validators=[MinValueValidator(1)]
    )
    recency_overdue_ratio = models.FloatField(
        verbose_name=_("overdue ratio"),
        default=3.0,
        validators=[MinValueValidator(1.01)],
        help_text=_("Days since last contact, in multiples of the usual gap, at which the recency part is 0"),
    )
    attention_below = models.PositiveSmallIntegerField(
        verbose_name=_("needs attention below"),
        default=40,
        validators=[MaxValueValidator(100)],
        help_text=_("A score below this puts the customer in the queue"),
    )
    sharp_drop = models.PositiveSmallIntegerField(
        verbose_name=_("sharp drop (points)"), default=15, help_text=_("Points lost within drop_days that count")
    )
    drop_days = models.PositiveSmallIntegerField(
        verbose_name=_("drop window (days)"), default=30, validators=[MinValueValidator(1)]
    )
    high_value_amount = models.DecimalField(
        verbose_name=_("high-value amount"),
        max_digits=12,
        decimal_places=2,
        default=1000,
        help_text=_("Purchases in 12 months that make a customer high-value"),
    )
    quiet_days = models.PositiveSmallIntegerField(
        verbose_name=_("quiet after (days)"),
        default=45,
        validators=[MinValueValidator(1)],
        help_text=_("A high-value customer silent this long is quiet"),
    )
    repeat_contacts = models.PositiveSmallIntegerField(
        verbose_name=_("repeat contacts"), default=3, validators=[MinValueValidator(2)]
    )
    repeat_days = models.PositiveSmallIntegerField(
        verbose_name=_("repeat contact window (days)"), default=7, validators=[MinValueValidator(1)]
    )
    history_days = models.PositiveSmallIntegerField(
        verbose_name=_("history (days)"), default=400, validators=[MinValueValidator(30)]
    )
    updated_at = models.DateTimeField(verbose_name=_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("health settings")
        verbose_name_plural = _("health settings")

    def __str__(self):
        return gettext("Health settings")

    def clean(self):
        if not isinstance(self.lifecycle_points, dict) or not all(
            isinstance(v, int | float) and 0 <= v <= 1 for v in self.lifecycle_points.values()
        ):
            raise ValidationError({"lifecycle_points": _("Give each stage a number from 0 to 1.")})

    @classmethod
    def load(cls) -> "HealthSettings":
        return cls.objects.get_or_create(pk=1)[0]


class HealthScore(models.Model):
    """A customer's current health score (0–100) and its parts, as last computed.

    `parts` = {part key: {"weight": int, "fraction": float 0–1 or None (no signal), "detail": {...}}};
    `computed_at`: the run that last found the score or a part different (a run that finds both as they
    were leaves the row alone).
    """

    customer = models.OneToOneField(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="health"
    )
    score = models.PositiveSmallIntegerField(verbose_name=_("health score"))
    parts = models.JSONField(verbose_name=_("parts"), default=dict)
    computed_at = models.DateTimeField(verbose_name=_("computed at"))

    class Meta:
        verbose_name = _("health score")
        verbose_name_plural = _("health scores")
        indexes = [models.Index(fields=["score"], name="feedback_health_score_idx")]

    def __str__(self):
        return f"{self.customer_id}: {self.score}"


class HealthScoreChange(models.Model):
    """One move of a customer's health score (a row only when the score changes), kept history_days."""

    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="+", db_index=False
    )
    from_score = models.PositiveSmallIntegerField(verbose_name=_("previous score"), null=True, blank=True)
    score = models.PositiveSmallIntegerField(verbose_name=_("new score"))
    changed_at = models.DateTimeField(verbose_name=_("changed at"))

    class Meta:
        verbose_name = _("health score change")
        verbose_name_plural = _("health score changes")
        ordering = ["customer", "changed_at", "id"]
        indexes = [
            models.Index(fields=["customer", "changed_at"], name="feedback_healthchg_cust_idx"),
            models.Index(fields=["changed_at"], name="feedback_healthchg_at_idx"),
        ]

    def __str__(self):
        return f"{self.customer_id}: {self.from_score} → {self.score} @ {self.changed_at:%Y-%m-%d}"


class AttentionAction(ChoiceLabelsModel):
    """A rep's answer to a customer in the "needs attention" queue: snoozed until a time, or handled.

    `reasons` are the reason keys the queue showed then; a handled customer comes back only when a reason
    not among them appears, a snoozed one when `until` has passed.
    """

    class Kind(models.TextChoices):
        SNOOZE = "snooze", _("Snoozed")
        HANDLED = "handled", _("Handled")

    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="+", db_index=False
    )
    kind = models.CharField(verbose_name=_("kind"), max_length=10, choices=Kind.choices)
    reasons = models.JSONField(verbose_name=_("reasons"), default=list)
    note = models.TextField(verbose_name=_("note"), blank=True)
    until = models.DateTimeField(verbose_name=_("snoozed until"), null=True, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(verbose_name=_("done at"))

    class Meta:
        verbose_name = _("attention action")
        verbose_name_plural = _("attention actions")
        ordering = ["customer", "-at", "-id"]
        indexes = [models.Index(fields=["customer", "-at"], name="feedback_attention_cust_idx")]

    def __str__(self):
        return f"{self.customer_id} {self.kind} @ {self.at:%Y-%m-%d}"


# The journey analytics' materialised tables live with their code (feedback/journey_analytics/models.py).
from .journey_analytics.models import CustomerJourney, JourneyAnalyticsState, JourneyStageVisit  # noqa: E402, F401
