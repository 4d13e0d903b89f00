import factory
from django.utils import timezone

from customers.choices import IdentityKind
from customers.tests.factories import CustomerFactory, IdentityFactory
from feedback import models
from feedback.choices import DeliveryChannel, InvitationStatus, QuestionType, SurveyKind, TriggerEvent


class SurveyFactory(factory.django.DjangoModelFactory):
    """A CSAT survey by email with its primary score question and an English text."""

    class Meta:
        model = models.Survey
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Survey {n}")
    kind = SurveyKind.CSAT
    delivery_channel = DeliveryChannel.EMAIL
    expiry_days = 14

    @factory.post_generation
    def with_content(self, create, extracted, **kwargs):
        if not create or extracted is False:
            return
        models.SurveyText.objects.create(survey=self, language="en", title=f"{self.name} feedback", intro="")
        if self.kind != SurveyKind.CUSTOM:
            SurveyQuestionFactory(survey=self, is_primary=True, position=1)


class SurveyQuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.SurveyQuestion

    survey = factory.SubFactory(SurveyFactory, with_content=False)
    position = factory.Sequence(lambda n: n + 1)
    type = QuestionType.SCORE
    text = "How satisfied were you with our help?"
    translations = factory.LazyFunction(
        lambda: {
            "pt-br": "Quão satisfeito você ficou com o nosso atendimento?",
            "es": "¿Qué tan satisfecho quedó con nuestra ayuda?",
            "pl": "Jak bardzo jesteś zadowolony z naszej pomocy?",
            "el": "Πόσο ικανοποιημένοι μείνατε από τη βοήθειά μας;",
        }
    )


class SurveyRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.SurveyRule

    survey = factory.SubFactory(SurveyFactory)
    name = factory.Sequence(lambda n: f"Rule {n}")
    event = TriggerEvent.INTERACTION
    delay_minutes = 0
    sample_percent = 100


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Invitation

    survey = factory.SubFactory(SurveyFactory)
    customer = factory.SubFactory(CustomerFactory)
    source_key = factory.Sequence(lambda n: f"manual:test-{n}")
    channel = factory.LazyAttribute(lambda o: o.survey.delivery_channel)
    status = InvitationStatus.SCHEDULED
    scheduled_for = factory.LazyFunction(lambda: timezone.now() - timezone.timedelta(minutes=1))
    expires_at = factory.LazyAttribute(lambda o: o.scheduled_for + timezone.timedelta(days=14))


def customer_with_email(**kwargs):
    customer = CustomerFactory(**kwargs)
    IdentityFactory(customer=customer, kind=IdentityKind.EMAIL, value=f"c{customer.pk}@example.com")
    return customer


def customer_with_phone(**kwargs):
    customer = CustomerFactory(**kwargs)
    IdentityFactory(customer=customer, kind=IdentityKind.PHONE, value=f"+5511900000{customer.pk:03d}")
    return customer


class ResponseFactory(factory.django.DjangoModelFactory):
    """A submitted CSAT response to its own (responded) invitation."""

    class Meta:
        model = models.Response

    invitation = factory.SubFactory(
        InvitationFactory, status=InvitationStatus.RESPONDED, responded_at=factory.LazyFunction(timezone.now)
    )
    survey = factory.SelfAttribute("invitation.survey")
    kind = factory.SelfAttribute("survey.kind")
    customer = factory.SelfAttribute("invitation.customer")
    score = 4
    language = "en"
    submitted_at = factory.LazyFunction(timezone.now)
