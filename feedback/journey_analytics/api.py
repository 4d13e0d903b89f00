"""`GET /api/journeys/{id}/funnel/` and `GET /api/journeys/{id}/paths/`: a map's measured stage funnel and its
most common paths (and stage flow), from the materialised journey analytics."""

from django.http import Http404
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from journeys.models import JourneyMap

from .params import PERMISSION, JourneyAnalyticsQuerySerializer, filters_of
from .selectors import computed_at, journey_flow, journey_funnel, journey_paths

StageRow = inline_serializer(
    "JourneyFunnelStage",
    fields={
        "stage_id": serializers.IntegerField(),
        "name": serializers.CharField(),
        "position": serializers.IntegerField(),
        "reached": serializers.IntegerField(),
        "entered": serializers.IntegerField(),
        "skipped": serializers.IntegerField(),
        "converted": serializers.IntegerField(),
        "in_progress": serializers.IntegerField(),
        "dropped": serializers.IntegerField(),
        "conversion_rate": serializers.FloatField(allow_null=True),
        "drop_off_rate": serializers.FloatField(allow_null=True),
        "median_hours": serializers.FloatField(allow_null=True),
        "p90_hours": serializers.FloatField(allow_null=True),
    },
)


class _JourneyAnalyticsView(APIView):
    """Marketers and managers (feedback.view_marketing_reports)."""

    required_permissions = [PERMISSION]

    def params(self, request, pk):
        journey_map = JourneyMap.objects.filter(pk=pk).first()
        if journey_map is None:
            raise Http404(gettext("No such journey map."))
        query = JourneyAnalyticsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return journey_map, query.validated_data

    @staticmethod
    def head(journey_map, data) -> dict:
        return {
            "journey": journey_map.pk,
            "start": data["start"],
            "end": data["end"],
            "computed_at": computed_at(journey_map),
        }


class JourneyFunnelView(_JourneyAnalyticsView):
    @extend_schema(
        parameters=[JourneyAnalyticsQuerySerializer],
        responses={
            200: inline_serializer(
                "JourneyFunnel",
                fields={
                    "journey": serializers.IntegerField(),
                    "start": serializers.DateField(),
                    "end": serializers.DateField(),
                    "computed_at": serializers.DateTimeField(allow_null=True),
                    "stages": serializers.ListField(child=StageRow),
                    "groups": serializers.ListField(child=serializers.DictField()),
                },
            ),
            400: OpenApiResponse(description="Field messages"),
            404: OpenApiResponse(description="No such journey map"),
        },
    )
    def get(self, request, pk):
        """The stage funnel of the stages entered in the period (docs/metrics.md, "Journey analytics")."""
        journey_map, data = self.params(request, pk)
        funnel = journey_funnel(
            journey_map, start=data["start"], end=data["end"], filters=filters_of(data), by=data.get("by")
        )
        return Response({**self.head(journey_map, data), **funnel})


class JourneyPathsView(_JourneyAnalyticsView):
    @extend_schema(
        parameters=[JourneyAnalyticsQuerySerializer],
        responses={
            200: inline_serializer(
                "JourneyPaths",
                fields={
                    "journey": serializers.IntegerField(),
                    "start": serializers.DateField(),
                    "end": serializers.DateField(),
                    "computed_at": serializers.DateTimeField(allow_null=True),
                    "journeys": serializers.IntegerField(),
                    "paths": serializers.ListField(child=serializers.DictField()),
                    "transitions": serializers.ListField(child=serializers.DictField()),
                    "touchpoint_flow": serializers.DictField(),
                    "flow": serializers.DictField(),
                },
            ),
            400: OpenApiResponse(description="Field messages"),
            404: OpenApiResponse(description="No such journey map"),
        },
    )
    def get(self, request, pk):
        """The most common paths of the journeys started in the period, the touchpoint transitions and the
        stage-to-stage flow (docs/metrics.md, "Journey analytics")."""
        journey_map, data = self.params(request, pk)
        filters = filters_of(data)
        paths = journey_paths(journey_map, start=data["start"], end=data["end"], filters=filters, limit=data["limit"])
        flow = journey_flow(journey_map, start=data["start"], end=data["end"], filters=filters)
        return Response({**self.head(journey_map, data), **paths, "flow": flow})
