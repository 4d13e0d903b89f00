"""Admin: surveys with questions (and choices) and per-language texts inline, rules, and read-only
invitations; an email preview per language and "send a test to me" on each survey."""

import nested_admin
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from customers.choices import LifecycleStage
from customers.selectors import case_assignable_users
from cxcrm.admin import BoundedFieldsAdminMixin, ReadOnlyAdminMixin
from cxcrm.choices import Language
from cxcrm.validators import text_storable_check

from . import delivery, selectors, services
from .choices import SuppressionReason
from .models import (
    FeedbackSettings,
    Invitation,
    QuestionChoice,
    Response,
    Survey,
    SurveyQuestion,
    SurveyRule,
    SurveyText,
)


class QuestionFormSet(nested_admin.NestedInlineFormSet):
    """The survey's questions, checked by the model's rules (the same ones the API's services apply).

    Survey.questions_check: one primary score question for NPS/CSAT/CES, at most one for a custom
    survey, choices and scales; Survey.questions_lock_check: a survey with invitations keeps its
    questions (and their choices) as they are.
    """

    def clean(self):
        super().clean()
        kept = [form for form in self.forms if form.cleaned_data and not self._should_delete_form(form)]
        survey = self.instance
        if survey.pk and self._questions_changed():
            survey.questions_lock_check()
        survey.questions_check([{**form.cleaned_data, "choices": self._kept_choices(form)} for form in kept])

    def _questions_changed(self) -> bool:
        return any(form.has_changed() for form in self.forms) or any(
            choices.has_changed() for form in self.forms for choices in getattr(form, "nested_formsets", [])
        )

    @staticmethod
    def _kept_choices(form) -> list[dict]:
        kept = []
        for choices in getattr(form, "nested_formsets", []):
            choices.is_valid()  # the nested formsets are cleaned after this one
            kept += [f.cleaned_data for f in choices.forms if f.cleaned_data and not choices._should_delete_form(f)]
        return kept


# --------------------------------------------------------------------------- translations, one field per language
# A question's text and a choice's label are English in their own field; the other languages are kept in
# the model's `translations` map ({language: text}), edited here as one plain field per supported language.

TRANSLATED = [(code, label) for code, label in Language.choices if code != Language.EN]


def translation_field_name(code: str) -> str:
    """The form field of one language's translation: "pt-br" -> "translation_pt_br"."""
    return "translation_" + code.replace("-", "_")


def _translations_form(model, base_field: str):
    """A ModelForm of `model` with a text field per translated language in place of the raw JSON map;
    an empty field means "use the English text"."""
    max_length = model._meta.get_field(base_field).max_length
    declared = {
        translation_field_name(code): forms.CharField(
            label=label,
            required=False,
            max_length=max_length,
            help_text=_("Empty: the English text is shown."),
            widget=forms.TextInput(attrs={"lang": code}),
            validators=[text_storable_check],
        )
        for code, label in TRANSLATED
    }

    def __init__(self, *args, **kwargs):
        forms.ModelForm.__init__(self, *args, **kwargs)
        stored = self.instance.translations if isinstance(self.instance.translations, dict) else {}
        for code, _label in TRANSLATED:
            self.initial.setdefault(translation_field_name(code), stored.get(code, ""))

    def clean(self):
        cleaned = forms.ModelForm.clean(self)
        self.instance.translations = {
            code: cleaned[translation_field_name(code)]
            for code, _label in TRANSLATED
            if cleaned.get(translation_field_name(code))
        }
        return cleaned

    meta = type("Meta", (), {"model": model, "exclude": ["translations"]})
    return type(
        f"{model.__name__}TranslationsForm",
        (forms.ModelForm,),
        {**declared, "Meta": meta, "__init__": __init__, "clean": clean},
    )


TRANSLATION_FIELDS = tuple(translation_field_name(code) for code, _label in TRANSLATED)


class QuestionChoiceInline(BoundedFieldsAdminMixin, nested_admin.NestedTabularInline):
    model = QuestionChoice
    form = _translations_form(QuestionChoice, "label")
    extra = 0
    fields = ["position", "value", "label", *TRANSLATION_FIELDS]
    sortable_field_name = "position"


class SurveyQuestionInline(BoundedFieldsAdminMixin, nested_admin.NestedStackedInline):
    model = SurveyQuestion
    form = _translations_form(SurveyQuestion, "text")
    formset = QuestionFormSet
    extra = 0
    fields = [("position", "type", "is_primary", "required"), "text", *TRANSLATION_FIELDS, ("scale_min", "scale_max")]
    sortable_field_name = "position"
    inlines = [QuestionChoiceInline]


class SurveyTextInline(nested_admin.NestedStackedInline):
    """A survey's texts per language, stacked: the intro is a paragraph, too wide for a table's cell."""

    model = SurveyText
    extra = 0
    fields = [("language", "title"), "intro", "thank_you"]


