"""Domain events of the journeys app, sent after the transaction commits.

- ``journey_map_published(journey_map, archived)``: a map version went live;
  ``archived`` lists the maps it replaced. Touchpoint keys now resolve to it.
- ``journey_map_archived(journey_map)``: a published map was archived by hand;
  its keys no longer resolve (``touchpoint_for_key`` returns None for them).
"""

from django.dispatch import Signal

journey_map_published = Signal()
journey_map_archived = Signal()
