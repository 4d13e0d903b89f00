"""Demo data of the feedback app: three surveys and a year of invitations and responses as history.

`load_demo(seed=, scale=, stdout=)` (listed in settings.DEMO_LOADERS after the customers demo)
creates, once (skipped when any response exists):

- an NPS relationship survey after purchases, a CSAT survey after support cases are resolved and a
  CES survey after chats, each with texts and questions in every language and its rules;
- for the customers demo's last twelve months of purchases, resolved cases and chats: invitations
  decided as the rules would (sampling, the fatigue rule, opt-outs, missing contacts), sent,
  opened, expired or answered, with backdated stamps and no email;
- responses whose rates and scores differ by touchpoint and channel (support by phone is clearly
  worse, chat and the store better; things improve a little over the year), comments in the
  customer's language with sentiment, and the answers on the customers' timelines;
- for detractors, follow-up cases: closed with a note within days, a few recent ones open.

Everything is bulk-inserted; the same seed gives the same data (relative to the current hour).
"""

import math
import random
from datetime import datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from customers.choices import CaseOrigin, CasePriority, CaseStatus, Direction, IdentityKind, InteractionType
from customers.models import Case, Customer, Identity, Interaction
from customers.services import sla_due_times
from cxcrm.choices import Channel
from journeys.models import Touchpoint

from . import sentiment
from .choices import DeliveryChannel, InvitationStatus, SuppressionReason, SurveyKind
from .models import FeedbackSettings, Invitation, Response, Survey, SurveyRule
from .scales import SCALES, is_detractor
from .services import source_key_for, survey_create
from .services.responses import followup_case_texts

SOURCE = "survey"
BATCH = 2000

# --------------------------------------------------------------------------- the surveys

LANG = ("pt-br", "es", "pl", "el")

SURVEYS = [
    {
        "fields": {
            "name": "Relationship NPS",
            "kind": SurveyKind.NPS,
            "delivery_channel": DeliveryChannel.EMAIL,
            "expiry_days": 14,
            "reminder_after_days": 4,
        },
        "question": (
            "How likely are you to recommend us to a friend or colleague?",
            (
                "Qual a probabilidade de você nos recomendar a um amigo ou colega?",
                "¿Qué probabilidad hay de que nos recomiende a un amigo o colega?",
                "Jak bardzo prawdopodobne jest, że polecisz nas znajomemu lub współpracownikowi?",
                "Πόσο πιθανό είναι να μας συστήσετε σε έναν φίλο ή συνάδελφο;",
            ),
        ),
        "texts": {
            "en": ("Would you recommend us?", "Thank you for shopping with us. One question, one minute.", ""),
            "pt-br": (
                "Você nos recomendaria?",
                "Obrigado por comprar conosco. Uma pergunta, um minuto.",
                "Sua opinião nos ajuda a melhorar.",
            ),
            "es": (
                "¿Nos recomendaría?",
                "Gracias por comprar con nosotros. Una pregunta, un minuto.",
                "Su opinión nos ayuda a mejorar.",
            ),
            "pl": (
                "Czy polecił(a)byś nas?",
                "Dziękujemy za zakupy. Jedno pytanie, jedna minuta.",
                "Twoja opinia pomaga nam się poprawiać.",
            ),
            "el": (
                "Θα μας προτείνατε;",
                "Σας ευχαριστούμε για την αγορά σας. Μία ερώτηση, ένα λεπτό.",
                "Η γνώμη σας μας βοηθά να βελτιωθούμε.",
            ),
        },
        "rules": [
            {
                "name": "After a purchase",
                "interaction_type": InteractionType.PURCHASE,
                "delay_minutes": 24 * 60,
                "sample_percent": 50,
                "quiet_start": time(21),
                "quiet_end": time(8),
            }
        ],
    },
    {
        "fields": {
            "name": "Support CSAT",
            "kind": SurveyKind.CSAT,
            "delivery_channel": DeliveryChannel.EMAIL,
            "expiry_days": 7,
            "reminder_after_days": 2,
        },
        "question": (
            "How satisfied were you with how we handled your request?",
            (
                "Quão satisfeito você ficou com a forma como tratamos sua solicitação?",
                "¿Qué tan satisfecho quedó con la gestión de su solicitud?",
                "Jak bardzo jesteś zadowolony z obsługi Twojego zgłoszenia?",
                "Πόσο ικανοποιημένοι μείνατε από τον χειρισμό του αιτήματός σας;",
            ),
        ),
        "texts": {
            "en": ("How did we do?", "Your request was resolved. Tell us how it went.", ""),
            "pt-br": ("Como nos saímos?", "Sua solicitação foi resolvida. Conte-nos como foi.", ""),
            "es": ("¿Cómo lo hicimos?", "Su solicitud se ha resuelto. Cuéntenos qué tal fue.", ""),
            "pl": ("Jak nam poszło?", "Twoje zgłoszenie zostało rozwiązane. Powiedz nam, jak było.", ""),
            "el": ("Πώς τα πήγαμε;", "Το αίτημά σας επιλύθηκε. Πείτε μας πώς πήγε.", ""),
        },
        "rules": [{"name": "Case resolved", "event": "case_resolved", "delay_minutes": 60, "sample_percent": 100}],
    },
    {
        "fields": {
            "name": "Chat effort (CES)",
            "kind": SurveyKind.CES,
            "delivery_channel": DeliveryChannel.EMAIL,
            "expiry_days": 5,
        },
        "question": (
            "The company made it easy for me to handle my issue.",
            (
                "A empresa facilitou a resolução do meu problema.",
                "La empresa me facilitó resolver mi problema.",
                "Firma ułatwiła mi załatwienie mojej sprawy.",
                "Η εταιρεία μού διευκόλυνε την επίλυση του ζητήματός μου.",
            ),
        ),
        "texts": {
            "en": ("Was it easy?", "You chatted with us today. How easy was it?", ""),
            "pt-br": ("Foi fácil?", "Você conversou conosco hoje. Foi fácil?", ""),
            "es": ("¿Fue fácil?", "Hoy habló con nosotros por chat. ¿Fue fácil?", ""),
            "pl": ("Czy było łatwo?", "Rozmawiałeś z nami dziś na czacie. Czy było łatwo?", ""),
            "el": ("Ήταν εύκολο;", "Μιλήσατε μαζί μας σήμερα στο chat. Ήταν εύκολο;", ""),
        },
        "rules": [
            {
                "name": "After a chat",
                "channel": Channel.CHAT,
                "interaction_type": InteractionType.MESSAGE,
                "delay_minutes": 30,
                "sample_percent": 60,
            }
        ],
    },
]

