from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from .. import selectors, services
from ..filtersets import InvitationFilterSet, ResponseFilterSet, SurveyFilterSet, SurveyRuleFilterSet
from ..metrics.params import response_rows_scope
from ..models import SurveyRule
from .serializers import (
    InvitationCreatedSerializer,
    InvitationCreateSerializer,
    InvitationSerializer,
    ResponseSerializer,
    SurveyRuleSerializer,
    SurveySerializer,
)


class SurveyViewSet(viewsets.ModelViewSet):
    """Surveys with their questions and per-language texts. Marketers write; other roles read."""

    serializer_class = SurveySerializer
    filterset_class = SurveyFilterSet

    def get_queryset(self):
        return selectors.survey_detail_queryset().order_by("name")

    def _split(self, serializer):
        data = dict(serializer.validated_data)
        questions = data.pop("questions", None)
        texts = data.pop("texts", None)
        return data, questions, texts

    def perform_create(self, serializer):
        fields, questions, texts = self._split(serializer)
        serializer.instance = services.survey_create(
            fields=fields, questions=questions or [], texts=texts or [], created_by=self.request.user
        )

    def perform_update(self, serializer):
        fields, questions, texts = self._split(serializer)
        serializer.instance = services.survey_update(
            survey=serializer.instance, fields=fields, questions=questions, texts=texts
        )

    def update(self, request, *args, **kwargs):
        response = super().update(request, *args, **kwargs)
        # Re-read so the nested lists show what the service wrote.
        response.data = self.get_serializer(self.get_queryset().get(pk=response.data["id"])).data
        return response

    def create(self, request, *args, **kwargs):
        response = super().create(request, *args, **kwargs)
        response.data = self.get_serializer(self.get_queryset().get(pk=response.data["id"])).data
        return response

    def perform_destroy(self, instance):
        services.survey_delete(survey=instance)


class SurveyRuleViewSet(viewsets.ModelViewSet):
    """Trigger rules. Marketers write; other roles read."""

    serializer_class = SurveyRuleSerializer
    filterset_class = SurveyRuleFilterSet

    def get_queryset(self):
        return SurveyRule.objects.select_related("survey").order_by("survey__name", "name", "id")


class InvitationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Survey invitations (read), and link-only invitations created by integrations."""

    serializer_class = InvitationSerializer
    filterset_class = InvitationFilterSet

    def get_queryset(self):
        return selectors.invitation_list()

    @extend_schema(
        request=InvitationCreateSerializer,
        responses={
            201: InvitationCreatedSerializer,
            200: OpenApiResponse(InvitationCreatedSerializer, description="The same survey and event again"),
        },
    )
    def create(self, request, *args, **kwargs):
        serializer = InvitationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        invitation, created = services.invitation_create_link(**serializer.validated_data)
        return Response(
            InvitationCreatedSerializer(invitation).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class ResponseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Survey responses (read only). Detractor follow-ups are cases with origin `survey` (see /api/cases/).

    Each role reads the rows its report scope gives it (feedback.metrics.params.response_rows_scope):
    managers and marketers all, a rep the answers attributed to them (another's is 404)."""

    serializer_class = ResponseSerializer
    filterset_class = ResponseFilterSet

    def get_queryset(self):
        rows = selectors.response_list()
        if getattr(self, "swagger_fake_view", False):  # schema generation, no user
            return rows.none()
        scope = response_rows_scope(self.request.user)
        if "agent" in scope:
            rows = rows.filter(agent_id=scope["agent"])
        return rows
