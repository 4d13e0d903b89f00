"""The hand-computed example of the journey analytics tests (docs/metrics.md, "Journey analytics").

Map "Buying" (published, gap 30 days), four stages and their touchpoint keys:

    0 Discover  d-web, d-ad      1 Consider  c-web      2 Purchase  p-web, p-store      3 Support  s-phone

All times are 2026, UTC (TIME_ZONE is UTC in the tests):

- Alice (persona Explorer, first contact 2026-02-10): d-web 03-01 10:00, c-web 03-03 10:00, p-web 03-05 10:00,
  s-phone 03-10 10:00. One journey in the designed order, Support reached. Time in stage: Discover 2 d,
  Consider 2 d, Purchase 5 d. NPS 10 on p-web 03-06 (a promoter).
- Bob: d-ad 03-02 09:00, p-store 03-04 09:00 (skips Consider), other-key 03-05 09:00 (off-map: no touchpoint of
  this map), d-web 03-06 09:00 and 03-07 09:00 (going back, one step in the path). Furthest Purchase; Consider
  skipped at 03-04 09:00; Discover 2 d. NPS 3 on d-ad 03-08 (a detractor); churned 03-20 (within 30 days of
  his last touchpoint).
- Carol: d-web 01-01 12:00, c-web 01-05 12:00 (journey 1, furthest Consider, Discover 4 d), then p-web
  03-01 12:00, 55 days later: journey 2 starts at Purchase, Discover and Consider skipped.
- Dan: d-web 02-01 00:00, c-web 03-03 00:00: exactly 30 days apart, still one journey (a gap is *more* than
  the map's days).
- Erin: only other-key interactions: no journey.
"""

from datetime import UTC, datetime

from customers.choices import LifecycleStage
from customers.services import lifecycle_change_record
from customers.tests.factories import CustomerFactory, InteractionFactory
from cxcrm.choices import Channel
from feedback.choices import InvitationStatus, SurveyKind
from feedback.tests.factories import InvitationFactory, ResponseFactory, SurveyFactory
from journeys.choices import MapStatus
from journeys.models import Stage, Touchpoint
from journeys.tests.factories import JourneyMapFactory, PersonaFactory

STAGES = (
    ("Discover", ("d-web", "d-ad")),
    ("Consider", ("c-web",)),
    ("Purchase", ("p-web", "p-store")),
    ("Support", ("s-phone",)),
)


def at(month: int, day: int, hour: int = 0) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def build_buying_map(**kwargs):
    journey_map = JourneyMapFactory(name="Buying", status=MapStatus.PUBLISHED, **kwargs)
    for position, (name, keys) in enumerate(STAGES):
        stage = Stage.objects.create(journey_map=journey_map, position=position, name=name)
        for tp_position, key in enumerate(keys):
            Touchpoint.objects.create(
                journey_map=journey_map,
                stage=stage,
                position=tp_position,
                name=key,
                key=key,
                channel=Channel.WEB,
                published=True,
            )
    return journey_map


def _touch(customer, key, when, channel=Channel.WEB):
    return InteractionFactory(customer=customer, touchpoint_key=key, occurred_at=when, channel=channel)


def _answer(customer, kind, score, key, when):
    survey = SurveyFactory(kind=kind)
    invitation = InvitationFactory(survey=survey, customer=customer, status=InvitationStatus.RESPONDED)
    return ResponseFactory(invitation=invitation, score=score, touchpoint_key=key, submitted_at=when)


def build_example():
    """The map and the customers above; returns (map, {name: customer})."""
    journey_map = build_buying_map()
    explorer = PersonaFactory(name="Explorer")
    alice = CustomerFactory(first_name="Alice", persona=explorer, first_contact_at=at(2, 10))
    bob = CustomerFactory(first_name="Bob")
    carol = CustomerFactory(first_name="Carol")
    dan = CustomerFactory(first_name="Dan")
    erin = CustomerFactory(first_name="Erin")
    _touch(alice, "d-web", at(3, 1, 10), Channel.EMAIL)
    _touch(alice, "c-web", at(3, 3, 10))
    _touch(alice, "p-web", at(3, 5, 10))
    _touch(alice, "s-phone", at(3, 10, 10), Channel.PHONE)
    _touch(bob, "d-ad", at(3, 2, 9), Channel.SOCIAL)
    _touch(bob, "p-store", at(3, 4, 9), Channel.STORE)
    _touch(bob, "other-key", at(3, 5, 9))
    _touch(bob, "d-web", at(3, 6, 9))
    _touch(bob, "d-web", at(3, 7, 9))
    _touch(carol, "d-web", at(1, 1, 12))
    _touch(carol, "c-web", at(1, 5, 12))
    _touch(carol, "p-web", at(3, 1, 12))
    _touch(dan, "d-web", at(2, 1))
    _touch(dan, "c-web", at(3, 3))
    _touch(erin, "other-key", at(3, 2))
    InteractionFactory(customer=alice, occurred_at=at(3, 4))  # untagged: in no journey, no path
    _answer(alice, SurveyKind.NPS, 10, "p-web", at(3, 6))
    _answer(bob, SurveyKind.NPS, 3, "d-ad", at(3, 8))
    lifecycle_change_record(
        customer=bob, from_stage=LifecycleStage.ACTIVE, to_stage=LifecycleStage.CHURNED, at=at(3, 20)
    )
    return journey_map, {"alice": alice, "bob": bob, "carol": carol, "dan": dan, "erin": erin}