class SurveyRuleInline(nested_admin.NestedTabularInline):
    model = SurveyRule
    extra = 0
    fields = [
        "name",
        "event",
        "channel",
        "interaction_type",
        "touchpoint_key",
        "delay_minutes",
        "sample_percent",
        "priority",
        "active",
    ]
    show_change_link = True


@admin.register(Survey)
class SurveyAdmin(nested_admin.NestedModelAdmin):
    list_display = ["name", "kind", "delivery_channel", "active", "expiry_days", "reminder_after_days", "updated_at"]
    list_filter = ["kind", "delivery_channel", "active"]
    search_fields = ["name"]
    readonly_fields = ["email_preview", "created_by", "created_at", "updated_at"]
    fields = [
        "name",
        "kind",
        "active",
        "delivery_channel",
        ("expiry_days", "reminder_after_days"),
        "email_preview",
        ("created_by", "created_at", "updated_at"),
    ]
    inlines = [SurveyTextInline, SurveyQuestionInline, SurveyRuleInline]

    class Media:
        css = {"all": ("feedback/admin.css",)}

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        for rule in form.instance.rules.filter(active=True):
            warn_overlaps(request, self, rule)

    @admin.display(description=_("Email"))
    def email_preview(self, obj):
        if not obj or not obj.pk:
            return _("Save the survey to preview its email.")
        previews = format_html_join(
            " · ",
            '<a href="{}" target="_blank" rel="noopener">{}</a>',
            (
                (reverse("admin:feedback_survey_preview", args=[obj.pk, code]), label)
                for code, label in Language.choices
            ),
        )
        tests = format_html_join(
            " · ",
            '<a href="{}?language={}">{}</a>',
            (
                (reverse("admin:feedback_survey_send_test", args=[obj.pk]), code, label)
                for code, label in Language.choices
            ),
        )
        return format_html("{}: {}<br>{}: {}", _("Preview"), previews, _("Send a test to me"), tests)

    def get_urls(self):
        urls = [
            path(
                "<int:pk>/preview/<str:language>/",
                self.admin_site.admin_view(self.preview_view),
                name="feedback_survey_preview",
            ),
            path(
                "<int:pk>/send-test/", self.admin_site.admin_view(self.send_test_view), name="feedback_survey_send_test"
            ),
        ]
        return urls + super().get_urls()

    def _survey(self, request, pk):
        survey = get_object_or_404(Survey.objects.prefetch_related("texts", "questions"), pk=pk)
        if not self.has_view_permission(request, survey):
            raise PermissionDenied
        return survey

    def preview_view(self, request, pk, language):
        survey = self._survey(request, pk)
        subject, text, html, _headers = delivery.render_email(
            survey=survey, language=language, invitation_id=0, first_name=request.user.first_name
        )
        if request.GET.get("format") == "text":
            return HttpResponse(f"Subject: {subject}\n\n{text}", content_type="text/plain; charset=utf-8")
        return HttpResponse(html)

    def send_test_view(self, request, pk):
        survey = self._survey(request, pk)
        if request.method != "POST":
            context = {
                **self.admin_site.each_context(request),
                "survey": survey,
                "opts": self.model._meta,
                "language": delivery.normalise_language(request.GET.get("language", "en")),
                "languages": Language.choices,
                "title": _("Send a test of %(survey)s") % {"survey": survey},
            }
            return render(request, "feedback/admin_send_test.html", context)
        language = delivery.normalise_language(request.POST.get("language", "en"))
        try:
            services.survey_send_test(survey=survey, language=language, to=request.user.email)
        except ValidationError as exc:
            self.message_user(request, "; ".join(exc.messages), messages.ERROR)
        else:
            self.message_user(
                request, _("Test email (%(lang)s) sent to %(to)s.") % {"lang": language, "to": request.user.email}
            )
        return redirect("admin:feedback_survey_change", pk)


def warn_overlaps(request, model_admin, rule: SurveyRule) -> None:
    """A warning message naming the active rules that can match the same events as `rule`, and which invites."""
    others = list(SurveyRule.objects.overlapping(rule))
    if not rule.active or not others:
        return
    first = min([rule, *others], key=SurveyRule.precedence_key)
    model_admin.message_user(
        request,
        _(
            "Rule “%(rule)s” overlaps %(others)s: an event they all match is offered to “%(first)s” first "
            "(lower priority, then the more specific rule); once a rule invites, the others record “overlap”."
        )
        % {"rule": rule, "others": ", ".join(f"“{o}”" for o in others), "first": first},
        messages.WARNING,
    )


