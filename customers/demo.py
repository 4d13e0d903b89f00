"""Demo data of the customers app: a year of realistic, deterministic history.

`load_demo(seed=, scale=, stdout=)` (listed in settings.DEMO_LOADERS after the journeys
demo) creates, once, about 300 × scale customers with personas, identities across
channels, lifecycle changes (some churn during the year), ≈ 30,000 × scale interactions
over the last twelve months on every channel and the demo journeys' touchpoints, email
campaigns (sent/open/click, purchases after clicks), support cases with realistic first
response and resolution times (some breached, some pending, a few about to breach for the
demo reps), notes, owners, and a few merge suggestions (one person met through two channels).

Everything is bulk-inserted with live=False and no signals: it is history, it starts no
surveys. The same seed gives the same data (relative to the current hour).
"""

import random
from collections import defaultdict
from datetime import datetime, timedelta

import phonenumbers
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from cxcrm.choices import Channel
from journeys.demo import DEMO_TOUCHPOINT_KEYS
from journeys.models import Persona
from journeys.selectors import touchpoint_list_published

from .choices import CasePriority, CaseStatus, Direction, IdentityKind, InteractionType, LifecycleStage
from .models import (
    Case,
    CaseChange,
    Customer,
    Identity,
    Interaction,
    MergeSuggestion,
    Note,
    SlaPolicy,
    Tag,
)
from .services.lifecycle import lifecycle_history_record

SOURCE = "demo"
BATCH = 2000
CUSTOMERS_PER_SCALE = 300
DEMO_REPS = ("rep", "rep2")

NAMES = {
    "pt-br": (
        [
            "Ana",
            "Bruno",
            "Camila",
            "Diego",
            "Fernanda",
            "Gabriel",
            "Juliana",
            "Lucas",
            "Mariana",
            "Rafael",
            "Beatriz",
            "Thiago",
            "Larissa",
            "Pedro",
            "Aline",
            "Felipe",
        ],
        [
            "Silva",
            "Santos",
            "Oliveira",
            "Souza",
            "Lima",
            "Pereira",
            "Costa",
            "Rodrigues",
            "Almeida",
            "Nascimento",
            "Carvalho",
            "Ribeiro",
        ],
    ),
    "en": (
        ["Emma", "Oliver", "Sophie", "James", "Amelia", "Harry", "Grace", "Jack", "Chloe", "Thomas", "Lucy", "George"],
        ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Evans", "Walker"],
    ),
    "es": (
        ["Lucía", "Hugo", "Martina", "Pablo", "Sofía", "Javier", "Elena", "Carlos", "Paula", "Diego"],
        ["García", "Martínez", "López", "Sánchez", "González", "Pérez", "Romero", "Navarro"],
    ),
    "pl": (
        ["Zofia", "Jakub", "Maja", "Kacper", "Julia", "Szymon", "Hanna", "Filip"],
        ["Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kamiński", "Lewandowski", "Zieliński"],
    ),
    "el": (
        ["Maria", "Giorgos", "Eleni", "Nikos", "Katerina", "Dimitris", "Sofia", "Kostas"],
        ["Papadopoulos", "Georgiou", "Nikolaou", "Pappas", "Oikonomou", "Vlachos"],
    ),
}
LANGUAGES = [("pt-br", 40), ("en", 25), ("es", 15), ("pl", 10), ("el", 10)]
COUNTRY = {"pt-br": "BR", "en": "GB", "es": "ES", "pl": "PL", "el": "GR"}
TIMEZONE = {
    "pt-br": "America/Sao_Paulo",
    "en": "Europe/London",
    "es": "Europe/Madrid",
    "pl": "Europe/Warsaw",
    "el": "Europe/Athens",
}
# A national mobile number pattern per country (digits drawn at random, validated with phonenumbers).
PHONE_PATTERNS = {
    "BR": "+55119########",
    "GB": "+447#########",
    "ES": "+346########",
    "PL": "+4850#######",
    "GR": "+3069########",
}
EMAIL_DOMAINS = ["example.com", "example.org", "example.net", "mail.example.com"]