# How each touchpoint (else channel) tends to be rated: shifts the score distribution.
QUALITY = {
    "support-phone": -2.5,
    "retail-delivery-sms": -0.8,
    "support-email": -0.3,
    "retail-checkout-web": 0.0,
    "support-help-center": 0.1,
    "retail-app-browse": 0.2,
    "support-chat": 0.5,
    "retail-store-visit": 0.7,
}
CHANNEL_QUALITY = {Channel.PHONE: -1.2, Channel.SOCIAL: -0.4, Channel.CHAT: 0.4, Channel.STORE: 0.6}
# Share of sent invitations answered, by kind; phone customers answer less.
RESPONSE_RATE = {SurveyKind.NPS: 0.28, SurveyKind.CSAT: 0.45, SurveyKind.CES: 0.33}
# Base weights of each score on the kind's scale (low to high).
BASE_WEIGHTS = {
    SurveyKind.NPS: [2, 1, 2, 2, 3, 5, 7, 12, 18, 22, 26],
    SurveyKind.CSAT: [6, 8, 14, 34, 38],
    SurveyKind.CES: [3, 4, 6, 10, 20, 30, 27],
}

COMMENTS = {
    "en": {
        "negative": [
            "I waited on hold for forty minutes and nobody could help. Terrible.",
            "The delivery was late and the driver was rude. Very disappointed.",
            "I had to explain my problem three times. Frustrating and slow.",
            "Nobody called me back as promised. Awful service.",
            "The product broke after a week and the refund is still missing.",
        ],
        "neutral": [
            "It was fine, nothing special.",
            "The answer came the next day.",
            "Okay, but the website could be clearer.",
            "Average experience overall.",
        ],
        "positive": [
            "Great service, the agent was friendly and very helpful!",
            "Fast delivery and excellent quality, thank you!",
            "Easy to order and the staff in the store were wonderful.",
            "Problem solved in minutes. Love it!",
        ],
    },
    "pt-br": {
        "negative": [
            "Fiquei quarenta minutos esperando na linha. Péssimo.",
            "A entrega atrasou e ninguém me avisou.",
            "Tive que explicar o problema três vezes.",
        ],
        "neutral": ["Foi razoável.", "Nada de especial."],
        "positive": ["Atendimento excelente, muito obrigado!", "Entrega rápida e produto ótimo."],
    },
    "es": {
        "negative": [
            "Esperé cuarenta minutos al teléfono. Fatal.",
            "El pedido llegó tarde y nadie me avisó.",
            "Nadie me devolvió la llamada.",
        ],
        "neutral": ["Correcto, sin más.", "Normal."],
        "positive": ["¡Atención excelente, muchas gracias!", "Entrega rápida y buena calidad."],
    },
    "pl": {
        "negative": ["Czekałem na linii czterdzieści minut.", "Dostawa się spóźniła i nikt mnie nie uprzedził."],
        "neutral": ["W porządku.", "Nic szczególnego."],
        "positive": ["Świetna obsługa, dziękuję!", "Szybka dostawa i dobra jakość."],
    },
    "el": {
        "negative": ["Περίμενα σαράντα λεπτά στο τηλέφωνο.", "Η παράδοση άργησε και κανείς δεν με ενημέρωσε."],
        "neutral": ["Εντάξει.", "Τίποτα το ιδιαίτερο."],
        "positive": ["Εξαιρετική εξυπηρέτηση, ευχαριστώ!", "Γρήγορη παράδοση και καλή ποιότητα."],
    },
}
RESOLUTION_NOTES = [
    "Called the customer, apologised and refunded the delivery fee.",
    "Spoke with the customer; the agent involved got coaching. Customer accepted a voucher.",
    "Customer did not answer twice; sent an apology email with a direct number.",
    "Replaced the product and arranged a priority delivery.",
    "Explained the policy; customer satisfied with the callback.",
]


