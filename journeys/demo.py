"""Demo data of the journeys app: three personas and two published maps (a
retail purchase journey and a support journey) with stable touchpoint keys,
which the customers demo tags its interactions with (DEMO_TOUCHPOINT_KEYS)."""

from django.db import transaction

from .models import JourneyMap, Persona
from .services import journey_map_create, journey_map_publish

# key -> channel; the customers demo imports this.
DEMO_TOUCHPOINT_KEYS: dict[str, str] = {
    "retail-ad-social": "social",
    "retail-newsletter": "email",
    "retail-web-browse": "web",
    "retail-app-browse": "mobile_app",
    "retail-checkout-web": "web",
    "retail-store-visit": "store",
    "retail-delivery-sms": "sms",
    "retail-review-forum": "forum",
    "support-help-center": "web",
    "support-chat": "chat",
    "support-phone": "phone",
    "support-email": "email",
    "support-resolution-email": "email",
    "support-community-forum": "forum",
    "support-device-diagnostics": "iot",
}

RETAIL_MAP = "Retail purchase journey"
SUPPORT_MAP = "Support journey"

PERSONAS = [
    {
        "name": "Value-seeking Vera",
        "summary": "Busy parent who compares prices and reviews before buying for the family.",
        "goals": "Get good quality at a fair price; buy quickly from her phone.",
        "frustrations": "Hidden delivery costs; out-of-stock surprises; long checkouts.",
        "motivations": "Feeling smart about a purchase; trust from other buyers' reviews.",
        "demographics": "35–44, suburban, two children, shops mostly on mobile in the evening.",
        "preferred_channels": ["mobile_app", "email", "social"],
    },
    {
        "name": "Tech-savvy Theo",
        "summary": "Owns several connected devices and fixes problems himself when he can.",
        "goals": "Solve problems fast without calling anyone.",
        "frustrations": "Repeating his story to every agent; scripted first-level answers.",
        "motivations": "Competence and control; being recognised as an expert in the community.",
        "demographics": "25–34, urban, software developer.",
        "preferred_channels": ["chat", "forum", "web"],
    },
    {
        "name": "Loyal Lorena",
        "summary": "Long-standing customer who values personal service and visits the store.",
        "goals": "Be remembered; get advice from a person she trusts.",
        "frustrations": "Phone menus; being treated like a new customer.",
        "motivations": "Belonging and reassurance.",
        "demographics": "55–64, visits the city-centre store monthly.",
        "preferred_channels": ["store", "phone", "email"],
    },
]


def _tp(key, name, department, kind, **extra):
    return {
        "key": key,
        "name": name,
        "channel": DEMO_TOUCHPOINT_KEYS[key],
        "department": department,
        "kind": kind,
        **extra,
    }


RETAIL_STAGES = [
    {
        "name": "Awareness",
        "customer_goal": "Find out what is new for the season.",
        "actions": "Scrolls social feeds; opens the newsletter.",
        "thoughts": "“That looks nice — is it any good?”",
        "emotion_score": 1,
        "emotion_label": "Curious",
        "pain_points": "Too many generic ads.",
        "opportunities": "Personalised offers by persona.",
        "touchpoints": [
            _tp("retail-ad-social", "Social media ad", "marketing", "digital", target_csat="70.0"),
            _tp("retail-newsletter", "Weekly newsletter", "marketing", "digital", target_csat="75.0"),
        ],
    },
    {
        "name": "Consideration",
        "customer_goal": "Compare products, prices and delivery options.",
        "actions": "Browses the web shop and the app; reads reviews.",
        "thoughts": "“Is delivery included? Are there better deals?”",
        "emotion_score": 0,
        "emotion_label": "Unsure",
        "pain_points": "Delivery cost only shown at checkout.",
        "opportunities": "Show total price with delivery on product pages.",
        "touchpoints": [
            _tp("retail-web-browse", "Web shop browsing", "product", "digital", target_csat="80.0", target_ces="5.5"),
            _tp("retail-app-browse", "App browsing", "product", "digital", target_csat="82.0", target_ces="5.5"),
        ],
    },
    {
        "name": "Purchase",
        "customer_goal": "Pay quickly and safely.",
        "actions": "Checks out online or buys in store.",
        "thoughts": "“Hope the payment goes through the first time.”",
        "emotion_score": -1,
        "emotion_label": "Anxious",
        "pain_points": "Payment errors; long forms.",
        "opportunities": "One-page checkout; saved addresses.",
        "touchpoints": [
            _tp("retail-checkout-web", "Web checkout", "sales", "digital", target_csat="85.0", target_ces="6.0"),
            _tp("retail-store-visit", "Store visit", "sales", "physical", target_csat="88.0", target_nps=40),
        ],
    },
    {
        "name": "Delivery",
        "customer_goal": "Know when the parcel arrives.",
        "actions": "Follows SMS updates.",
        "thoughts": "“Will someone be home?”",
        "emotion_score": 0,
        "emotion_label": "Waiting",
        "pain_points": "Vague delivery windows.",
        "opportunities": "One-hour windows with live tracking.",
        "touchpoints": [
            _tp("retail-delivery-sms", "Delivery SMS updates", "logistics", "digital", target_csat="80.0"),
        ],
    },
    {
        "name": "Advocacy",
        "customer_goal": "Share the experience and help others decide.",
        "actions": "Writes a review in the community forum.",
        "thoughts": "“Others should know about this.”",
        "emotion_score": 2,
        "emotion_label": "Delighted",
        "pain_points": "Review requests come too early.",
        "opportunities": "Ask for a review a week after delivery.",
        "touchpoints": [
            _tp("retail-review-forum", "Product review in the forum", "marketing", "digital", target_nps=50),
        ],
    },
]