# Persona name -> weights of the activity kinds below (default when a customer has no persona).
ACTIVITY_WEIGHTS = {
    "Value-seeking Vera": {
        "app": 30,
        "web": 15,
        "social": 15,
        "purchase_web": 12,
        "store": 3,
        "review": 4,
        "sms_in": 3,
        "help": 4,
        "chat": 4,
        "phone": 2,
        "email_in": 4,
        "marketing": 3,
        "forum": 1,
        "iot": 0,
        "other": 1,
    },
    "Tech-savvy Theo": {
        "app": 8,
        "web": 20,
        "social": 4,
        "purchase_web": 8,
        "store": 1,
        "review": 6,
        "sms_in": 1,
        "help": 14,
        "chat": 8,
        "phone": 1,
        "email_in": 3,
        "marketing": 2,
        "forum": 12,
        "iot": 22,
        "other": 1,
    },
    "Loyal Lorena": {
        "app": 2,
        "web": 8,
        "social": 2,
        "purchase_web": 6,
        "store": 28,
        "review": 3,
        "sms_in": 2,
        "help": 3,
        "chat": 2,
        "phone": 14,
        "email_in": 10,
        "marketing": 3,
        "forum": 1,
        "iot": 0,
        "other": 2,
    },
    None: {
        "app": 14,
        "web": 20,
        "social": 8,
        "purchase_web": 10,
        "store": 8,
        "review": 3,
        "sms_in": 2,
        "help": 6,
        "chat": 5,
        "phone": 5,
        "email_in": 5,
        "marketing": 3,
        "forum": 3,
        "iot": 5,
        "other": 1,
    },
}
PREFERRED = {"Value-seeking Vera": Channel.MOBILE_APP, "Tech-savvy Theo": Channel.CHAT, "Loyal Lorena": Channel.STORE}

TOPICS = {
    "billing": ["Charged twice for order", "Invoice shows the wrong address", "Refund not received yet"],
    "delivery": ["Parcel late", "Delivery left at the wrong address", "Missing item in the parcel"],
    "device": ["Device keeps disconnecting", "Error E42 after the update", "Battery drains overnight"],
    "returns": ["How do I return a gift?", "Return label does not print", "Exchange for another size"],
    "account": ["Cannot log in to the app", "Change my email address", "Delete my account"],
    "product": ["Which model fits my needs?", "Spare parts availability", "Warranty question"],
}
CASE_ORIGINS = [
    (Channel.CHAT, 30),
    (Channel.PHONE, 25),
    (Channel.EMAIL, 25),
    (Channel.SOCIAL, 8),
    (Channel.WEB, 7),
    (Channel.STORE, 5),
]
CONTACT_TOUCHPOINT = {Channel.CHAT: "support-chat", Channel.PHONE: "support-phone", Channel.EMAIL: "support-email"}
PRIORITIES = [(CasePriority.LOW, 20), (CasePriority.NORMAL, 55), (CasePriority.HIGH, 20), (CasePriority.URGENT, 5)]
NOTES = [
    "Prefers to be called after 6 pm.",
    "Long-time customer; offer the loyalty discount if anything goes wrong again.",
    "Owns two devices; the older one is out of warranty.",
    "Asked us not to send SMS, email is fine.",
    "Was unhappy with the last delivery; follow up personally.",
    "Interested in the business plan; passed on to sales.",
]


def _pick(rng: random.Random, weighted):
    items, weights = zip(*weighted, strict=True)
    return rng.choices(items, weights=weights)[0]