# --------------------------------------------------------------------------- helpers


def _surveys_create() -> dict[str, Survey]:
    surveys = {}
    for spec in SURVEYS:
        survey = Survey.objects.filter(name=spec["fields"]["name"]).first()
        if survey is None:
            english, translated = spec["question"]
            survey = survey_create(
                fields=spec["fields"],
                questions=[
                    {
                        "type": "score",
                        "is_primary": True,
                        "text": english,
                        "translations": dict(zip(LANG, translated, strict=True)),
                    }
                ],
                texts=[
                    {"language": lang, "title": title, "intro": intro, "thank_you": thanks}
                    for lang, (title, intro, thanks) in spec["texts"].items()
                ],
            )
            for rule in spec["rules"]:
                SurveyRule.objects.create(survey=survey, **rule)
        surveys[survey.kind] = survey
    return surveys


def _score(rng: random.Random, kind: str, quality: float) -> int:
    low, high = SCALES[kind].low, SCALES[kind].high
    weights = BASE_WEIGHTS[kind]
    span = high - low
    shifted = [w * math.exp(quality * 2.2 * ((i / span) - 0.5)) for i, w in enumerate(weights)]
    return low + rng.choices(range(len(weights)), weights=shifted)[0]


def _mood(kind: str, score: int) -> str:
    if is_detractor(kind, score):
        return "negative"
    return "positive" if SCALES[kind].is_top_box(score) else "neutral"


