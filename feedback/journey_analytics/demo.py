"""Demo: customers walking the demo's retail journey map, then every published map's journeys computed, so
the map page's funnel, flow chart and paths tell a story on a fresh `make run`.

Two in five demo customers get one or two journeys over the last eleven months through the retail map's
stages (Awareness → Consideration → Purchase → Delivery → Advocacy): most in order, about one in eight skipping
Consideration (straight from an ad to the checkout), some going back to browsing after buying, a few by a
support touchpoint of the other map between two steps, and many dropping before the purchase.
"""

import random
from datetime import timedelta

from django.utils import timezone

from customers.choices import Direction, InteractionType
from customers.models import Customer, Interaction
from journeys.models import Touchpoint

from .compute import journey_analytics_refresh_all
from .models import JourneyAnalyticsState

# (stage keys with the interaction they stand for, the chance to go on to the next stage)
RETAIL_WALK = [
    ((("retail-ad-social", InteractionType.POST, "Commented on our ad"),
      ("retail-newsletter", InteractionType.EMAIL_OPEN, "Opened the newsletter")), 0.8),
    ((("retail-web-browse", InteractionType.PAGE_VIEW, "Viewed a product page"),
      ("retail-app-browse", InteractionType.APP_EVENT, "Compared two products")), 0.55),
    ((("retail-checkout-web", InteractionType.PURCHASE, "Order placed online"),
      ("retail-store-visit", InteractionType.PURCHASE, "Bought in the store")), 0.85),
    ((("retail-delivery-sms", InteractionType.MESSAGE, "Delivery window sent by SMS"),), 0.45),
    ((("retail-review-forum", InteractionType.POST, "Reviewed the product in the forum"),), 0.0),
]  # fmt: skip


def _walk(rng: random.Random, start, now, channels: dict) -> list[dict]:
    steps, at, stage = [], start, 0
    while stage < len(RETAIL_WALK) and at < now:
        options, go_on = RETAIL_WALK[stage]
        key, kind, summary = rng.choice(options)
        steps.append({"key": key, "type": kind, "summary": summary, "at": at, "channel": channels.get(key, "web")})
        if stage == 2 and rng.random() < 0.15:  # back to browsing after buying
            at += timedelta(hours=rng.randint(2, 30))
            steps.append(
                {"key": "retail-web-browse", "type": InteractionType.PAGE_VIEW, "summary": "Browsed accessories",
                 "at": at, "channel": "web"}
            )  # fmt: skip
        if rng.random() < 0.06:  # a question to support on the way
            at += timedelta(hours=rng.randint(1, 12))
            steps.append({"key": "support-chat", "type": InteractionType.MESSAGE, "summary": "Asked about delivery",
                          "at": at, "channel": "chat"})  # fmt: skip
        if rng.random() >= go_on:
            break
        stage += 2 if stage == 0 and rng.random() < 0.12 else 1  # an ad straight to the checkout
        at += timedelta(hours=rng.randint(3, 24 * 6))
    return [s for s in steps if s["at"] < now]


def load_demo(*, seed: int = 42, scale: int = 1, stdout=None) -> None:
    """Add the demo walks and compute the journeys. Skipped once journeys were computed (a second `make run`
    adds nothing; beat keeps them fresh)."""
    if JourneyAnalyticsState.objects.exists():
        return
    rng = random.Random(seed + 18)
    now = timezone.now()
    channels = dict(Touchpoint.objects.filter(published=True).values_list("key", "channel"))
    rows = []
    if "retail-ad-social" in channels:
        for customer in Customer.objects.active().order_by("pk").only("pk"):
            if rng.random() >= 0.4:
                continue
            for _ in range(1 if rng.random() < 0.8 else 2):
                start = now - timedelta(days=rng.randint(1, 330), hours=rng.randint(0, 23))
                for step in _walk(rng, start, now, channels):
                    rows.append(
                        Interaction(
                            customer=customer,
                            channel=step["channel"],
                            direction=Direction.INBOUND,
                            type=step["type"],
                            occurred_at=step["at"],
                            summary=step["summary"],
                            touchpoint_key=step["key"],
                            source="demo",
                            live=False,
                        )
                    )
        Interaction.objects.bulk_create(rows, batch_size=2_000)
    summary = journey_analytics_refresh_all(since=None)
    if stdout:
        journeys = sum(counts["journeys"] for counts in summary.values())
        stdout.write(f"  feedback: {len(rows)} journey interactions, {journeys} journeys on {len(summary)} maps")
