"""The filter every report shares: a range of months and, optionally, one organisation."""

import datetime
import re

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from core.admin_widgets import UnfoldWidgetsMixin
from reports.periods import Period, add_months, current_month, report_tz

DEFAULT_MONTHS = 6
MOST_MONTHS = 60
MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


class MonthField(forms.CharField):
    """A month as YYYY-MM (what ``<input type="month">`` sends), cleaned to its first day."""

    widget = forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM", "size": 8})
    default_error_messages = {"invalid": _("Enter a month as YYYY-MM, e.g. 2026-11.")}

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        match = MONTH.match(value.strip())
        if not match:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        year, month = int(match[1]), int(match[2])
        if not (1 <= month <= 12 and 2000 <= year <= 2999):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return datetime.date(year, month, 1)

    def prepare_value(self, value):
        return f"{value:%Y-%m}" if isinstance(value, datetime.date) else value


class ReportFilterForm(UnfoldWidgetsMixin, forms.Form):
    start = MonthField(label=_("From month"))
    end = MonthField(label=_("To month"))
    organisation = forms.ModelChoiceField(
        label=_("Organisation"),
        queryset=Organisation.objects.order_by("name"),
        required=False,
        empty_label=_("All organisations"),
    )

    def __init__(self, data=None, **kwargs):
        # A GET form, always bound: an empty query string is the default report, and the
        # months it covers are filled in so that the form shows them.
        data = data.copy() if data is not None else {}
        if not data.get("end"):
            data["end"] = f"{current_month(report_tz()):%Y-%m}"
        if not data.get("start"):
            match = MONTH.match(data["end"].strip())
            if match and 1 <= int(match[2]) <= 12 and 2000 <= int(match[1]) <= 2999:
                end = datetime.date(int(match[1]), int(match[2]), 1)
                data["start"] = f"{add_months(end, 1 - DEFAULT_MONTHS):%Y-%m}"
        super().__init__(data, **kwargs)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        tz = report_tz()
        start, end = data["start"], data["end"]
        if end < start:
            self.add_error("end", _("The last month cannot come before the first."))
        elif add_months(start, MOST_MONTHS) <= end:
            self.add_error(
                "end", _("A report covers at most %(count)s months.") % {"count": MOST_MONTHS}
            )
        else:
            data["period"] = Period(first=start, last=end, tz=tz)
        return data

    @property
    def period(self) -> Period:
        return self.cleaned_data["period"]

    @property
    def selected_organisation(self) -> Organisation | None:
        return self.cleaned_data.get("organisation")
