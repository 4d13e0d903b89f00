"""Domain events of the customers app.

Signals: interaction_recorded and case_resolved are sent by customers' services
*after the transaction commits*; customers_merged and merge_undone *inside* the
merge's transaction (receivers move their rows with it and record their
background work in it). Higher apps (feedback) connect receivers in their
AppConfig.ready(); customers never imports them. Every signal is sent with
`sender` = the model class concerned.

Background work that must not be lost is not left to a signal: the services
record an outbox row (cxcrm/outbox.py) in the write's transaction under one of
the event names below, and the app that handles it registers a handler for the
name (an event nobody handles is not recorded):

- INTERACTIONS_RECORDED {"interaction_ids": [...]}: new live interactions (not
  history, not survey answers), one row per call (a bulk call or batch: one row).
- CASE_RESOLVED {"case_id": n}: a case moved to resolved.
- CASE_OPENED {"case_id": n}: a case was opened (not on an idempotent replay).
- CASE_BREACHED {"case_id": n}: an open case was found past a due time (first response or resolution) by the
  beat task (cases_breach_detect); once per case.
- CUSTOMERS_MERGED {"merge_id": n}: a merge was done (the MergeRecord).
- CUSTOMER_ERASED {"customer_id": n}: a customer's personal data was erased; the
  erasure service records it in its transaction (only the id: nothing else is left).

- interaction_recorded(interaction, live): an interaction was stored (not on an
  idempotent replay). `live` is False for history (imports, demo data, backfills).
- case_resolved(case): a case moved to resolved (each time, reopen included).
- customers_merged(merge): `merge.merged` was folded into `merge.survivor`;
  receivers move their own rows to the survivor and remember what they moved
  (keyed by merge.pk) so that merge_undone can move them back.
- merge_undone(merge): the merge was undone; receivers move back what they moved.
- history_rewritten(): sent *inside* the transaction of a change to stored history that no row's time shows:
  a customer's persona changed (customer_update, the admin), or a customer, an interaction or a case was
  deleted, or an interaction edited, in the admin. feedback's metric rollups then recompute their whole settle
  windows on the beat's next run (feedback/metrics/changes.py).
- merge_preview(survivor, other): sent synchronously by the merge preview;
  each receiver returns a dict {label: count} of its rows attached to `other`
  that a merge would move (shown in the preview beside customers' own rows).
"""

from django.dispatch import Signal

INTERACTIONS_RECORDED = "customers.interactions_recorded"
CASE_RESOLVED = "customers.case_resolved"
CASE_OPENED = "customers.case_opened"
CASE_BREACHED = "customers.case_breached"
CUSTOMERS_MERGED = "customers.customers_merged"
CUSTOMER_ERASED = "customers.customer_erased"

interaction_recorded = Signal()
case_resolved = Signal()
customers_merged = Signal()
merge_undone = Signal()
merge_preview = Signal()
history_rewritten = Signal()
