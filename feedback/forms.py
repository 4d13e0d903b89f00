"""Forms of the feedback pages: the public survey answer form."""

from dataclasses import dataclass, field

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import services
from .choices import QuestionType, SurveyKind
from .models import Survey, SurveyQuestion

# The words under a primary score's ends, per kind (docs/metrics.md gives the scales).
SCALE_END_LABELS = {
    SurveyKind.NPS: (gettext_lazy("Not at all likely"), gettext_lazy("Extremely likely")),
    SurveyKind.CSAT: (gettext_lazy("Very dissatisfied"), gettext_lazy("Very satisfied")),
    SurveyKind.CES: (gettext_lazy("Strongly disagree"), gettext_lazy("Strongly agree")),
}
DEFAULT_END_LABELS = (gettext_lazy("Lowest"), gettext_lazy("Highest"))


@dataclass
class QuestionItem:
    """What the template needs to draw one question accessibly."""

    question: SurveyQuestion
    name: str
    text: str
    type: str
    required: bool
    scores: list[int] = field(default_factory=list)
    ends: tuple[str, str] = ("", "")
    choices: list[tuple[str, str]] = field(default_factory=list)
    selected: list[str] = field(default_factory=list)
    value: str = ""
    errors: list[str] = field(default_factory=list)


class SurveyAnswerForm(forms.Form):
    """One field per question (`q<id>`) plus `comment` when the survey has no free-text question.

    The fields only collect what was posted; `services.answers_clean` decides what is valid, so the
    page and the service refuse the same things with the same messages.
    """

    def __init__(self, *args, survey: Survey, questions: list[SurveyQuestion], language: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.survey, self.questions, self.language = survey, questions, language
        for question in questions:
            if question.type == QuestionType.MULTIPLE_CHOICE:
                self.fields[self._name(question)] = forms.MultipleChoiceField(
                    required=False,
                    choices=[(c.value, c.value) for c in question.choices.all()],
                    error_messages={"invalid_choice": _("Choose one of the options shown.")},
                )
            else:
                self.fields[self._name(question)] = forms.CharField(required=False, strip=True)
        self.has_comment_field = not any(q.type == QuestionType.TEXT for q in questions)
        if self.has_comment_field:
            self.fields["comment"] = forms.CharField(required=False, strip=True)

    @staticmethod
    def _name(question: SurveyQuestion) -> str:
        return f"q{question.pk}"

    def answers(self) -> dict:
        return {str(q.pk): self.cleaned_data.get(self._name(q)) for q in self.questions}

    def clean(self):
        cleaned = super().clean()
        try:
            services.answers_clean(
                questions=self.questions,
                kind=self.survey.kind,
                answers=self.answers(),
                comment=cleaned.get("comment", ""),
            )
        except ValidationError as exc:
            self.add_service_errors(exc)
        return cleaned

    def add_service_errors(self, exc: ValidationError) -> None:
        for name, messages in exc.message_dict.items():
            target = name if name in self.fields else None
            for message in messages:
                if target is None or message not in self.errors.get(target, []):
                    self.add_error(target, message)

    # ------------------------------------------------------------------ drawing

    def items(self) -> list[QuestionItem]:
        items = []
        for question in self.questions:
            name = self._name(question)
            bound = self[name]
            raw = bound.value()
            selected = [str(v) for v in raw] if isinstance(raw, list | tuple) else ([str(raw)] if raw else [])
            item = QuestionItem(
                question=question,
                name=name,
                text=question.text_in(self.language),
                type=question.type,
                required=question.required and question.type != QuestionType.TEXT,
                selected=selected,
                value="" if isinstance(raw, list | tuple) else str(raw or ""),
                errors=list(bound.errors),
            )
            if question.type == QuestionType.SCORE:
                low, high = question.effective_scale(self.survey.kind)
                item.scores = list(range(low, high + 1))
                ends = SCALE_END_LABELS.get(self.survey.kind) if question.is_primary else None
                item.ends = tuple(str(label) for label in (ends or DEFAULT_END_LABELS))
            elif question.type in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE):
                item.choices = [(c.value, c.label_in(self.language)) for c in question.choices.all()]
            items.append(item)
        return items

    @property
    def comment_max_length(self) -> int:
        return services.comment_max_length()
