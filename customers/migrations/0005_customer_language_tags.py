"""Customer languages are supported codes only: the languages stored as given (an import kept "pt-BR",
"es_MX", "en-US") become their best supported match (the rule of cxcrm.choices.language_best_match,
frozen here), and a language with no match becomes English, the field's default."""

import re

from django.db import migrations

import customers.models

SUPPORTED = ("en", "pt-br", "es", "pl", "el")
OF_BASE = {"en": "en", "pt": "pt-br", "es": "es", "pl": "pl", "el": "el"}
TAG = re.compile(r"^[a-z]{2,8}(-[a-z0-9]{1,8})*$")


def best_match(tag: str) -> str:
    tag = (tag or "").strip().replace("_", "-").lower()
    if not TAG.match(tag):
        return "en"
    subtags = tag.split("-")
    for end in range(len(subtags), 0, -1):
        if "-".join(subtags[:end]) in SUPPORTED:
            return "-".join(subtags[:end])
    return OF_BASE.get(subtags[0], "en")


def normalise_languages(apps, schema_editor):
    Customer = apps.get_model("customers", "Customer")
    stored = Customer.objects.exclude(language__in=SUPPORTED).values_list("language", flat=True).distinct()
    for language in list(stored):
        Customer.objects.filter(language=language).update(language=best_match(language))


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0004_customer_time_zone_and_country_rules"),
    ]

    operations = [
        migrations.RunPython(normalise_languages, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="customer",
            name="language",
            field=customers.models.LanguageField(
                choices=[
                    ("en", "English"),
                    ("pt-br", "Português (Brasil)"),
                    ("es", "Español"),
                    ("pl", "Polski"),
                    ("el", "Ελληνικά"),
                ],
                default="en",
                max_length=8,
            ),
        ),
    ]
