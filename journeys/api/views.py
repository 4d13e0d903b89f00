"""Journeys API: personas, journey maps (nested stages and touchpoints) and the
published touchpoints integrations tag interactions with."""

from django.core.exceptions import ValidationError
from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from .. import services
from ..exchange import flatten_errors, journey_map_export, journey_map_import
from ..filtersets import JourneyMapFilterSet, PersonaFilterSet, TouchpointFilterSet
from ..selectors import journey_map_get, journey_map_with_structure, persona_list, touchpoint_list_published
from .serializers import JourneyMapSerializer, JourneyMapUpdateSerializer, PersonaSerializer, TouchpointSerializer


class PersonaViewSet(viewsets.ModelViewSet):
    serializer_class = PersonaSerializer
    filterset_class = PersonaFilterSet

    def get_queryset(self):
        return persona_list()

    def perform_create(self, serializer):
        serializer.instance = services.persona_create(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.persona_update(persona=serializer.instance, **serializer.validated_data)

    def perform_destroy(self, instance):
        services.persona_delete(persona=instance)


class JourneyMapViewSet(viewsets.ModelViewSet):
    """Maps with nested stages and touchpoints. POST creates a draft (same rules
    and error paths as the JSON import); PUT/PATCH change name, description and
    persona and, on a draft, replace its stages and touchpoints; clone/publish/archive
    move versions along."""

    filterset_class = JourneyMapFilterSet
    action_permissions = {
        "clone": ["journeys.add_journeymap"],
        "publish": ["journeys.change_journeymap"],
        "archive": ["journeys.change_journeymap"],
        "export": ["journeys.view_journeymap"],
        "import_map": ["journeys.add_journeymap"],
    }

    def get_queryset(self):
        return journey_map_with_structure().order_by("name", "-version", "id")

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return JourneyMapUpdateSerializer
        return JourneyMapSerializer

    def _detail(self, journey_map, status_code=status.HTTP_200_OK):
        return Response(JourneyMapSerializer(journey_map_get(pk=journey_map.pk)).data, status=status_code)

    def create(self, request, *args, **kwargs):
        journey_map = journey_map_import(data=request.data, owner=request.user)
        return self._detail(journey_map, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        journey_map = self.get_object()
        # Never partial: DRF would carry `partial` into the nested stages and touchpoints and skip their
        # required fields (a touchpoint without key or channel). Every field of the map itself is optional,
        # so PATCH still changes only what it names, and `stages` is checked exactly as on create.
        serializer = self.get_serializer(journey_map, data=request.data, partial=False)
        if not serializer.is_valid():
            raise ValidationError(flatten_errors(serializer.errors))
        fields = dict(serializer.validated_data)
        stages = fields.pop("stages", None)
        with transaction.atomic():
            services.journey_map_update(journey_map=journey_map, **fields)
            if stages is not None:
                services.journey_map_stages_replace(journey_map=journey_map, stages=[dict(s) for s in stages])
        return self._detail(journey_map)

    def perform_destroy(self, instance):
        services.journey_map_delete(journey_map=instance)

    @extend_schema(request=None, responses={201: JourneyMapSerializer})
    @action(detail=True, methods=["post"])
    def clone(self, request, pk=None):
        clone = services.journey_map_clone(journey_map=self.get_object(), owner=request.user)
        return self._detail(clone, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=JourneyMapSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        return self._detail(services.journey_map_publish(journey_map=self.get_object()))

    @extend_schema(request=None, responses=JourneyMapSerializer)
    @action(detail=True, methods=["post"])
    def archive(self, request, pk=None):
        return self._detail(services.journey_map_archive(journey_map=self.get_object()))

    @extend_schema(responses=dict)
    @action(detail=True, methods=["get"])
    def export(self, request, pk=None):
        return Response(journey_map_export(journey_map=self.get_object()))

    @extend_schema(request=JourneyMapSerializer, responses={201: JourneyMapSerializer})
    @action(detail=False, methods=["post"], url_path="import")
    def import_map(self, request):
        return self._detail(journey_map_import(data=request.data, owner=request.user), status.HTTP_201_CREATED)


class TouchpointViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Touchpoints of published maps; `?key=` and `?channel=` find the one to tag an interaction with."""

    serializer_class = TouchpointSerializer
    filterset_class = TouchpointFilterSet

    def get_queryset(self):
        return touchpoint_list_published()
