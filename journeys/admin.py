"""The admin where marketers edit personas and journey maps: one map page with
its stages and, inside each stage, its touchpoints, all sortable by drag and
drop (django-nested-admin). Reps and managers hold only `view` permissions, so
the same pages are read-only for them."""

import nested_admin
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cxcrm.choices import Channel

from . import services
from .choices import MapStatus
from .models import JourneyMap, Persona, Stage, Touchpoint
from .selectors import touchpoint_key_conflicts

# --------------------------------------------------------------------------- personas


class PersonaAdminForm(forms.ModelForm):
    preferred_channels = forms.MultipleChoiceField(
        choices=Channel.choices, required=False, widget=forms.CheckboxSelectMultiple, label=_("preferred channels")
    )

    class Meta:
        model = Persona
        fields = (
            "name",
            "summary",
            "goals",
            "frustrations",
            "motivations",
            "demographics",
            "preferred_channels",
            "picture",
        )
        widgets = {
            "summary": forms.TextInput(attrs={"class": "vLargeTextField"}),
            **{
                name: forms.Textarea(attrs={"rows": 3})
                for name in ("goals", "frustrations", "motivations", "demographics")
            },
        }


@admin.register(Persona)
class PersonaAdmin(admin.ModelAdmin):
    form = PersonaAdminForm
    list_display = ("name", "summary", "channels", "map_count", "updated_at")
    search_fields = ("name", "summary")
    readonly_fields = ("created_at", "updated_at")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(map_count=Count("journey_maps")).order_by("name", "id")

    @admin.display(description=_("Preferred channels"))
    def channels(self, obj):
        labels = dict(Channel.choices)
        return ", ".join(str(labels.get(c, c)) for c in obj.preferred_channels or [])

    @admin.display(description=_("Maps"), ordering="map_count")
    def map_count(self, obj):
        return obj.map_count


# --------------------------------------------------------------------------- inlines


class ReadOnlyInlinesAreNotSortable:
    """Reps and managers only view maps: their child inlines show no drag handles and
    cannot be dragged (nested-admin would otherwise let them reorder a page they cannot save)."""

    def get_inline_instances(self, request, obj=None):
        inlines = super().get_inline_instances(request, obj)
        for inline in inlines:
            if not inline.has_change_permission(request, obj):
                inline.sortable_options = {**inline.sortable_options, "disabled": True}
                inline.sortable_field_name = None
        return inlines


class TouchpointInlineFormSet(nested_admin.NestedInlineFormSet):
    def save_new(self, form, commit=True):
        # The map is implied by the stage; `published` follows the map's status.
        journey_map = self.instance.journey_map
        form.instance.journey_map = journey_map
        form.instance.published = journey_map.status == MapStatus.PUBLISHED
        return super().save_new(form, commit)


class StageInlineFormSet(nested_admin.NestedInlineFormSet):
    def clean(self):
        """Keys: unique within the map (across stages) and among published maps."""
        super().clean()
        seen: dict[str, tuple[str, str]] = {}
        entries = []
        for stage_form in self.forms:
            if self._should_delete_form(stage_form) or not hasattr(stage_form, "cleaned_data"):
                continue
            stage_name = stage_form.cleaned_data.get("name") or gettext("(unnamed stage)")
            for nested in getattr(stage_form, "nested_formsets", []):
                nested.is_valid()
                for tp_form in nested.forms:
                    if nested._should_delete_form(tp_form) or not getattr(tp_form, "cleaned_data", None):
                        continue
                    key = tp_form.cleaned_data.get("key")
                    if not key:
                        continue
                    if key in seen:
                        other_stage, other_name = seen[key]
                        tp_form.add_error(
                            "key",
                            gettext(
                                "Key “%(key)s” is already used in this map by touchpoint “%(touchpoint)s” in stage "
                                "“%(stage)s”."
                            )
                            % {"key": key, "touchpoint": other_name, "stage": other_stage},
                        )
                        continue
                    seen[key] = (stage_name, tp_form.cleaned_data.get("name", ""))
                    entries.append((tp_form, key))
        conflicts = touchpoint_key_conflicts(journey_map=self.instance, keys=seen)
        for tp_form, key in entries:
            if key in conflicts:
                tp_form.add_error("key", services.key_conflict_message(key, conflicts[key]))


class TouchpointInline(nested_admin.NestedTabularInline):
    model = Touchpoint
    fk_name = "stage"
    formset = TouchpointInlineFormSet
    sortable_field_name = "position"
    extra = 0
    fields = (
        "position",
        "name",
        "key",
        "channel",
        "department",
        "kind",
        "description",
        "target_csat",
        "target_nps",
        "target_ces",
        "target_ttr_hours",
    )
    formfield_overrides = {
        Touchpoint._meta.get_field("description").__class__: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 28})}
    }


class StageInline(ReadOnlyInlinesAreNotSortable, nested_admin.NestedStackedInline):
    model = Stage
    formset = StageInlineFormSet
    sortable_field_name = "position"
    extra = 0
    inlines = [TouchpointInline]
    fieldsets = (
        (None, {"fields": ("position", "name", ("emotion_score", "emotion_label"))}),
        (_("The customer"), {"fields": (("customer_goal", "actions"), ("thoughts",))}),
        (_("For us"), {"fields": (("pain_points", "opportunities"),)}),
    )
    formfield_overrides = {
        Stage._meta.get_field("actions").__class__: {"widget": forms.Textarea(attrs={"rows": 3, "cols": 34})}
    }


