"""Customers' events in the audit log: merges and their undos (receivers of customers.signals, connected
in CustomersConfig.ready; sent inside the merge's transaction, so the event commits with it)."""

from cxcrm.audit import audit_record
from cxcrm.models import AuditAction

from .signals import customers_merged, merge_undone


def merge_recorded(sender, merge, **kwargs) -> None:
    audit_record(
        action=AuditAction.MERGE,
        obj=merge.survivor,
        actor=merge.merged_by,
        details={"merge": merge.pk, "survivor": merge.survivor_id, "merged": merge.merged_id},
    )


def merge_undo_recorded(sender, merge, **kwargs) -> None:
    audit_record(
        action=AuditAction.MERGE_UNDO,
        obj=merge.survivor,
        actor=merge.undone_by,
        details={"merge": merge.pk, "survivor": merge.survivor_id, "merged": merge.merged_id},
    )


def connect_receivers() -> None:
    customers_merged.connect(merge_recorded, dispatch_uid="customers.audit.merge")
    merge_undone.connect(merge_undo_recorded, dispatch_uid="customers.audit.merge_undo")