SUPPORT_STAGES = [
    {
        "name": "Problem",
        "customer_goal": "Understand what is wrong with the device.",
        "actions": "Device reports an error; reads the help centre.",
        "thoughts": "“Not again. Can I fix it myself?”",
        "emotion_score": -1,
        "emotion_label": "Annoyed",
        "pain_points": "Error codes nobody explains.",
        "opportunities": "Link device errors straight to the right article.",
        "touchpoints": [
            _tp("support-device-diagnostics", "Device diagnostics report", "product", "digital"),
            _tp("support-help-center", "Help centre article", "support", "digital", target_ces="5.5"),
        ],
    },
    {
        "name": "Contact",
        "customer_goal": "Reach someone who can help, fast.",
        "actions": "Starts a chat, calls, or emails support.",
        "thoughts": "“Please don't make me repeat everything.”",
        "emotion_score": -2,
        "emotion_label": "Frustrated",
        "pain_points": "Queues; repeating the story across channels.",
        "opportunities": "Agents see the device report and the history.",
        "touchpoints": [
            _tp(
                "support-chat",
                "Live chat",
                "support",
                "human",
                target_csat="85.0",
                target_ces="5.5",
                target_ttr_hours="4.0",
            ),
            _tp("support-phone", "Phone support", "support", "human", target_csat="80.0", target_ttr_hours="8.0"),
            _tp("support-email", "Email support", "support", "human", target_csat="78.0", target_ttr_hours="24.0"),
        ],
    },
    {
        "name": "Resolution",
        "customer_goal": "Get the problem solved for good.",
        "actions": "Follows the agent's steps; receives the resolution email.",
        "thoughts": "“Finally — will it stay fixed?”",
        "emotion_score": 1,
        "emotion_label": "Relieved",
        "pain_points": "Cases closed before the fix is confirmed.",
        "opportunities": "Confirm the fix with a short survey.",
        "touchpoints": [
            _tp(
                "support-resolution-email", "Resolution email", "support", "digital", target_csat="85.0", target_nps=30
            ),
        ],
    },
    {
        "name": "Advocacy",
        "customer_goal": "Help others with the same problem.",
        "actions": "Posts the solution in the community forum.",
        "thoughts": "“Glad I could help someone.”",
        "emotion_score": 1,
        "emotion_label": "Proud",
        "pain_points": "Good answers get buried.",
        "opportunities": "Feature expert answers in the help centre.",
        "touchpoints": [
            _tp("support-community-forum", "Community forum", "support", "digital", target_nps=40),
        ],
    },
]


def load_demo(*, seed: int = 42, scale: int = 1, stdout=None) -> None:
    """Create the demo personas and publish the two demo maps; skips what exists."""
    if JourneyMap.objects.filter(name__in=[RETAIL_MAP, SUPPORT_MAP]).exists():
        if stdout:
            stdout.write("  journeys: demo maps already there, skipped")
        return
    with transaction.atomic():
        personas = {}
        for data in PERSONAS:
            personas[data["name"]], _ = Persona.objects.get_or_create(name=data["name"], defaults=data)
        for name, persona, description, stages in (
            (RETAIL_MAP, "Value-seeking Vera", "From a social ad to a review: buying for the family.", RETAIL_STAGES),
            (
                SUPPORT_MAP,
                "Tech-savvy Theo",
                "A connected device fails and the customer gets it fixed.",
                SUPPORT_STAGES,
            ),
        ):
            journey_map = journey_map_create(
                name=name,
                description=description,
                persona=personas[persona],
                stages=[{**s, "touchpoints": [dict(t) for t in s["touchpoints"]]} for s in stages],
            )
            journey_map_publish(journey_map=journey_map)
    if stdout:
        stdout.write(f"  journeys: {len(PERSONAS)} personas, 2 published maps, {len(DEMO_TOUCHPOINT_KEYS)} touchpoints")
