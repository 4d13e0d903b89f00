"""The health score in the customer API (registered in settings.CUSTOMER_API_EXTENSIONS; customers/extensions.py):
`health` (0–100, null before the first computation), `health_parts` (the parts, docs/metrics.md),
`?health_below=<n>` (customers whose score is below n; not yet computed ones are left out) and `?ordering=health`."""

from django.db.models import JSONField, OuterRef, Subquery
from rest_framework import serializers

from cxcrm.fields import BoundedNumberFilter

from ..models import HealthScore


def annotate(queryset):
    scores = HealthScore.objects.filter(customer=OuterRef("pk"))
    return queryset.annotate(
        # Not named "health": that is HealthScore's reverse accessor on Customer.
        health_score=Subquery(scores.values("score")[:1]),
        health_score_parts=Subquery(scores.values("parts")[:1], output_field=JSONField()),
    )


def fields() -> dict:
    return {
        "health": serializers.IntegerField(
            source="health_score",
            read_only=True,
            allow_null=True,
            help_text="Health score 0–100 (null until first computed)",
        ),
        "health_parts": serializers.JSONField(
            source="health_score_parts",
            read_only=True,
            allow_null=True,
            help_text='{part: {"weight", "fraction" (0–1, null without a signal), "detail"}} (docs/metrics.md)',
        ),
    }


def filters() -> dict:
    return {
        "health_below": BoundedNumberFilter(
            field_name="health_score", lookup_expr="lt", min_value=0, max_value=101, label="Health score below"
        )
    }


def orderings() -> dict:
    return {"health_score": "health"}
