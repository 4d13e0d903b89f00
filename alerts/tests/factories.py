import factory

from alerts.choices import Condition
from alerts.models import AlertRule


class AlertRuleFactory(factory.django.DjangoModelFactory):
    """An enabled detractor rule telling the customer's owner in-app."""

    class Meta:
        model = AlertRule
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Rule {n}")
    condition = Condition.DETRACTOR
    notify_owner = True
    in_app = True

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            self.roles.set(extracted)

    @factory.post_generation
    def users(self, create, extracted, **kwargs):
        if create and extracted:
            self.users.set(extracted)
