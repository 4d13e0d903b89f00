"""get_<field>_display() of our models: the label in the reader's language, read from a per-language table."""

import pytest
from django.apps import apps
from django.utils import translation

from customers.models import Interaction
from cxcrm.models import ChoiceLabelsModel

pytestmark = pytest.mark.django_db

APPS = ["cxcrm", "journeys", "customers", "feedback", "alerts", "webhooks"]


@pytest.mark.parametrize(
    ("language", "chat", "store"),
    [("en", "Chat", "Store visit"), ("pt-br", "Chat", "Visita à loja"), ("pl", "Czat", "Wizyta w sklepie")],
)
def test_the_channel_label_follows_the_active_language_each_time(language, chat, store):
    interaction = Interaction(channel="chat")
    with translation.override("es"):
        assert interaction.get_channel_display() == "Chat"  # a table of another language is not reused
    with translation.override(language):
        assert interaction.get_channel_display() == chat
        interaction.channel = "store"
        assert interaction.get_channel_display() == store


def test_a_stored_value_that_is_not_a_choice_is_shown_as_stored():
    assert Interaction(channel="carrier-pigeon").get_channel_display() == "carrier-pigeon"
    assert Interaction(channel=None).get_channel_display() is None


def test_every_model_with_a_choice_field_reads_labels_from_the_table():
    plain = [
        model.__name__
        for label in APPS
        for model in apps.get_app_config(label).get_models()
        if any(field.choices for field in model._meta.concrete_fields) and not issubclass(model, ChoiceLabelsModel)
    ]
    assert plain == []
