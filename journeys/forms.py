"""Forms of the journeys pages: the map's period chooser and the JSON import."""

import json
from datetime import date, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cxcrm.fields import DayFormField

PERIOD_CHOICES = [
    ("30", _("Last 30 days")),
    ("90", _("Last 90 days")),
    ("365", _("Last 12 months")),
    ("custom", _("From – to")),
]


class PeriodForm(forms.Form):
    """The period the overlay shows: the last N days ending today, or start–end."""

    period = forms.ChoiceField(choices=PERIOD_CHOICES, required=False, initial="30")
    start = DayFormField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = DayFormField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if data.get("period") == "custom":
            if not start or not end:
                raise forms.ValidationError(_("Give both a start and an end date."))
            if start > end:
                raise forms.ValidationError(_("The start date must not be after the end date."))
        return data

    def dates(self) -> tuple[date, date]:
        """(start, end), inclusive; the last 30 days when the input is missing or invalid."""
        today = timezone.localdate()
        data = self.cleaned_data if self.is_valid() else {}
        if data.get("period") == "custom":
            return data["start"], data["end"]
        days = int(data.get("period") or 30)
        return today - timedelta(days=days - 1), today


class MapImportForm(forms.Form):
    file = forms.FileField(required=False, label=_("File"), help_text=_("A .json file exported from a map page."))
    document = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 10}), label=_("…or paste the JSON"), strip=True
    )

    def clean(self):
        data = super().clean()
        upload, text = data.get("file"), data.get("document")
        if upload:
            try:
                text = upload.read().decode("utf-8")
            except UnicodeDecodeError:
                raise forms.ValidationError(gettext("The file is not UTF-8 text."))
        if not text:
            raise forms.ValidationError(gettext("Choose a file or paste the JSON of a map."))
        try:
            data["parsed"] = json.loads(text)
        except json.JSONDecodeError as error:
            # The parser's own words (`error.msg`) are English: kept as the detail of a translated sentence.
            raise forms.ValidationError(
                gettext("This is not valid JSON: %(error)s (line %(line)s, column %(column)s).")
                % {"error": error.msg, "line": error.lineno, "column": error.colno}
            ) from None
        return data