@admin.register(SurveyRule)
class SurveyRuleAdmin(admin.ModelAdmin):
    """Survey rules, with their precedence, the rules each overlaps and what each did in the last 30 days."""

    list_display = [
        "name",
        "survey",
        "event",
        "channel",
        "interaction_type",
        "touchpoint_key",
        "delay_minutes",
        "sample_percent",
        "priority",
        "overlaps",
        "active",
    ]
    list_filter = ["event", "channel", "active", "survey"]
    search_fields = ["name", "survey__name", "touchpoint_key"]
    autocomplete_fields = ["survey"]
    list_select_related = ["survey"]
    readonly_fields = ["overlapping_rules", "activity"]

    def get_queryset(self, request):
        return super().get_queryset(request).with_overlaps()

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        warn_overlaps(request, self, obj)

    @admin.display(boolean=True, description=_("Overlaps"), ordering="overlaps")
    def overlaps(self, obj):
        return obj.overlaps

    @admin.display(description=_("Overlapping rules"))
    def overlapping_rules(self, obj):
        if not obj or not obj.pk:
            return "–"
        others = SurveyRule.objects.overlapping(obj).select_related("survey")
        if not others:
            return _("None: no other active rule matches the same events.")
        return format_html_join(
            mark_safe("<br>"),
            '<a href="{}">{}</a> ({}, {}: {})',
            (
                (reverse("admin:feedback_surveyrule_change", args=[o.pk]), o.name, o.survey, _("priority"), o.priority)
                for o in sorted(others, key=SurveyRule.precedence_key)
            ),
        )

    @admin.display(description=_("Last 30 days"))
    def activity(self, obj):
        if not obj or not obj.pk:
            return "–"
        counts = selectors.survey_rule_activity(rule=obj)
        rows = [
            (_("Events matched"), counts["matched"]),
            (_("Invited"), counts["invited"]),
            (_("of which sent later for quiet hours"), counts["deferred_quiet_hours"]),
            (_("Suppressed"), counts["suppressed"]),
            *((label, counts[value]) for value, label in SuppressionReason.choices),
        ]
        return format_html(
            '<table class="rule-activity" data-testid="rule-activity"><tbody>{}</tbody></table>',
            format_html_join("", '<tr><th scope="row">{}</th><td>{}</td></tr>', rows),
        )


@admin.register(Invitation)
class InvitationAdmin(BoundedFieldsAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "id",
        "survey",
        "customer",
        "channel",
        "status",
        "suppression_reason",
        "scheduled_for",
        "sent_at",
        "attempts",
    ]
    list_filter = ["status", "suppression_reason", "channel", "survey"]
    search_fields = ["=id", "source_key", "recipient", "customer__last_name", "customer__first_name"]
    list_select_related = ["survey", "customer"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]