class _Builder:
    def __init__(self, *, seed: int, scale: int):
        self.rng = random.Random(seed)
        self.scale = max(1, int(scale))
        self.now = timezone.now().replace(minute=0, second=0, microsecond=0)
        self.year_ago = self.now - timedelta(days=365)
        self.touchpoints = {t.key: t for t in touchpoint_list_published().filter(key__in=list(DEMO_TOUCHPOINT_KEYS))}
        self.personas = list(Persona.objects.order_by("name", "id"))
        users = {u.username: u for u in get_user_model().objects.filter(username__in=DEMO_REPS)}
        self.reps = [users[name] for name in DEMO_REPS if name in users]
        self.sla = {p.priority: p for p in SlaPolicy.objects.all()}
        self.interactions: list[Interaction] = []
        self.interaction_owners: list[int] = []  # the customer index of each of self.interactions
        self.contacts: dict[int, list[datetime]] = defaultdict(list)  # customer index -> [first, last]
        self.used_values: set[tuple[str, str, str]] = set()

    # ------------------------------------------------------------------ helpers

    def when(self, start: datetime, end: datetime) -> datetime:
        span = max((end - start).total_seconds(), 60)
        return start + timedelta(seconds=self.rng.uniform(0, span))

    def add(
        self,
        index: int,
        customer: Customer,
        *,
        channel,
        occurred_at,
        summary,
        type,
        direction=Direction.INBOUND,
        body="",
        touchpoint="",
        agent=None,
        case=None,
        campaign="",
        metadata=None,
    ):
        tp = self.touchpoints.get(touchpoint) if touchpoint else None
        self.interactions.append(
            Interaction(
                customer=customer,
                channel=channel,
                direction=direction,
                type=type,
                occurred_at=occurred_at,
                summary=summary,
                body=body,
                agent=agent,
                case=case,
                touchpoint=tp,
                touchpoint_key=touchpoint if tp else "",
                campaign=campaign,
                source=SOURCE,
                metadata=metadata or {},
                live=False,
            )
        )
        self.interaction_owners.append(index)

    def unique(self, kind: str, network: str, make) -> str | None:
        for _ in range(20):
            value = make()
            if value and (kind, network, value) not in self.used_values:
                self.used_values.add((kind, network, value))
                return value
        return None

    def phone(self, country: str) -> str | None:
        pattern = PHONE_PATTERNS[country]

        def make():
            value = "".join(str(self.rng.randrange(10)) if ch == "#" else ch for ch in pattern)
            return value if phonenumbers.is_valid_number(phonenumbers.parse(value)) else None

        return self.unique(IdentityKind.PHONE, "", make)

    @staticmethod
    def ascii(text: str) -> str:
        table = str.maketrans("ąćęłńóśźżáéíóúüñãõçâêôàèìòùíΆ", "acelnoszzaeiouunaocaeoaeiouiA")
        return "".join(ch for ch in text.lower().translate(table) if ch.isalnum())

    # ------------------------------------------------------------------ customers and identities

    def customers(self) -> list[dict]:
        """Unsaved customers with their plans: identities, active window, lifecycle path, activity level."""
        rng, people = self.rng, []
        for i in range(CUSTOMERS_PER_SCALE * self.scale):
            language = _pick(rng, LANGUAGES)
            firsts, lasts = NAMES[language]
            first, last = rng.choice(firsts), rng.choice(lasts)
            persona = rng.choice(self.personas) if self.personas and rng.random() < 0.8 else None
            # Most were already customers a year ago; some arrive during the year.
            start = self.year_ago + timedelta(days=rng.choice([0] * 6 + list(range(1, 330))))
            start += timedelta(minutes=rng.randrange(24 * 60))
            customer = Customer(
                first_name=first,
                last_name=last,
                language=language,
                country=COUNTRY[language],
                timezone=TIMEZONE[language],
                persona=persona,
                marketing_consent=rng.random() < 0.6,
                survey_opt_out=rng.random() < 0.05,
                preferred_channel=PREFERRED.get(persona.name, "") if persona else "",
                owner=rng.choice(self.reps) if self.reps and rng.random() < 0.3 else None,
            )
            churn_at = None
            if rng.random() < 0.1 and start < self.now - timedelta(days=60):
                churn_at = self.when(start + timedelta(days=30), self.now - timedelta(days=5))
            people.append(
                {
                    "index": i,
                    "customer": customer,
                    "start": start,
                    "end": churn_at or self.now,
                    "churn_at": churn_at,
                    "activity": rng.choice([40, 70, 110, 140, 190, 280]),
                    "identities": self.identities_for(customer, i),
                    "tags": [t for t, p in (("vip", 0.08), ("b2b", 0.1), ("newsletter", 0.3)) if rng.random() < p],
                }
            )
        return people

    def identities_for(self, customer: Customer, i: int) -> list[tuple[str, str, str]]:
        rng = self.rng
        base = f"{self.ascii(customer.first_name)}.{self.ascii(customer.last_name)}"
        found = []
        if rng.random() < 0.92:
            email = self.unique(
                IdentityKind.EMAIL,
                "",
                lambda: f"{base}{rng.choice(['', str(rng.randrange(100))])}@{rng.choice(EMAIL_DOMAINS)}",
            )
            if email:
                found.append((IdentityKind.EMAIL, "", email))
        if rng.random() < 0.65:
            phone = self.phone(customer.country)
            if phone:
                found.append((IdentityKind.PHONE, "", phone))
        if rng.random() < 0.3:
            network = rng.choice(["instagram", "x", "facebook"])
            handle = self.unique(IdentityKind.HANDLE, network, lambda: f"{base.replace('.', '_')}{rng.randrange(1000)}")
            if handle:
                found.append((IdentityKind.HANDLE, network, handle))
        if rng.random() < 0.5:
            found.append((IdentityKind.EXTERNAL_ID, "shop", f"SHOP-{100000 + i}"))
        if customer.persona and customer.persona.name == "Tech-savvy Theo" or rng.random() < 0.1:
            found.append((IdentityKind.DEVICE, "", f"dev-{self.rng.randrange(16**10):010x}"))
        if not found:
            found.append((IdentityKind.EXTERNAL_ID, "shop", f"SHOP-{100000 + i}"))
        return found

    # ------------------------------------------------------------------ lifecycle

    def lifecycle(self, person: dict) -> list[tuple[str, str, datetime]]:
        """The stage path of a customer: lead → prospect → active (→ at risk / advocate) (→ churned)."""
        rng, start, end = self.rng, person["start"], person["end"]
        path = [("", LifecycleStage.LEAD, start)]
        prospect = start + timedelta(days=rng.randint(1, 20))
        if prospect < end:
            path.append((LifecycleStage.LEAD, LifecycleStage.PROSPECT, prospect))
            active = prospect + timedelta(days=rng.randint(1, 30))
            if active < end and rng.random() < 0.9:
                path.append((LifecycleStage.PROSPECT, LifecycleStage.ACTIVE, active))
                later = active + timedelta(days=rng.randint(20, 120))
                if later < end:
                    roll = rng.random()
                    if person["churn_at"] or roll < 0.15:
                        path.append((LifecycleStage.ACTIVE, LifecycleStage.AT_RISK, later))
                    elif roll < 0.3:
                        path.append((LifecycleStage.ACTIVE, LifecycleStage.ADVOCATE, later))
        if person["churn_at"]:
            path.append((path[-1][1], LifecycleStage.CHURNED, person["churn_at"]))
        return path

    # ------------------------------------------------------------------ everyday activity on the journeys' touchpoints

    def activity(self, person: dict) -> None:
        c, i, rng = person["customer"], person["index"], self.rng
        weights = ACTIVITY_WEIGHTS.get(c.persona.name if c.persona else None, ACTIVITY_WEIGHTS[None])
        kinds = [(k, w) for k, w in weights.items() if w]
        active_days = max((person["end"] - person["start"]).days, 1)
        count = max(3, int(person["activity"] * active_days / 365))
        for _ in range(count):
            at = self.when(person["start"], person["end"])
            kind = _pick(rng, kinds)

            def add(at=at, **kw):
                self.add(i, c, occurred_at=at, **kw)

            if kind == "app":
                add(
                    channel=Channel.MOBILE_APP,
                    type=InteractionType.APP_EVENT,
                    summary=rng.choice(
                        [
                            "Opened the app",
                            "Added an item to the wishlist",
                            "Compared two products",
                            "Checked the offers",
                        ]
                    ),
                    touchpoint="retail-app-browse",
                )
            elif kind == "web":
                for n in range(rng.randint(1, 3)):
                    add(
                        channel=Channel.WEB,
                        type=InteractionType.PAGE_VIEW,
                        at=at + timedelta(minutes=2 * n),
                        summary=rng.choice(
                            ["Viewed a product page", "Browsed the catalogue", "Read the delivery terms"]
                        ),
                        touchpoint="retail-web-browse",
                    )
            elif kind == "social":
                add(
                    channel=Channel.SOCIAL,
                    type=InteractionType.POST,
                    summary=rng.choice(
                        ["Commented on our ad", "Liked the campaign post", "Asked about sizes under the ad"]
                    ),
                    touchpoint="retail-ad-social",
                )
            elif kind == "purchase_web":
                amount = round(rng.uniform(15, 400), 2)
                add(
                    channel=Channel.WEB,
                    type=InteractionType.PURCHASE,
                    summary="Order placed online",
                    touchpoint="retail-checkout-web",
                    metadata={"amount": amount, "currency": settings.DEFAULT_CURRENCY},
                )
                add(
                    channel=Channel.SMS,
                    type=InteractionType.MESSAGE,
                    direction=Direction.SYSTEM,
                    at=at + timedelta(days=1, hours=rng.randint(1, 10)),
                    summary="Delivery window sent by SMS",
                    touchpoint="retail-delivery-sms",
                )
            elif kind == "store":
                add(
                    channel=Channel.STORE,
                    type=InteractionType.VISIT,
                    summary="Visited the city-centre store",
                    touchpoint="retail-store-visit",
                )
                if rng.random() < 0.5:
                    amount = round(rng.uniform(10, 250), 2)
                    add(
                        channel=Channel.STORE,
                        type=InteractionType.PURCHASE,
                        at=at + timedelta(minutes=25),
                        summary="Bought in store",
                        touchpoint="retail-store-visit",
                        metadata={"amount": amount, "currency": settings.DEFAULT_CURRENCY},
                    )
            elif kind == "review":
                add(
                    channel=Channel.FORUM,
                    type=InteractionType.REVIEW,
                    summary=rng.choice(
                        ["Wrote a 5-star review", "Wrote a 3-star review", "Reviewed the delivery experience"]
                    ),
                    body="Good value, delivery could be faster.",
                    touchpoint="retail-review-forum",
                )
            elif kind == "sms_in":
                add(
                    channel=Channel.SMS,
                    type=InteractionType.MESSAGE,
                    summary="Replied to the delivery SMS",
                    touchpoint="retail-delivery-sms",
                )
            elif kind == "help":
                add(
                    channel=Channel.WEB,
                    type=InteractionType.PAGE_VIEW,
                    summary=rng.choice(
                        ["Read “Reset your device”", "Read “Returns and refunds”", "Searched the help centre"]
                    ),
                    touchpoint="support-help-center",
                )
            elif kind == "chat":
                add(
                    channel=Channel.CHAT,
                    type=InteractionType.MESSAGE,
                    summary="Asked about opening hours in the chat",
                    touchpoint="support-chat",
                )
                add(
                    channel=Channel.CHAT,
                    type=InteractionType.MESSAGE,
                    direction=Direction.OUTBOUND,
                    at=at + timedelta(minutes=rng.randint(1, 6)),
                    summary="Answered in the chat",
                    agent=rng.choice(self.reps) if self.reps else None,
                    touchpoint="support-chat",
                )
            elif kind == "phone":
                add(
                    channel=Channel.PHONE,
                    type=InteractionType.CALL,
                    summary="Called about an order status",
                    body=f"Call lasted {rng.randint(2, 15)} minutes.",
                    touchpoint="support-phone",
                    agent=rng.choice(self.reps) if self.reps else None,
                )
            elif kind == "email_in":
                add(
                    channel=Channel.EMAIL,
                    type=InteractionType.MESSAGE,
                    summary="Emailed a question about a product",
                    body="Hello, is this also available in blue? Thanks.",
                    touchpoint="support-email",
                )
            elif kind == "marketing":
                add(
                    channel=Channel.MARKETING,
                    type=InteractionType.OTHER,
                    direction=Direction.OUTBOUND,
                    summary="Shown a retargeting ad",
                )
            elif kind == "forum":
                add(
                    channel=Channel.FORUM,
                    type=InteractionType.POST,
                    summary=rng.choice(["Answered a question in the community", "Posted a how-to in the community"]),
                    touchpoint="support-community-forum",
                )
            elif kind == "iot":
                add(
                    channel=Channel.IOT,
                    type=InteractionType.DEVICE_EVENT,
                    direction=Direction.SYSTEM,
                    summary=rng.choice(["Device reported error E42", "Firmware updated", "Device went offline"]),
                    touchpoint="support-device-diagnostics",
                )
            else:
                add(channel=Channel.OTHER, type=InteractionType.OTHER, summary="Letter received by post")

    # ------------------------------------------------------------------ email campaigns

    def campaigns(self, people: list[dict]) -> int:
        """A monthly newsletter and two promotions to consenting customers: sent, opened, clicked, bought."""
        rng, sends = self.rng, []
        for months_ago in range(12, 0, -1):
            day = (self.now - timedelta(days=30 * months_ago - 3)).replace(hour=9)
            sends.append((f"newsletter-{day:%Y-%m}", day, "Monthly newsletter", 0.4))
        for name, days_ago, subject in (
            ("summer-sale", 150, "Summer sale: up to 40% off"),
            ("black-week", 20, "Black week deals"),
        ):
            day = (self.now - timedelta(days=days_ago)).replace(hour=10)
            sends.append((f"{name}-{day:%Y}", day, subject, 0.5))
        count = 0
        for campaign, at, subject, open_rate in sends:
            for person in people:
                c = person["customer"]
                if not c.marketing_consent or not (person["start"] <= at <= person["end"]):
                    continue
                if not any(kind == IdentityKind.EMAIL for kind, _n, _v in person["identities"]):
                    continue
                i = person["index"]
                sent = at + timedelta(minutes=rng.randrange(60))
                self.add(
                    i,
                    c,
                    channel=Channel.EMAIL,
                    type=InteractionType.EMAIL_SENT,
                    direction=Direction.OUTBOUND,
                    occurred_at=sent,
                    summary=subject,
                    campaign=campaign,
                    touchpoint="retail-newsletter",
                )
                count += 1
                if rng.random() < open_rate:
                    opened = sent + timedelta(hours=rng.uniform(0.2, 48))
                    self.add(
                        i,
                        c,
                        channel=Channel.EMAIL,
                        type=InteractionType.EMAIL_OPEN,
                        occurred_at=opened,
                        summary=f"Opened “{subject}”",
                        campaign=campaign,
                        touchpoint="retail-newsletter",
                    )
                    count += 1
                    if rng.random() < 0.3:
                        clicked = opened + timedelta(minutes=rng.uniform(1, 20))
                        self.add(
                            i,
                            c,
                            channel=Channel.EMAIL,
                            type=InteractionType.EMAIL_CLICK,
                            occurred_at=clicked,
                            summary=f"Clicked “{subject}”",
                            campaign=campaign,
                            touchpoint="retail-newsletter",
                        )
                        count += 1
                        if rng.random() < 0.35:
                            amount = round(rng.uniform(20, 300), 2)
                            self.add(
                                i,
                                c,
                                channel=Channel.WEB,
                                type=InteractionType.PURCHASE,
                                occurred_at=clicked + timedelta(minutes=rng.uniform(5, 90)),
                                summary="Order placed online",
                                campaign=campaign,
                                touchpoint="retail-checkout-web",
                                metadata={"amount": amount, "currency": settings.DEFAULT_CURRENCY},
                            )
                            count += 1
        return count

    # ------------------------------------------------------------------ support cases

    def due(self, priority: str, opened_at: datetime):
        policy = self.sla.get(priority)
        if policy is None:
            return None, None, 240, 2880
        fr, res = policy.first_response_minutes, policy.resolution_minutes
        return opened_at + timedelta(minutes=fr), opened_at + timedelta(minutes=res), fr, res

    def case(self, person: dict, *, opened_at: datetime, assignee=None, plan: str = "") -> Case:
        """One case with its conversation.

        plan: "" (by age), or a case that "My work" shows: "due_soon", "first_response_soon", "breached", "pending".
        """
        rng, c, i = self.rng, person["customer"], person["index"]
        topic = rng.choice(list(TOPICS))
        priority = _pick(rng, PRIORITIES)
        origin = _pick(rng, CASE_ORIGINS)
        if plan:
            priority = CasePriority.HIGH
        first_due, resolution_due, fr_min, res_min = self.due(priority, opened_at)
        if plan == "due_soon":
            opened_at = timezone.now() + timedelta(minutes=rng.randint(25, 55)) - timedelta(minutes=res_min)
        elif plan == "breached":
            opened_at = timezone.now() - timedelta(minutes=res_min) - timedelta(hours=rng.randint(2, 40))
        elif plan == "pending":  # waiting on the customer, its clock paused
            opened_at = timezone.now() - timedelta(hours=rng.randint(20, 90))
        elif plan == "first_response_soon":
            opened_at = timezone.now() + timedelta(minutes=rng.randint(20, 50)) - timedelta(minutes=fr_min)
        first_due, resolution_due, fr_min, res_min = self.due(priority, opened_at)
        agent = (
            assignee if assignee is not None else (rng.choice(self.reps) if self.reps and rng.random() < 0.9 else None)
        )
        case = Case(
            customer=c,
            subject=rng.choice(TOPICS[topic]),
            topic=topic,
            origin=origin,
            priority=priority,
            assignee=agent,
            opened_at=opened_at,
            first_response_due_at=first_due,
            resolution_due_at=resolution_due,
            source=SOURCE,
            description="Customer explained the problem; details in the first message.",
        )
        case.assigned_at = min(opened_at + timedelta(minutes=rng.randint(1, 30)), self.now) if agent else None
        fr_delay = timedelta(minutes=fr_min * rng.lognormvariate(-1.05, 0.8))
        res_delay = max(timedelta(minutes=res_min * rng.lognormvariate(-0.9, 0.7)), fr_delay + timedelta(minutes=5))
        age = self.now - opened_at
        # A team keeps up: a few cases of the last weeks slip, none from months ago.
        if age > timedelta(days=45):
            finished = True
        else:
            finished = rng.random() < (0.95 if age > timedelta(days=10) else 0.85 if age > timedelta(days=3) else 0.35)
        if plan in ("breached", "pending"):
            finished, fr_delay = False, timedelta(minutes=fr_min * 0.5)
        if plan == "due_soon":
            finished, fr_delay = False, timedelta(minutes=fr_min * 0.5)
        elif plan == "first_response_soon":
            finished, fr_delay = False, age + timedelta(days=1)
        first_response = opened_at + fr_delay
        resolved = opened_at + res_delay
        if finished and resolved >= self.now:
            finished = False
        if first_response >= self.now:
            first_response = None
        case.first_response_at = first_response
        if finished:
            case.resolved_at = resolved
            case.resolution_note = rng.choice(
                [
                    "Refund issued.",
                    "Sent a replacement.",
                    "Guided through a reset; works again.",
                    "Explained the policy.",
                ]
            )
            if resolved < self.now - timedelta(days=7) and rng.random() < 0.7:
                case.status, case.closed_at = CaseStatus.CLOSED, resolved + timedelta(days=rng.randint(2, 5))
                if case.closed_at > self.now:
                    case.status, case.closed_at = CaseStatus.RESOLVED, None
            else:
                case.status = CaseStatus.RESOLVED
            if rng.random() < 0.05:
                case.reopen_count = 1
        elif first_response is None:
            case.status = CaseStatus.NEW
        elif plan == "pending" or (not plan and rng.random() < 0.25):
            case.status = CaseStatus.PENDING
            case.pending_since = self.when(first_response, self.now)
        else:
            case.status = CaseStatus.OPEN

        # The conversation on the case.
        contact_type = {
            Channel.PHONE: InteractionType.CALL,
            Channel.STORE: InteractionType.VISIT,
            Channel.SOCIAL: InteractionType.POST,
        }.get(origin, InteractionType.MESSAGE)
        touchpoint = CONTACT_TOUCHPOINT.get(origin, "")
        if topic == "device":
            self.add(
                i,
                c,
                channel=Channel.IOT,
                type=InteractionType.DEVICE_EVENT,
                direction=Direction.SYSTEM,
                occurred_at=opened_at - timedelta(minutes=rng.randint(5, 120)),
                summary="Device reported error E42",
                touchpoint="support-device-diagnostics",
            )
        self.add(
            i,
            c,
            channel=origin,
            type=contact_type,
            occurred_at=opened_at,
            summary=case.subject,
            case=case,
            body=f"{case.subject}. Can you help me, please?",
            touchpoint=touchpoint,
        )
        reply_channel = Channel.PHONE if origin == Channel.STORE else origin
        if first_response:
            self.add(
                i,
                c,
                channel=reply_channel,
                type=contact_type if origin == Channel.PHONE else InteractionType.MESSAGE,
                direction=Direction.OUTBOUND,
                occurred_at=first_response,
                summary="First answer from support",
                body="Thanks for reaching out. We are looking into it.",
                agent=agent or rng.choice(self.reps or [None]),
                case=case,
                touchpoint=CONTACT_TOUCHPOINT.get(reply_channel, ""),
            )
            end = case.resolved_at or self.now
            for _ in range(rng.randint(0, 2)):
                self.add(
                    i,
                    c,
                    channel=reply_channel,
                    type=InteractionType.MESSAGE,
                    occurred_at=self.when(first_response, end),
                    summary="Customer sent more details",
                    case=case,
                    touchpoint=CONTACT_TOUCHPOINT.get(reply_channel, ""),
                )
        if case.resolved_at:
            self.add(
                i,
                c,
                channel=Channel.EMAIL,
                type=InteractionType.MESSAGE,
                direction=Direction.OUTBOUND,
                occurred_at=case.resolved_at,
                summary="Your case is resolved",
                body=case.resolution_note,
                agent=agent,
                case=case,
                touchpoint="support-resolution-email",
            )
            self.add(
                i,
                c,
                channel=Channel.OTHER,
                type=InteractionType.CASE_UPDATE,
                direction=Direction.SYSTEM,
                occurred_at=case.resolved_at,
                summary=f"Case resolved: {case.subject}",
                case=case,
            )
        return case

    @staticmethod
    def case_history(cases: list[Case]) -> list[CaseChange]:
        """The history a finished case would have (as the case services write it): resolved by its assignee
        with the resolution note as the reason, then closed."""
        rows = []
        labels = dict(CaseStatus.choices)
        for case in cases:
            if case.resolved_at is None:
                continue
            by = case.assignee
            steps = [(CaseStatus.OPEN, CaseStatus.RESOLVED, case.resolved_at, case.resolution_note)]
            if case.status == CaseStatus.CLOSED and case.closed_at:
                steps.append((CaseStatus.RESOLVED, CaseStatus.CLOSED, case.closed_at, ""))
            for old, new, at, reason in steps:
                rows.append(
                    CaseChange(
                        case=case,
                        field="status",
                        from_value=old,
                        to_value=new,
                        from_label=str(labels[old]),
                        to_label=str(labels[new]),
                        reason=reason,
                        changed_by=by,
                        changed_at=at,
                    )
                )
        return rows

    def cases(self, people: list[dict]) -> list[Case]:
        rng, cases = self.rng, []
        for person in people:
            for _ in range(rng.choices([0, 1, 2, 3], weights=[45, 35, 15, 5])[0]):
                cases.append(self.case(person, opened_at=self.when(person["start"], person["end"])))
        # Make "My work" worth opening: for each demo rep, cases about to breach, one that did, one pending.
        current = [p for p in people if p["churn_at"] is None]
        for rep in self.reps:
            for plan in ("due_soon", "due_soon", "first_response_soon", "breached", "pending"):
                cases.append(self.case(rng.choice(current), opened_at=self.now, assignee=rep, plan=plan))
        return cases

    # ------------------------------------------------------------------ duplicates

    def duplicates(self, people: list[dict]) -> list[tuple[dict, dict, str]]:
        """A few people we also met through another channel as a second customer (same person, two records)."""
        rng, found = self.rng, []
        with_email = [p for p in people if any(k == IdentityKind.EMAIL for k, _n, _v in p["identities"])]
        for person in rng.sample(with_email, min(len(with_email), 4 + self.scale)):
            original = person["customer"]
            phone = self.phone(original.country)
            if not phone:
                continue
            twin = Customer(
                first_name=original.first_name,
                last_name=original.last_name,
                language=original.language,
                country=original.country,
                timezone=original.timezone,
            )
            start = self.when(self.now - timedelta(days=90), self.now - timedelta(days=2))
            dup = {
                "index": len(people) + len(found),
                "customer": twin,
                "start": start,
                "end": self.now,
                "churn_at": None,
                "activity": 0,
                "identities": [(IdentityKind.PHONE, "", phone)],
                "tags": [],
            }
            for n in range(rng.randint(2, 4)):
                self.add(
                    dup["index"],
                    twin,
                    channel=Channel.PHONE,
                    type=InteractionType.CALL,
                    occurred_at=start + timedelta(days=n * 3),
                    summary="Called from a new number",
                    touchpoint="support-phone",
                )
            email = next(v for k, _n, v in person["identities"] if k == IdentityKind.EMAIL)
            found.append((dup, person, f"Given together on one interaction: email {email}, phone {phone}"))
        return found

    # ------------------------------------------------------------------ save

    def save(self, stdout=None) -> dict:
        rng = self.rng
        people = self.customers()
        for person in people:
            self.activity(person)
        campaign_count = self.campaigns(people)
        cases = self.cases(people)
        duplicates = self.duplicates(people)
        everyone = people + [dup for dup, _p, _r in duplicates]
        for interaction in self.interactions:
            if interaction.occurred_at > self.now:
                interaction.occurred_at = self.now - timedelta(minutes=rng.randint(1, 59))
        # First and last contact follow the interactions as stored: never in the future.
        for interaction, index in zip(self.interactions, self.interaction_owners, strict=True):
            seen, at = self.contacts[index], interaction.occurred_at
            if not seen:
                seen.extend([at, at])
            else:
                seen[0], seen[1] = min(seen[0], at), max(seen[1], at)

        paths = {}
        for person in everyone:
            c = person["customer"]
            seen = self.contacts.get(person["index"])
            c.first_contact_at, c.last_contact_at = (
                (min(seen[0], person["start"]), seen[1]) if seen else (person["start"], None)
            )
            paths[person["index"]] = (
                self.lifecycle(person) if person["activity"] else [("", LifecycleStage.LEAD, person["start"])]
            )
            c.lifecycle_stage = paths[person["index"]][-1][1]
        customers = [p["customer"] for p in everyone]
        Customer.objects.bulk_create(customers, batch_size=BATCH)
        for person in everyone:  # history: "created" when first seen, not today
            person["customer"].created_at = person["customer"].first_contact_at
        Customer.objects.bulk_update(customers, ["created_at"], batch_size=BATCH)

        lifecycle_history_record(
            ((p["customer"], f, t, at) for p in everyone for f, t, at in paths[p["index"]]), batch_size=BATCH
        )
        Identity.objects.bulk_create(
            [
                Identity(customer=p["customer"], kind=k, network=n, value=v, raw_value=v)
                for p in everyone
                for k, n, v in p["identities"]
            ],
            batch_size=BATCH,
        )
        tags = {name: Tag.objects.get_or_create(name=name)[0] for name in ("vip", "b2b", "newsletter")}
        Customer.tags.through.objects.bulk_create(
            [
                Customer.tags.through(customer_id=p["customer"].pk, tag_id=tags[t].pk)
                for p in everyone
                for t in p["tags"]
            ],
            batch_size=BATCH,
        )
        Case.objects.bulk_create(cases, batch_size=BATCH)
        for case in cases:
            case.created_at = case.opened_at
        Case.objects.bulk_update(cases, ["created_at"], batch_size=BATCH)
        CaseChange.objects.bulk_create(self.case_history(cases), batch_size=BATCH)
        Interaction.objects.bulk_create(self.interactions, batch_size=BATCH)

        notes = []
        for person in rng.sample(people, len(people) // 3):
            for _ in range(rng.randint(1, 2)):
                notes.append(
                    Note(
                        customer=person["customer"],
                        author=rng.choice(self.reps) if self.reps else None,
                        body=rng.choice(NOTES),
                    )
                )
        Note.objects.bulk_create(notes, batch_size=BATCH)
        for note in notes:
            note.created_at = self.when(note.customer.first_contact_at, self.now)
        Note.objects.bulk_update(notes, ["created_at"], batch_size=BATCH)

        MergeSuggestion.objects.bulk_create(
            [
                MergeSuggestion(customer=dup["customer"], other=person["customer"], reason=reason)
                for dup, person, reason in duplicates
            ]
        )
        return {
            "customers": len(customers),
            "identities": sum(len(p["identities"]) for p in everyone),
            "interactions": len(self.interactions),
            "campaign": campaign_count,
            "cases": len(cases),
            "notes": len(notes),
            "suggestions": len(duplicates),
        }


def load_demo(*, seed: int = 42, scale: int = 1, stdout=None) -> dict | None:
    """Create the customers demo data once (skipped when any customer exists). Returns the counts created."""
    if Customer.objects.exists():
        if stdout:
            stdout.write("  customers: customers already there, skipped")
        return None
    with transaction.atomic():
        counts = _Builder(seed=seed, scale=scale).save(stdout)
    if stdout:
        stdout.write(
            "  customers: {customers} customers, {identities} identities, {interactions} interactions "
            "({campaign} from email campaigns), {cases} cases, {notes} notes, {suggestions} merge suggestions".format(
                **counts
            )
        )
    return counts