class _Builder:
    def __init__(self, *, seed: int, surveys: dict[str, Survey]):
        self.rng = random.Random(seed + 7)
        self.now = timezone.now().replace(minute=0, second=0, microsecond=0)
        self.start = self.now - timedelta(days=365)
        self.surveys = surveys
        self.primary = {kind: s.questions.get(is_primary=True).pk for kind, s in surveys.items()}
        self.rules = {kind: s.rules.first() for kind, s in surveys.items()}
        self.sentiments: dict[tuple[str, str], sentiment.SentimentResult] = {}

    # -------------------------------------------------------------- events the rules would have matched

    def events(self) -> list[dict]:
        events = []
        interactions = Interaction.objects.filter(
            occurred_at__gte=self.start, occurred_at__lt=self.now - timedelta(hours=1), live=False
        ).exclude(type=InteractionType.SURVEY_RESPONSE)
        fields = ("pk", "customer_id", "channel", "touchpoint_id", "touchpoint_key", "agent_id", "case_id")
        for row in interactions.filter(type=InteractionType.PURCHASE).values(*fields, "occurred_at"):
            events.append({"kind": SurveyKind.NPS, "at": row["occurred_at"], "interaction": row})
        chats = interactions.filter(
            channel=Channel.CHAT, type=InteractionType.MESSAGE, direction=Direction.INBOUND
        ).values(*fields, "occurred_at")
        for row in chats:
            events.append({"kind": SurveyKind.CES, "at": row["occurred_at"], "interaction": row})
        cases = list(
            Case.objects.filter(resolved_at__gte=self.start, resolved_at__lt=self.now - timedelta(hours=1))
            .exclude(origin=CaseOrigin.SURVEY)
            .values("pk", "customer_id", "origin", "assignee_id", "resolved_at")
        )
        tagged = {}  # as the service decides: the first inbound tagged interaction, else the first tagged
        for row in (
            Interaction.objects.filter(case_id__in=[c["pk"] for c in cases])
            .exclude(touchpoint_key="")
            .order_by("-occurred_at", "-pk")
            .values("case_id", "touchpoint_id", "touchpoint_key", "direction")
        ):
            known = tagged.get(row["case_id"])
            if known is None or row["direction"] == Direction.INBOUND or known["direction"] != Direction.INBOUND:
                tagged[row["case_id"]] = row
        for case in cases:
            events.append(
                {"kind": SurveyKind.CSAT, "at": case["resolved_at"], "case": case, "tag": tagged.get(case["pk"])}
            )
        events.sort(key=lambda e: (e["at"], e["kind"]))
        return events

    # -------------------------------------------------------------- building rows

    def context(self, event: dict) -> dict:
        if "interaction" in event:
            row = event["interaction"]
            return {
                "interaction_id": row["pk"],
                "case_id": row["case_id"],
                "channel": row["channel"],
                "touchpoint_id": row["touchpoint_id"],
                "touchpoint_key": row["touchpoint_key"],
                "agent_id": row["agent_id"],
            }
        case, tag = event["case"], event.get("tag") or {}
        return {
            "interaction_id": None,
            "case_id": case["pk"],
            "channel": case["origin"] if case["origin"] in Channel.values else "",
            "touchpoint_id": tag.get("touchpoint_id"),
            "touchpoint_key": tag.get("touchpoint_key", ""),
            "agent_id": case["assignee_id"],
        }

    def comment(self, language: str, mood: str, touchpoint_key: str) -> str:
        pool = COMMENTS.get(language, COMMENTS["en"])[mood]
        if mood == "negative" and touchpoint_key == "support-phone":
            pool = pool[:1] + pool  # on hold: the phone's own complaint, more often
        return self.rng.choice(pool)

    def mood_of(self, text: str, language: str) -> sentiment.SentimentResult:
        key = (text, language)
        if key not in self.sentiments:
            self.sentiments[key] = sentiment.analyse(text, language)
        return self.sentiments[key]

    def build(self) -> dict:
        rng = self.rng
        customers = {
            c["pk"]: c
            for c in Customer.objects.filter(merged_into__isnull=True).values(
                "pk", "language", "persona_id", "owner_id", "survey_opt_out"
            )
        }
        emails = dict(
            Identity.objects.filter(kind=IdentityKind.EMAIL)
            .order_by("customer_id", "-created_at")
            .values_list("customer_id", "value")
        )
        stages = {
            tp: (journey_map, stage, name)
            for tp, journey_map, stage, name in Touchpoint.objects.values_list(
                "pk", "journey_map_id", "stage_id", "stage__name"
            )
        }
        last_invited: dict[int, datetime] = {}
        invitations, plans = [], []
        for event in self.events():
            kind = event["kind"]
            survey, rule = self.surveys[kind], self.rules[kind]
            context = self.context(event)
            customer_id = (event.get("interaction") or event.get("case"))["customer_id"]
            customer = customers.get(customer_id)
            if customer is None:
                continue
            send_at = event["at"] + timedelta(minutes=rule.delay_minutes)
            if send_at >= self.now:
                continue
            source_key = source_key_for(interaction_id=context["interaction_id"], case_id=context["case_id"])
            reason = ""
            if customer["survey_opt_out"]:
                reason = SuppressionReason.OPT_OUT
            elif customer_id not in emails:
                reason = SuppressionReason.NO_CONTACT
            elif rng.random() * 100 >= rule.sample_percent:
                reason = SuppressionReason.SAMPLED_OUT
            elif customer_id in last_invited and send_at - last_invited[customer_id] < timedelta(days=30):
                reason = SuppressionReason.FATIGUE
            invitation = Invitation(
                survey=survey,
                customer_id=customer_id,
                rule=rule,
                interaction_id=context["interaction_id"],
                case_id=context["case_id"],
                source_key=source_key,
                channel=survey.delivery_channel,
                scheduled_for=send_at,
                expires_at=send_at + timedelta(days=survey.expiry_days),
                language=customer["language"],
            )
            if reason:
                invitation.status, invitation.suppression_reason, invitation.suppressed_at = (
                    InvitationStatus.SUPPRESSED,
                    reason,
                    event["at"],
                )
                invitation.language = ""
                invitations.append(invitation)
                continue
            last_invited[customer_id] = send_at
            invitation.recipient = emails[customer_id]
            invitation.attempts = 1
            invitation.sending_at = invitation.sent_at = send_at
            quality = QUALITY.get(context["touchpoint_key"], CHANNEL_QUALITY.get(context["channel"], 0.0))
            quality += 0.5 * ((send_at - self.start) / (self.now - self.start)) - 0.25  # a better year's end
            rate = RESPONSE_RATE[kind] * (0.7 if context["channel"] == Channel.PHONE else 1.0)
            answered_at = send_at + timedelta(minutes=int(rng.expovariate(1 / 600)) + 3)
            if rng.random() < rate and answered_at < self.now and answered_at < invitation.expires_at:
                invitation.status = InvitationStatus.RESPONDED
                invitation.opened_at = answered_at - timedelta(minutes=rng.randint(1, 4))
                invitation.responded_at = answered_at
                plans.append((invitation, customer, context, quality))
            elif invitation.expires_at <= self.now:
                invitation.status = InvitationStatus.EXPIRED
                invitation.expired_at = invitation.expires_at
                if rng.random() < 0.3:
                    invitation.opened_at = send_at + timedelta(hours=rng.randint(1, 48))
            else:
                opened = rng.random() < 0.3
                invitation.status = InvitationStatus.OPENED if opened else InvitationStatus.SENT
                invitation.opened_at = min(send_at + timedelta(hours=2), self.now) if opened else None
            if (
                invitation.reminder_sent_at is None
                and survey.reminder_after_days
                and invitation.status
                in (
                    InvitationStatus.EXPIRED,
                    InvitationStatus.OPENED,
                    InvitationStatus.SENT,
                )
            ):
                reminder = send_at + timedelta(days=survey.reminder_after_days)
                invitation.reminder_sent_at = reminder if reminder < self.now else None
            invitations.append(invitation)
        Invitation.objects.bulk_create(invitations, batch_size=BATCH)
        responses = self.responses(plans, stages)
        followups = self.followups(responses, customers)
        timeline = self.timeline(responses)
        return {
            "invitations": len(invitations),
            "sent": sum(1 for i in invitations if i.status != InvitationStatus.SUPPRESSED),
            "responses": len(responses),
            "followups": followups,
            "timeline": timeline,
        }

    def responses(self, plans, stages) -> list[Response]:
        rng = self.rng
        rows = []
        for invitation, customer, context, quality in plans:
            kind = invitation.survey.kind
            score = _score(rng, kind, quality)
            mood = _mood(kind, score)
            comment = ""
            if rng.random() < (0.7 if mood == "negative" else 0.35):
                comment = self.comment(customer["language"], mood, context["touchpoint_key"])
            analysed = self.mood_of(comment, customer["language"])
            journey_map_id, stage_id, stage_name = stages.get(context["touchpoint_id"], (None, None, ""))
            rows.append(
                Response(
                    invitation=invitation,
                    survey=invitation.survey,
                    kind=kind,
                    customer_id=invitation.customer_id,
                    persona_id=customer["persona_id"],
                    journey_map_id=journey_map_id,
                    stage_id=stage_id,
                    stage_name=stage_name,
                    score=score,
                    comment=comment,
                    answers={str(self.primary[kind]): score},
                    language=customer["language"],
                    sentiment=analysed.label,
                    sentiment_score=analysed.score,
                    submitted_at=invitation.responded_at,
                    **context,
                )
            )
        return Response.objects.bulk_create(rows, batch_size=BATCH)

    def followups(self, responses: list[Response], customers: dict) -> int:
        rng = self.rng
        default = get_user_model().objects.filter(username="rep").first()
        config = FeedbackSettings.load()
        if config.default_followup_assignee_id is None and default is not None:
            config.default_followup_assignee = default
            config.save()
        assignee_default = config.default_followup_assignee_id
        priority = config.followup_priority or CasePriority.HIGH
        detractors = [r for r in responses if is_detractor(r.kind, r.score)]
        # The cases name the touchpoint an answer was about: the touchpoints read in one query.
        touchpoints = Touchpoint.objects.in_bulk({r.touchpoint_id for r in detractors if r.touchpoint_id})
        for response in detractors:
            if response.touchpoint_id in touchpoints:
                response.touchpoint = touchpoints[response.touchpoint_id]
        # The SLA targets as offsets from opening (one policy lookup for all cases).
        targets = [due - self.now if due else None for due in sla_due_times(priority=priority, opened_at=self.now)]
        cases = []
        newest = max((r.submitted_at for r in detractors), default=None)
        for response in detractors:
            opened = response.submitted_at
            first_due, resolution_due = (opened + t if t is not None else None for t in targets)
            age = self.now - opened
            subject, description = followup_case_texts(response, language=settings.LANGUAGE_CODE)
            case = Case(
                customer_id=response.customer_id,
                subject=subject,
                description=description,
                topic="detractor follow-up",
                origin=CaseOrigin.SURVEY,
                priority=priority,
                status=CaseStatus.NEW,
                assignee_id=customers[response.customer_id]["owner_id"] or assignee_default,
                opened_at=opened,
                first_response_due_at=first_due,
                resolution_due_at=resolution_due,
                source=SOURCE,
                external_id=f"response:{response.pk}",
            )
            case.assigned_at = opened if case.assignee_id else None
            # Followed up within days; a few of the last weeks were let slip, none from months ago. The newest
            # detractor's follow-up is always still open.
            closed = age > timedelta(days=30) or (age > timedelta(days=10) and rng.random() < 0.9)
            if closed and response.submitted_at != newest:
                hours = rng.lognormvariate(2.6, 0.9)  # median ≈ 13 h
                case.first_response_at = opened + timedelta(hours=min(hours / 3, 6))
                case.resolved_at = case.closed_at = opened + timedelta(hours=hours)
                case.status = CaseStatus.CLOSED
                case.resolution_note = rng.choice(RESOLUTION_NOTES)
            elif age > timedelta(hours=6) and rng.random() < 0.5:
                case.status = CaseStatus.OPEN
                case.first_response_at = opened + timedelta(hours=rng.uniform(0.5, 5))
            cases.append(case)
        Case.objects.bulk_create(cases, batch_size=BATCH)
        for response, case in zip(detractors, cases, strict=True):
            response.followup_case = case
            response.followup_notified_at = response.submitted_at
        Response.objects.bulk_update(detractors, ["followup_case", "followup_notified_at"], batch_size=BATCH)
        return len(cases)

    def timeline(self, responses: list[Response]) -> int:
        rows = [
            Interaction(
                customer_id=r.customer_id,
                channel=Channel.WEB,
                direction=Direction.INBOUND,
                type=InteractionType.SURVEY_RESPONSE,
                occurred_at=r.submitted_at,
                summary=f"{r.kind.upper()} {r.score} · {r.survey.name}",
                body=r.comment,
                source=SOURCE,
                external_id=f"response:{r.pk}",
                metadata={"response_id": r.pk, "survey_id": r.survey_id, "kind": r.kind, "score": r.score},
                live=False,
            )
            for r in responses
        ]
        Interaction.objects.bulk_create(rows, batch_size=BATCH)
        return len(rows)


def load_demo(*, seed: int = 42, scale: int = 1, stdout=None) -> dict | None:
    """Create the feedback demo once (skipped when responses exist, or without customers). Returns the counts."""
    if Response.objects.exists():
        if stdout:
            stdout.write("  feedback: responses already there, skipped")
        return None
    if not Customer.objects.exists():
        if stdout:
            stdout.write("  feedback: no customers to survey, skipped")
        return None
    with transaction.atomic():
        surveys = _surveys_create()
        counts = _Builder(seed=seed, surveys=surveys).build()
    if stdout:
        stdout.write(
            "  feedback: {n} surveys, {invitations} invitations ({sent} sent), {responses} responses, "
            "{followups} detractor follow-ups".format(n=len(surveys), **counts)
        )
    return counts
