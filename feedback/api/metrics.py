"""`GET /api/metrics/`: a metric's series by period and dimension (the numbers the report pages show)."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from ..metrics.params import HEALTH, MetricQuerySerializer, filters_of, report_permission_for, report_scope
from ..metrics.query import metric_series
from ..reports.health import health_series

MetricSeriesSerializer = inline_serializer(
    "MetricSeries",
    fields={
        "metric": serializers.CharField(),
        "granularity": serializers.CharField(),
        "results": serializers.ListField(
            child=inline_serializer(
                "MetricPoint",
                fields={
                    "period_start": serializers.DateField(),
                    "dimension": serializers.CharField(),
                    "dimension_value": serializers.CharField(allow_null=True),
                    "value": serializers.FloatField(allow_null=True),
                    "n": serializers.IntegerField(),
                    "below": serializers.IntegerField(
                        required=False, help_text="health: customers under the attention threshold"
                    ),
                    "below_share": serializers.FloatField(
                        required=False, allow_null=True, help_text="health: their share of n (%); null when n is 0"
                    ),
                },
            )
        ),
    },
)


class MetricsView(APIView):
    """Managers read every metric; marketers campaign and journey figures; reps their own cases' figures.

    `metric=health` (managers): the average customer health score at each period's end by `dimension`
    (overall, persona, lifecycle_stage, journey), with `below` and `below_share` (docs/metrics.md)."""

    @property
    def required_permissions(self):
        return [report_permission_for(self.request.user)]

    @extend_schema(
        parameters=[MetricQuerySerializer],
        responses={200: MetricSeriesSerializer, 400: OpenApiResponse(description="Field messages")},
    )
    def get(self, request):
        params = MetricQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        filters = report_scope(
            request.user,
            metric=data["metric"],
            dimension=data["dimension"],
            filters=filters_of(data),
        )
        if data["metric"] == HEALTH:
            results = health_series(
                start=data["start"], end=data["end"], granularity=data["granularity"], dimension=data["dimension"]
            )
            for row in results:
                del row["period_end"]
                if row["dimension"] == "overall":
                    row["dimension_value"] = None  # as the metrics' overall rows
            return Response({"metric": HEALTH, "granularity": data["granularity"], "results": results})
        results = metric_series(
            data["metric"],
            granularity=data["granularity"],
            start=data["start"],
            end=data["end"],
            dimension=data["dimension"],
            filters=filters,
        )
        return Response({"metric": data["metric"], "granularity": data["granularity"], "results": results})
