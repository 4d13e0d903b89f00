"""No customer's first or last contact is in the future: contact dates set from interactions dated ahead of
the clock (the demo moved such interactions into the past but kept their dates on 19 of its customers) are
recomputed from the interactions as stored up to now."""

from django.db import migrations
from django.db.models import Max, Min, Q
from django.utils import timezone


def contact_dates_up_to_now(apps, schema_editor):
    Customer = apps.get_model("customers", "Customer")
    Interaction = apps.get_model("customers", "Interaction")
    now = timezone.now()
    ahead = Customer.objects.filter(Q(last_contact_at__gt=now) | Q(first_contact_at__gt=now))
    for customer in ahead.only("pk", "first_contact_at", "last_contact_at").iterator(500):
        past = Interaction.objects.filter(customer_id=customer.pk, occurred_at__lte=now).aggregate(
            first=Min("occurred_at"), last=Max("occurred_at")
        )
        Customer.objects.filter(pk=customer.pk).update(first_contact_at=past["first"], last_contact_at=past["last"])


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0007_customer_search_name"),
    ]

    operations = [
        migrations.RunPython(contact_dates_up_to_now, migrations.RunPython.noop),
    ]
