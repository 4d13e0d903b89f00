import factory
from django.utils import timezone

from customers import models
from customers.choices import CaseStatus, Direction, IdentityKind, InteractionType
from cxcrm.choices import Channel


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Customer

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    language = "en"
    timezone = "UTC"


class IdentityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Identity

    customer = factory.SubFactory(CustomerFactory)
    kind = IdentityKind.EMAIL
    network = ""
    value = factory.Sequence(lambda n: f"person{n}@example.com")
    raw_value = factory.LazyAttribute(lambda o: o.value)


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Case

    customer = factory.SubFactory(CustomerFactory)
    subject = factory.Sequence(lambda n: f"Problem {n}")
    topic = "billing"
    origin = Channel.EMAIL
    status = CaseStatus.OPEN
    opened_at = factory.LazyFunction(timezone.now)


class InteractionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Interaction

    customer = factory.SubFactory(CustomerFactory)
    channel = Channel.EMAIL
    direction = Direction.INBOUND
    type = InteractionType.MESSAGE
    occurred_at = factory.LazyFunction(timezone.now)
    summary = factory.Sequence(lambda n: f"Interaction {n}")


class NoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Note

    customer = factory.SubFactory(CustomerFactory)
    body = "Called back, all good."
