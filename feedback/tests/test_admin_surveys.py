"""Survey admin: the same question rules and lock as the API (Survey.questions_check / questions_lock_check)."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.urls import reverse

from feedback.admin import TRANSLATED, translation_field_name
from feedback.models import QuestionChoice, Survey, SurveyText
from feedback.tests.factories import InvitationFactory, SurveyFactory, SurveyQuestionFactory, SurveyRuleFactory

pytestmark = pytest.mark.django_db

LOCKED = "This survey has invitations; copy it to a new survey to change its questions."
LANGS = [code for code, _label in TRANSLATED]
TWO_PRIMARIES = "A CSAT survey needs exactly one primary score question."


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def _change_form(survey: Survey) -> dict:
    """The survey's change page as the browser posts it back untouched (inlines and nested choices)."""
    data = {
        "name": survey.name,
        "kind": survey.kind,
        "delivery_channel": survey.delivery_channel,
        "expiry_days": str(survey.expiry_days),
        "reminder_after_days": "" if survey.reminder_after_days is None else str(survey.reminder_after_days),
    }
    if survey.active:
        data["active"] = "on"
    texts = list(survey.texts.all())
    questions = list(survey.questions.prefetch_related("choices"))
    rules = list(survey.rules.all())
    for prefix, rows in (("texts", texts), ("questions", questions), ("rules", rules)):
        data.update({f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": str(len(rows))})
    for n, text in enumerate(texts):
        data.update(
            {
                f"texts-{n}-id": str(text.pk),
                f"texts-{n}-survey": str(survey.pk),
                f"texts-{n}-language": text.language,
                f"texts-{n}-title": text.title,
                f"texts-{n}-intro": text.intro,
                f"texts-{n}-thank_you": text.thank_you,
            }
        )
    for n, question in enumerate(questions):
        prefix = f"questions-{n}"
        data.update(
            {
                f"{prefix}-id": str(question.pk),
                f"{prefix}-survey": str(survey.pk),
                f"{prefix}-position": str(question.position),
                f"{prefix}-type": question.type,
                f"{prefix}-text": question.text,
                **{f"{prefix}-{translation_field_name(code)}": question.translations.get(code, "") for code in LANGS},
                f"{prefix}-scale_min": "" if question.scale_min is None else str(question.scale_min),
                f"{prefix}-scale_max": "" if question.scale_max is None else str(question.scale_max),
            }
        )
        if question.is_primary:
            data[f"{prefix}-is_primary"] = "on"
        if question.required:
            data[f"{prefix}-required"] = "on"
        choices = list(question.choices.all())
        data.update(
            {f"{prefix}-choices-TOTAL_FORMS": str(len(choices)), f"{prefix}-choices-INITIAL_FORMS": str(len(choices))}
        )
        for m, choice in enumerate(choices):
            data.update(
                {
                    f"{prefix}-choices-{m}-id": str(choice.pk),
                    f"{prefix}-choices-{m}-question": str(question.pk),
                    f"{prefix}-choices-{m}-position": str(choice.position),
                    f"{prefix}-choices-{m}-value": choice.value,
                    f"{prefix}-choices-{m}-label": choice.label,
                    **{
                        f"{prefix}-choices-{m}-{translation_field_name(code)}": choice.translations.get(code, "")
                        for code in LANGS
                    },
                }
            )
    for n, rule in enumerate(rules):
        fields = ("name", "event", "channel", "interaction_type", "touchpoint_key", "delay_minutes", "sample_percent")
        data.update({f"rules-{n}-{name}": str(getattr(rule, name)) for name in (*fields, "priority")})
        data.update({f"rules-{n}-id": str(rule.pk), f"rules-{n}-survey": str(survey.pk)})
        if rule.active:
            data[f"rules-{n}-active"] = "on"
    return data


def _with_choice_question(survey: Survey, labels: list[str]):
    question = SurveyQuestionFactory(survey=survey, type="single_choice", text="What mattered most?", position=2)
    for position, label in enumerate(labels, start=1):
        QuestionChoice.objects.create(question=question, position=position, value=label.lower(), label=label)
    return question


def _new_csat_form(primaries: list[bool]) -> dict:
    data = {
        "name": "Support CSAT",
        "kind": "csat",
        "active": "on",
        "delivery_channel": "email",
        "expiry_days": "14",
        "reminder_after_days": "",
        "texts-TOTAL_FORMS": "0",
        "texts-INITIAL_FORMS": "0",
        "questions-TOTAL_FORMS": str(len(primaries)),
        "questions-INITIAL_FORMS": "0",
        "rules-TOTAL_FORMS": "0",
        "rules-INITIAL_FORMS": "0",
    }
    for n, primary in enumerate(primaries):
        data.update(
            {
                f"questions-{n}-position": str(n + 1),
                f"questions-{n}-type": "score",
                f"questions-{n}-text": f"How satisfied were you ({n})?",
                f"questions-{n}-required": "on",
                f"questions-{n}-choices-TOTAL_FORMS": "0",
                f"questions-{n}-choices-INITIAL_FORMS": "0",
            }
        )
        if primary:
            data[f"questions-{n}-is_primary"] = "on"
    return data


# --------------------------------------------------------------------------- the lock on questions


def test_admin_refuses_changing_the_questions_of_a_survey_with_invitations(admin_client):
    survey = SurveyFactory(kind="csat")
    InvitationFactory(survey=survey)
    data = _change_form(survey)
    data["questions-0-text"] = "A new wording"

    response = admin_client.post(reverse("admin:feedback_survey_change", args=[survey.pk]), data)

    assert response.status_code == 200  # the page again, with the error
    assert LOCKED in response.content.decode()
    assert list(survey.questions.values_list("text", flat=True)) == ["How satisfied were you with our help?"]


def test_admin_refuses_changing_the_choices_of_a_survey_with_invitations(admin_client):
    survey = SurveyFactory(kind="csat")
    question = _with_choice_question(survey, ["Speed", "Price"])
    InvitationFactory(survey=survey)
    data = _change_form(survey)
    data["questions-1-choices-1-label"] = "Cost"

    response = admin_client.post(reverse("admin:feedback_survey_change", args=[survey.pk]), data)

    assert LOCKED in response.content.decode()
    assert list(question.choices.values_list("label", flat=True)) == ["Speed", "Price"]


def test_admin_still_saves_the_other_fields_of_a_survey_with_invitations(admin_client):
    survey = SurveyFactory(kind="csat", name="Support")
    _with_choice_question(survey, ["Speed", "Price"])
    InvitationFactory(survey=survey)
    data = _change_form(survey)
    data["name"] = "Support after a case"
    data.pop("active")

    response = admin_client.post(reverse("admin:feedback_survey_change", args=[survey.pk]), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    survey.refresh_from_db()
    assert (survey.name, survey.active) == ("Support after a case", False)
    assert survey.questions.count() == 2


def test_admin_changes_the_questions_of_a_survey_without_invitations(admin_client):
    survey = SurveyFactory(kind="csat")
    data = _change_form(survey)
    data["questions-0-text"] = "A new wording"

    response = admin_client.post(reverse("admin:feedback_survey_change", args=[survey.pk]), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(survey.questions.values_list("text", flat=True)) == ["A new wording"]


# --------------------------------------------------------------------------- the same rules as the API


def test_admin_and_api_refuse_a_csat_survey_with_two_primary_questions_alike(admin_client, api_as, marketer_user):
    response = admin_client.post(reverse("admin:feedback_survey_add"), _new_csat_form([True, True]))
    assert response.status_code == 200
    assert TWO_PRIMARIES in response.content.decode()

    payload = {
        "name": "Support CSAT",
        "kind": "csat",
        "questions": [
            {"type": "score", "is_primary": True, "text": "How satisfied were you?"},
            {"type": "score", "is_primary": True, "text": "And with the product?"},
        ],
        "texts": [{"language": "en", "title": "Tell us"}],
    }
    api_response = api_as(marketer_user).post("/api/surveys/", payload, format="json")
    assert api_response.status_code == 400
    assert api_response.data["questions"] == [TWO_PRIMARIES]

    assert not Survey.objects.filter(name="Support CSAT").exists()


def test_admin_refuses_a_choice_question_with_one_choice_as_the_api_does(admin_client):
    survey = SurveyFactory(kind="csat")
    _with_choice_question(survey, ["Speed", "Price"])
    data = _change_form(survey)
    data["questions-1-choices-1-DELETE"] = "on"

    response = admin_client.post(reverse("admin:feedback_survey_change", args=[survey.pk]), data)

    assert "Question 2: A choice question needs at least two choices." in response.content.decode()
    assert survey.questions.get(position=2).choices.count() == 2


def test_changing_the_kind_in_the_admin_keeps_the_rule_of_the_new_kind(admin_client):
    survey = SurveyFactory(kind="custom", with_content=False)
    SurveyQuestionFactory(survey=survey, is_primary=False)
    data = _change_form(survey)
    data["kind"] = "nps"

    response = admin_client.post(reverse("admin:feedback_survey_change", args=[survey.pk]), data)

    assert "A NPS survey needs exactly one primary score question." in response.content.decode()
    survey.refresh_from_db()
    assert survey.kind == "custom"


# --------------------------------------------------------------------------- imports


@pytest.mark.parametrize("module", ["feedback.tasks", "feedback.services", "feedback.services.responses"])
def test_the_modules_import_first_in_a_fresh_interpreter(module):
    """The tasks and the services import in a new process, whichever comes first."""
    code = f"import django; django.setup(); import {module}; import feedback.tasks, feedback.services"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(settings.BASE_DIR),
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "cxcrm.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def test_no_service_imports_the_tasks_even_lazily():
    """Tasks import the services; a service enqueues a task by its name instead of importing it back."""
    offenders = []
    for path in sorted((Path(settings.BASE_DIR) / "feedback" / "services").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [f"{node.module or ''}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            if any(name.split(".")[-1] == "tasks" or "tasks." in name for name in names):
                offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []


def test_saving_a_survey_whose_rules_overlap_warns_which_goes_first(admin_client):
    survey = SurveyFactory()
    SurveyRuleFactory(survey=survey, name="Any chat", channel="chat", delay_minutes=30)
    SurveyRuleFactory(survey=survey, name="Checkout chat", channel="chat", touchpoint_key="checkout")

    response = admin_client.post(reverse("admin:feedback_survey_change", args=[survey.pk]), _change_form(survey))

    assert response.status_code == 302
    warnings = [str(m) for m in get_messages(response.wsgi_request) if m.level_tag == "warning"]
    assert len(warnings) == 2
    assert all("offered to “Checkout chat” first" in w for w in warnings)


def test_a_survey_text_is_named_by_its_language_s_name_not_its_code():
    text = SurveyText(survey=SurveyFactory.build(name="Relationship NPS"), language="pt-br")

    assert str(text) == "Relationship NPS [Português (Brasil)]"
