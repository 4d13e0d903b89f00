"""Domain events of the customers app.

Sent by customers' services *after the transaction commits*; higher apps
(feedback) connect receivers in their AppConfig.ready(). customers never imports
them. Every signal is sent with `sender` = the model class concerned.

- interaction_recorded(interaction, live): an interaction was stored (not on an
  idempotent replay). `live` is False for history (imports, demo data, backfills).
- case_resolved(case): a case moved to resolved (each time, reopen included).
- customers_merged(merge): `merge.merged` was folded into `merge.survivor`;
  receivers move their own rows to the survivor and remember what they moved
  (keyed by merge.pk) so that merge_undone can move them back.
- merge_undone(merge): the merge was undone; receivers move back what they moved.
- merge_preview(survivor, other): sent synchronously by the merge preview;
  each receiver returns a dict {label: count} of its rows attached to `other`
  that a merge would move (shown in the preview beside customers' own rows).
"""

from django.dispatch import Signal

interaction_recorded = Signal()
case_resolved = Signal()
customers_merged = Signal()
merge_undone = Signal()
merge_preview = Signal()
