"""Customers API: ingestion of interactions (one or in bulk), customers with their
timeline and merges, cases, notes and merge suggestions. Views stay thin: they
validate input with serializers (interactions: with the ingestion parser the file
import shares) and call services and selectors."""

from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from cxcrm.roles import EXPORT_ROWS_PERMISSION

from .. import selectors, services
from ..filtersets import (
    CaseFilterSet,
    CustomerFilterSet,
    InteractionFilterSet,
    MergeRecordFilterSet,
    MergeSuggestionFilterSet,
    NoteFilterSet,
    TimelineFilterSet,
)
from ..gdpr import customer_export_response
from ..models import Case, Customer, Interaction, MergeRecord, MergeSuggestion, Note
from ..permissions import note_change_allowed
from ..services.erasure import erasure_payload
from ..timeline import customer_timeline
from .serializers import (
    MAX_BULK_ITEMS,
    BulkResultSerializer,
    CaseChangeSerializer,
    CaseSerializer,
    CaseUpdateSerializer,
    CustomerCreateSerializer,
    CustomerSerializer,
    ErasureResultSerializer,
    IngestResultSerializer,
    InteractionIngestSerializer,
    InteractionSerializer,
    MergePreviewSerializer,
    MergeRecordSerializer,
    MergeRequestSerializer,
    MergeResultSerializer,
    MergeSerializer,
    MergeSuggestionSerializer,
    NoteSerializer,
    NoteUpdateSerializer,
)

# Filters and `ordering=` both come from each resource's FilterSet (customers/filtersets.py).
FILTER_BACKENDS = [DjangoFilterBackend]
MERGE_PERMS = ["customers.view_customer", "customers.merge_customer"]

# --------------------------------------------------------------------------- interactions


class InteractionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Interactions from any channel. POST ingests one (idempotent on source + external_id);
    POST bulk/ ingests up to 1,000 in order, each all-or-nothing."""

    queryset = Interaction.objects.none()
    serializer_class = InteractionSerializer
    filterset_class = InteractionFilterSet
    filter_backends = FILTER_BACKENDS
    action_permissions = {"bulk": ["customers.add_interaction"]}

    def get_queryset(self):
        return selectors.interaction_list()

    def get_serializer_class(self):
        if self.action in ("create", "bulk"):
            return InteractionIngestSerializer
        return InteractionSerializer

    # Both actions parse their input with the parser the file import uses (services.interaction_inputs_parse);
    # InteractionIngestSerializer only documents it.
    @extend_schema(
        request=InteractionIngestSerializer,
        responses={201: IngestResultSerializer, 200: OpenApiResponse(IngestResultSerializer, "Already stored")},
    )
    def create(self, request, *args, **kwargs):
        data = services.interaction_input_parse(request.data)
        result = services.interaction_ingest(data=data, live=True)
        body = {"id": result.interaction.pk, "customer": result.interaction.customer_id, "created": result.created}
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)

    @extend_schema(
        request=InteractionIngestSerializer(many=True),
        responses={200: BulkResultSerializer},
        description=f"Up to {MAX_BULK_ITEMS} interactions, processed in order; each item all-or-nothing.",
    )
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        items = request.data
        if not isinstance(items, list):
            raise ValidationError({"non_field_errors": [gettext("Send a JSON array of interactions.")]})
        if len(items) > MAX_BULK_ITEMS:
            raise ValidationError(
                {
                    "non_field_errors": [
                        gettext("At most %(max)s interactions per request (%(count)s sent).")
                        % {"max": MAX_BULK_ITEMS, "count": len(items)}
                    ]
                }
            )
        results: dict[int, dict] = {}
        valid = []
        for index, parsed in enumerate(services.interaction_inputs_parse(items)):
            if isinstance(parsed, services.InteractionInput):
                valid.append((index, parsed))
            else:
                results[index] = {"index": index, "status": "error", "errors": parsed}
        # The valid items in one batch: bulk lookups and inserts, each item still all-or-nothing.
        for outcome in services.interactions_ingest_batch(valid, live=True):
            entry = {"index": outcome.ref, "status": outcome.status}
            if outcome.status == "error":
                entry["errors"] = outcome.errors
            else:
                entry.update(id=outcome.interaction.pk, customer=outcome.interaction.customer_id)
            results[outcome.ref] = entry
        results = [results[index] for index in sorted(results)]
        return Response({"results": results})


# --------------------------------------------------------------------------- customers


class CustomerViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Customers. A folded customer's id answers with the survivor's representation."""

    queryset = Customer.objects.none()
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilterSet
    filter_backends = FILTER_BACKENDS
    http_method_names = ["get", "post", "patch", "head", "options"]
    action_permissions = {
        "timeline": ["customers.view_customer", "customers.view_interaction"],
        "merge_preview": MERGE_PERMS,
        "merge": MERGE_PERMS,
        "export": ["customers.view_customer", EXPORT_ROWS_PERMISSION],
        "erase": ["customers.view_customer", "customers.erase_customer"],
    }

    def get_queryset(self):
        if self.action == "list":
            return selectors.customer_list_queryset()
        return selectors.customer_detail_queryset()

    def get_serializer_class(self):
        return CustomerCreateSerializer if self.action == "create" else CustomerSerializer

    def get_object(self):
        try:
            customer = selectors.customer_get(self.kwargs["pk"], queryset=self.get_queryset())
        except Customer.DoesNotExist:
            raise Http404(gettext("No such customer.")) from None
        self.check_object_permissions(self.request, customer)
        return customer

    def _represent(self, customer, status_code=status.HTTP_200_OK):
        customer = selectors.customer_detail_queryset().get(pk=customer.pk)
        return Response(CustomerSerializer(customer, context=self.get_serializer_context()).data, status=status_code)

    @extend_schema(request=CustomerCreateSerializer, responses={201: CustomerSerializer})
    def create(self, request, *args, **kwargs):
        serializer = CustomerCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        customer = services.customer_create(**serializer.validated_data, user=request.user)
        return self._represent(customer, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        customer = self.get_object()
        serializer = CustomerSerializer(
            customer, data=request.data, partial=True, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        services.customer_update(customer=customer, user=request.user, **serializer.validated_data)
        return self._represent(customer)

    @extend_schema(
        responses={(200, "application/json"): OpenApiResponse(OpenApiTypes.OBJECT, description="customers/gdpr.py")},
    )
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def export(self, request, pk=None):
        """Everything held about the customer as one JSON document (GDPR access), streamed; audited."""
        return customer_export_response(self.get_object(), request=request)

    @extend_schema(request=None, responses={200: ErasureResultSerializer})
    @action(detail=True, methods=["post"], filterset_class=None, pagination_class=None)
    def erase(self, request, pk=None):
        """Erase the customer's personal data (GDPR), keeping its anonymous rows for the reports
        (customers/services/erasure.py); audited. A folded customer's id erases its survivor. Erasing an
        erased customer again answers 200 with `already_erased: true`."""
        result = services.customer_erase(customer=self.get_object(), user=request.user, request=request)
        return Response(ErasureResultSerializer(erasure_payload(result)).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("cursor", OpenApiTypes.STR, description="Opaque cursor from next/previous"),
            OpenApiParameter("page_size", OpenApiTypes.INT, description="Items per page (at most 500, default 50)"),
            OpenApiParameter("channel", OpenApiTypes.STR),
            OpenApiParameter("type", OpenApiTypes.STR),
            OpenApiParameter("direction", OpenApiTypes.STR),
            OpenApiParameter("case", OpenApiTypes.INT),
            OpenApiParameter("occurred_after", OpenApiTypes.DATETIME),
            OpenApiParameter("occurred_before", OpenApiTypes.DATETIME),
        ],
        responses=inline_serializer(
            "TimelinePage",
            {
                "next": serializers.URLField(allow_null=True),
                "previous": serializers.URLField(allow_null=True),
                "results": InteractionSerializer(many=True),
            },
        ),
    )
    @action(detail=True, methods=["get"], filterset_class=None)
    def timeline(self, request, pk=None):
        """The customer's interactions, newest first, keyset-paginated on (occurred_at, id)."""
        # Only the customer's id is needed to filter by: not its representation (counts, tags, identities).
        try:
            customer = selectors.customer_ref(self.kwargs["pk"])
        except Customer.DoesNotExist:
            raise Http404(gettext("No such customer.")) from None
        self.check_object_permissions(request, customer)
        filterset = TimelineFilterSet(request.query_params, queryset=Interaction.objects.none())
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        try:
            page_size = int(request.query_params.get("page_size", 50))
            if page_size < 1:
                raise ValueError
        except ValueError:
            raise ValidationError({"page_size": [gettext("Give a positive whole number.")]}) from None
        page = customer_timeline(customer, request.query_params, request.query_params.get("cursor"), page_size)
        url = request.build_absolute_uri()

        def link(cursor):
            return replace_query_param(url, "cursor", cursor) if cursor else None

        return Response(
            {
                "next": link(page.next_cursor),
                "previous": link(page.previous_cursor) if page.previous_cursor else None,
                "results": InteractionSerializer(page.results, many=True).data,
            }
        )

    def _other(self, value):
        try:
            return selectors.customer_get(value)
        except Customer.DoesNotExist:
            raise ValidationError({"other": [gettext("No customer with id %(id)s.") % {"id": value}]}) from None

    @extend_schema(
        parameters=[OpenApiParameter("other", OpenApiTypes.INT, required=True, description="Customer to fold in")],
        responses=MergePreviewSerializer,
    )
    @action(detail=True, methods=["get"], url_path="merge-preview", filterset_class=None)
    def merge_preview(self, request, pk=None):
        """What merging `other` into this customer would move."""
        request_data = MergeRequestSerializer(data=request.query_params)
        request_data.is_valid(raise_exception=True)
        customer = self.get_object()
        other = self._other(request_data.validated_data["other"])
        preview = services.merge_preview(survivor=customer, other=other)
        return Response(MergePreviewSerializer(preview).data)

    @extend_schema(request=MergeSerializer, responses=MergeResultSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def merge(self, request, pk=None):
        """Fold `other` into this customer (which survives), with `lifecycle_stage` if given."""
        request_data = MergeSerializer(data=request.data)
        request_data.is_valid(raise_exception=True)
        customer = self.get_object()
        other = self._other(request_data.validated_data["other"])
        record = services.customer_merge(
            survivor=customer,
            other=other,
            user=request.user,
            lifecycle_stage=request_data.validated_data.get("lifecycle_stage"),
        )
        return Response({"merge_id": record.pk, "customer": record.survivor_id})


# --------------------------------------------------------------------------- merges and suggestions


class MergeRecordViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The audit of merges; undo/ restores exactly what a merge moved."""

    queryset = MergeRecord.objects.none()
    serializer_class = MergeRecordSerializer
    filterset_class = MergeRecordFilterSet
    filter_backends = FILTER_BACKENDS
    action_permissions = {"undo": MERGE_PERMS}

    def get_queryset(self):
        return selectors.merge_record_list()

    @extend_schema(request=None, responses=MergeRecordSerializer)
    @action(detail=True, methods=["post"])
    def undo(self, request, pk=None):
        record = services.merge_undo(merge=self.get_object(), user=request.user)
        return Response(MergeRecordSerializer(selectors.merge_record_list().get(pk=record.pk)).data)


class MergeSuggestionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Open suggestions of customers that look like one person (both still unfolded)."""

    queryset = MergeSuggestion.objects.none()
    serializer_class = MergeSuggestionSerializer
    filterset_class = MergeSuggestionFilterSet
    filter_backends = FILTER_BACKENDS
    action_permissions = {"dismiss": ["customers.change_mergesuggestion"]}

    def get_queryset(self):
        if self.action == "list":
            return selectors.merge_suggestion_list()
        return selectors.merge_suggestion_list(status=None)

    @extend_schema(request=None, responses=MergeSuggestionSerializer)
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        suggestion = services.merge_suggestion_dismiss(suggestion=self.get_object(), user=request.user)
        return Response(MergeSuggestionSerializer(suggestion).data)


# --------------------------------------------------------------------------- cases and notes


class CaseViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Support cases. POST with source + external_id is idempotent (200 with the existing case)."""

    queryset = Case.objects.none()
    serializer_class = CaseSerializer
    filterset_class = CaseFilterSet
    filter_backends = FILTER_BACKENDS
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.case_list()

    def get_serializer_class(self):
        return CaseUpdateSerializer if self.action in ("update", "partial_update") else CaseSerializer

    def _represent(self, case, status_code=status.HTTP_200_OK):
        return Response(CaseSerializer(selectors.case_list().get(pk=case.pk)).data, status=status_code)

    @extend_schema(responses={201: CaseSerializer, 200: OpenApiResponse(CaseSerializer, "Already stored")})
    def create(self, request, *args, **kwargs):
        serializer = CaseSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        case, created = services.case_create_or_get(**serializer.validated_data, user=request.user)
        return self._represent(case, status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(responses=CaseChangeSerializer(many=True))
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def history(self, request, pk=None):
        """Every change of the case (status, priority, assignee, subject, topic, origin), oldest first:
        field, from → to (stored values and labels), who (user id), when and the reason given."""
        case = self.get_object()
        return Response(CaseChangeSerializer(selectors.case_history(case=case), many=True).data)

    def update(self, request, *args, **kwargs):
        case = self.get_object()
        serializer = CaseUpdateSerializer(case, data=request.data, partial=True, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            services.case_update(case=case, user=request.user, **serializer.validated_data)
        return self._represent(case)


class NoteViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Reps' internal notes on customers; the author is the acting user. Only the author (or a
    manager) changes a note: others get 403 (cxcrm.api.permissions.RolePermission)."""

    queryset = Note.objects.none()
    object_write_allowed = staticmethod(note_change_allowed)
    serializer_class = NoteSerializer
    filterset_class = NoteFilterSet
    filter_backends = FILTER_BACKENDS
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.note_list()

    def get_serializer_class(self):
        return NoteUpdateSerializer if self.action in ("update", "partial_update") else NoteSerializer

    def perform_create(self, serializer):
        data = serializer.validated_data
        customer = selectors.customer_resolve(data["customer"])
        serializer.instance = services.note_create(customer=customer, body=data["body"], author=self.request.user)

    def perform_update(self, serializer):
        serializer.instance = services.note_update(
            note=serializer.instance, body=serializer.validated_data.get("body", serializer.instance.body)
        )


__all__ = [
    "CaseViewSet",
    "CustomerViewSet",
    "InteractionViewSet",
    "MergeRecordViewSet",
    "MergeSuggestionViewSet",
    "NoteViewSet",
]