# --------------------------------------------------------------------------- maps


class JourneyMapAdminForm(forms.ModelForm):
    class Meta:
        model = JourneyMap
        fields = ("name", "persona", "description", "owner")

    def clean_name(self):
        name = self.cleaned_data["name"]
        if self.instance.pk is None and JourneyMap.objects.filter(name=name).exists():
            message = gettext(
                "A map named “%(name)s” already exists; clone it to make a new version, or choose another name."
            )
            raise ValidationError(message % {"name": name})
        if (
            self.instance.pk
            and JourneyMap.objects.filter(name=name, version=self.instance.version)
            .exclude(pk=self.instance.pk)
            .exists()
        ):
            message = gettext("Version %(version)s of “%(name)s” already exists.")
            raise ValidationError(message % {"version": self.instance.version, "name": name})
        return name


@admin.register(JourneyMap)
class JourneyMapAdmin(ReadOnlyInlinesAreNotSortable, nested_admin.NestedModelAdmin):
    form = JourneyMapAdminForm
    # "View map" early: beside the filters the list is about 700px wide at 1360px; the last columns scroll out of view.
    list_display = (
        "name",
        "version",
        "status",
        "view_map",
        "persona",
        "owner",
        "stage_count",
        "touchpoint_count",
        "updated_at",
    )
    list_filter = ("status", "persona", "owner")
    search_fields = ("name", "description", "touchpoints__key")
    autocomplete_fields = ("persona",)
    readonly_fields = ("view_map", "status", "version", "cloned_from", "published_at", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("name", "persona", "description", "owner", "journey_gap_days", "view_map")}),
        (
            _("Version"),
            {"fields": (("status", "version", "cloned_from"), ("published_at", "created_at", "updated_at"))},
        ),
    )
    inlines = [StageInline]
    actions = ["clone_maps", "publish_maps", "archive_maps"]

    class Media:
        css = {"all": ("journeys/admin.css",)}
        js = ("journeys/admin.js",)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("persona", "owner")
            .annotate(stage_count=Count("stages", distinct=True), touchpoint_count=Count("touchpoints", distinct=True))
        )

    def get_changeform_initial_data(self, request):
        return {"owner": request.user.pk, **super().get_changeform_initial_data(request)}

    def has_delete_permission(self, request, obj=None):
        # A published map, or one whose touchpoints have history (journey_map_history), is not deleted.
        if obj is not None and (obj.status == MapStatus.PUBLISHED or services.journey_map_history(obj)):
            return False
        return super().has_delete_permission(request, obj)

    def delete_queryset(self, request, queryset):
        # "Delete selected" goes through the service too: the maps it refuses stay, each with its reason.
        for journey_map in queryset:
            try:
                services.journey_map_delete(journey_map=journey_map)
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)

    @admin.display(description=_("Stages"), ordering="stage_count")
    def stage_count(self, obj):
        return getattr(obj, "stage_count", None)

    @admin.display(description=_("Touchpoints"), ordering="touchpoint_count")
    def touchpoint_count(self, obj):
        return getattr(obj, "touchpoint_count", None)

    @admin.display(description=_("Map"))
    def view_map(self, obj):
        if not obj.pk:
            return "—"
        return format_html('<a href="{}">{}</a>', obj.get_absolute_url(), gettext("View map"))

    def save_model(self, request, obj, form, change):
        if not change:
            obj.version = 1
            obj.status = MapStatus.DRAFT
            obj.owner = obj.owner or request.user
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        """Stages and touchpoints are saved row by row with the positions the editor holds (typed, or
        set by dragging); the service then numbers them 0…n−1 in that order, ties in row order."""
        super().save_related(request, form, formsets, change)
        services.journey_map_positions_renumber(journey_map=form.instance)

    # ---- actions: thin wrappers over the services

    def _run(self, request, queryset, service, done: str):
        count = 0
        for journey_map in queryset:
            try:
                result = service(journey_map)
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
                continue
            count += 1
            self.message_user(request, done % {"map": result.label}, messages.SUCCESS)
        return count

    @admin.action(description=_("Clone selected maps into a new draft version"), permissions=["add"])
    def clone_maps(self, request, queryset):
        self._run(
            request,
            queryset,
            lambda m: services.journey_map_clone(journey_map=m, owner=request.user),
            gettext("Cloned into the draft “%(map)s”."),
        )

    @admin.action(description=_("Publish selected maps (archives the version they replace)"), permissions=["change"])
    def publish_maps(self, request, queryset):
        self._run(
            request, queryset, lambda m: services.journey_map_publish(journey_map=m), gettext("Published “%(map)s”.")
        )

    @admin.action(description=_("Archive selected maps"), permissions=["change"])
    def archive_maps(self, request, queryset):
        self._run(
            request, queryset, lambda m: services.journey_map_archive(journey_map=m), gettext("Archived “%(map)s”.")
        )