@admin.register(Response)
class ResponseAdmin(BoundedFieldsAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Responses are what customers said: read only, filterable by the context reports use."""

    list_display = [
        "id",
        "submitted_at",
        "survey",
        "kind",
        "score",
        "sentiment",
        "customer",
        "channel",
        "touchpoint_key",
        "followup_link",
    ]
    list_filter = [
        "kind",
        "sentiment",
        "channel",
        "language",
        "survey",
        ("followup_case", admin.EmptyFieldListFilter),
        "stage_name",
        "persona",
        "journey_map",
    ]
    search_fields = ["=id", "comment", "touchpoint_key", "customer__last_name", "customer__first_name"]
    list_select_related = ["survey", "customer", "followup_case"]
    date_hierarchy = "submitted_at"
    ordering = ["-submitted_at", "-id"]
    show_full_result_count = False

    @admin.display(description=_("Follow-up"))
    def followup_link(self, obj):
        if not obj.followup_case_id:
            return "—"
        url = reverse("customers:case_detail", args=[obj.followup_case_id])
        return format_html('<a href="{}">#{} {}</a>', url, obj.followup_case_id, obj.followup_case.get_status_display())


@admin.register(FeedbackSettings)
class FeedbackSettingsAdmin(admin.ModelAdmin):
    """One row: the default follow-up assignee and the follow-up priority."""

    fields = ["default_followup_assignee", "followup_priority", "updated_at"]
    readonly_fields = ["updated_at"]

    def get_form(self, request, obj=None, **kwargs):
        # A follow-up is a case: its default assignee is one of the users a case can be assigned to.
        form = super().get_form(request, obj, **kwargs)
        if "default_followup_assignee" in form.base_fields:  # absent for a user who may only view the settings
            current = obj.default_followup_assignee_id if obj else None
            form.base_fields["default_followup_assignee"].queryset = case_assignable_users(current_id=current)
        return form

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not FeedbackSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        # A single row: the list would only ever show one line, so open it directly.
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        config = FeedbackSettings.load()
        return redirect("admin:feedback_feedbacksettings_change", config.pk)


# --------------------------------------------------------------------------- health score settings

from .models import HealthSettings  # noqa: E402


def _lifecycle_points_field(stage: str) -> str:
    return f"lifecycle_points_{stage}"


class _HealthSettingsFormBase(forms.ModelForm):
    """`lifecycle_points` (JSON {stage: fraction}) edited as one number from 0 to 1 per lifecycle stage, named by
    the stage's label and written in the reader's number format, instead of a JSON box of stage codes."""

    class Meta:
        model = HealthSettings
        fields = [
            f.name for f in HealthSettings._meta.fields if f.editable and f.name not in ("id", "lifecycle_points")
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        points = self.instance.lifecycle_points or {}
        for stage in LifecycleStage.values:
            if stage in points and not self.is_bound:
                self.initial[_lifecycle_points_field(stage)] = points[stage]

    def _post_clean(self):
        if all(_lifecycle_points_field(stage) in self.cleaned_data for stage in LifecycleStage.values):
            self.instance.lifecycle_points = {
                **(self.instance.lifecycle_points or {}),
                # + 0.0: a typed "-0" is stored (and shown again) as 0, not -0.0.
                **{stage: self.cleaned_data[_lifecycle_points_field(stage)] + 0.0 for stage in LifecycleStage.values},
            }
        super()._post_clean()


HealthSettingsForm = type(
    "HealthSettingsForm",
    (_HealthSettingsFormBase,),
    {
        _lifecycle_points_field(stage): forms.FloatField(
            label=label, min_value=0, max_value=1, localize=True, widget=forms.TextInput(attrs={"inputmode": "decimal"})
        )
        for stage, label in LifecycleStage.choices
    },
)


@admin.register(HealthSettings)
class HealthSettingsAdmin(BoundedFieldsAdminMixin, admin.ModelAdmin):
    """One row: the health score's weights and thresholds (docs/metrics.md gives each default's reason);
    the next hourly run, or the next event for a customer, applies a change."""

    fieldsets = [
        (
            _("Weights (points of each part; the score is out of the weights of the parts with a signal)"),
            {
                "fields": [
                    "weight_surveys",
                    "weight_survey_trend",
                    "weight_cases",
                    "weight_followup",
                    "weight_sentiment",
                    "weight_engagement",
                    "weight_recency",
                    "weight_lifecycle",
                ]
            },
        ),
        (
            _("Points per lifecycle stage (the fraction, 0 to 1, of the lifecycle weight each stage earns)"),
            {"fields": [_lifecycle_points_field(stage) for stage in LifecycleStage.values]},
        ),
        (
            _("Thresholds"),
            {
                "fields": [
                    "open_case_penalty",
                    "breached_case_penalty",
                    "sentiment_days",
                    "recency_overdue_ratio",
                    "attention_below",
                    "sharp_drop",
                    "drop_days",
                    "high_value_amount",
                    "quiet_days",
                    "repeat_contacts",
                    "repeat_days",
                    "history_days",
                ]
            },
        ),
        (None, {"fields": ["updated_at"]}),
    ]
    readonly_fields = ["updated_at"]
    form = HealthSettingsForm

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not HealthSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        return redirect("admin:feedback_healthsettings_change", HealthSettings.load().pk)


# --------------------------------------------------------------------------- metrics (read-only)

from .metrics.definitions import DIMENSIONS, METRICS  # noqa: E402
from .models import MetricDigest, MetricRollup  # noqa: E402


@admin.register(MetricRollup)
class MetricRollupAdmin(BoundedFieldsAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """The daily rollups, for checking a figure; they are rewritten by the beat task and rollup_metrics."""

    list_display = [
        "metric_shown",
        "day",
        "dimension_shown",
        "dimension_value",
        "n",
        "numerator",
        "denominator",
        "median",
    ]
    list_filter = ["metric", "dimension"]
    search_fields = ["dimension_value"]
    date_hierarchy = "day"
    ordering = ["-day", "metric", "dimension", "dimension_value"]

    @admin.display(description=_("metric"), ordering="metric")
    def metric_shown(self, rollup):
        """The metric by its name in the reader's language (its code when no metric has it any more)."""
        metric = METRICS.get(rollup.metric)
        return metric.label if metric else rollup.metric

    @admin.display(description=_("dimension"), ordering="dimension")
    def dimension_shown(self, rollup):
        """The dimension by its name in the reader's language."""
        return DIMENSIONS.get(rollup.dimension, rollup.dimension)


@admin.register(MetricDigest)
class MetricDigestAdmin(MetricRollupAdmin):
    """Weekly digests sent (one per week)."""

    list_display = ["week_start", "sent_at", "recipients"]
    list_filter = []
    search_fields = []
    date_hierarchy = None
    ordering = ["-week_start"]
