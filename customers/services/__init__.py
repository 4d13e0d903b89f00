"""Writes of the customers app (see each module); import them from here."""

from .cases import (
    case_create,
    case_create_or_get,
    case_opened_at_clean,
    case_status_set,
    case_update,
    cases_breach_detect,
    sla_due_times,
)
from .customers import (
    customer_create,
    customer_not_erased_check,
    customer_update,
    identity_add,
    identity_remove,
    lifecycle_stage_set,
    note_create,
    note_delete,
    note_update,
)
from .erasure import ErasureResult, customer_erase, erasure_counts
from .importfile import inputs_read
from .ingest import (
    BatchResult,
    ImportSummary,
    IngestResult,
    interaction_ingest,
    interactions_import,
    interactions_ingest_batch,
)
from .ingest_input import InteractionInput, interaction_input_parse, interaction_inputs_parse
from .lifecycle import (
    lifecycle_change_record,
    lifecycle_change_remove,
    lifecycle_history_record,
    lifecycle_initial_changes_record,
    lifecycle_intervals_rebuild,
    lifecycle_intervals_refresh,
)
from .merges import (
    MOVED_KEYS,
    MergePreview,
    customer_merge,
    merge_preview,
    merge_stage_default,
    merge_suggestion_dismiss,
    merge_undo,
)
from .workspace import case_seen_mark, workspace_visit_record

__all__ = [
    "MOVED_KEYS",
    "BatchResult",
    "ErasureResult",
    "ImportSummary",
    "IngestResult",
    "InteractionInput",
    "MergePreview",
    "case_create",
    "case_seen_mark",
    "case_create_or_get",
    "case_opened_at_clean",
    "case_status_set",
    "case_update",
    "cases_breach_detect",
    "customer_create",
    "customer_erase",
    "customer_merge",
    "customer_not_erased_check",
    "customer_update",
    "erasure_counts",
    "identity_add",
    "identity_remove",
    "inputs_read",
    "interaction_ingest",
    "lifecycle_change_record",
    "lifecycle_change_remove",
    "lifecycle_history_record",
    "lifecycle_initial_changes_record",
    "lifecycle_intervals_rebuild",
    "lifecycle_intervals_refresh",
    "interaction_input_parse",
    "interaction_inputs_parse",
    "interactions_import",
    "interactions_ingest_batch",
    "lifecycle_stage_set",
    "merge_preview",
    "merge_stage_default",
    "merge_suggestion_dismiss",
    "merge_undo",
    "note_create",
    "note_delete",
    "note_update",
    "sla_due_times",
    "workspace_visit_record",
]
