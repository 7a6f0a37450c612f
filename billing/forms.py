"""Forms of the portal and the staff admin. Times are entered and shown in the business
calendar's time zone (Europe/Moscow), whatever the browser's."""

import datetime
import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing import services
from billing.models import OutOfHoursRequest, TimeEntry, UpdateSchedule
from core.admin_widgets import UnfoldWidgetsMixin


class CalendarDateTimeField(forms.DateTimeField):
    """A date and time read and shown in the calendar's time zone."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]

    def to_python(self, value):
        with timezone.override(services.calendar_zone()):
            return super().to_python(value)

    def prepare_value(self, value):
        with timezone.override(services.calendar_zone()):
            return super().prepare_value(value)


class OutOfHoursRequestForm(forms.Form):
    start = CalendarDateTimeField(label=_("From"))
    end = CalendarDateTimeField(label=_("Until"))
    reason = forms.CharField(
        label=_("Why can it not wait for business hours?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and self.actor is not None:
            services.check_window(actor=self.actor, start=start, end=end)
        return data


class DecisionForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class StatementAnswerForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when you dispute the statement: say what is wrong."),
    )


# --- the staff admin ---------------------------------------------------------------

HOURS_MINUTES = re.compile(r"^(\d{1,2}):([0-5]\d)$")
UNITS = re.compile(
    r"^(?:(?P<h>\d+(?:[.,]\d+)?)\s*(?:h|hr|hrs|hours?|ч|час(?:а|ов)?)\.?)?\s*"
    r"(?:(?P<m>\d+)\s*(?:m|min|mins|minutes?|м|мин)\.?)?$",
    re.IGNORECASE,
)


def parse_duration_text(text: str) -> datetime.timedelta | None:
    """'1:30', '1.5', '1,5 h', '90m', '2h 15m' -> a timedelta; None if unreadable."""
    try:
        return _parse_duration(text.strip())
    except (InvalidOperation, ValueError, OverflowError):
        return None  # e.g. "1e400" or 30 digits: not a duration anyone logs


def _parse_duration(text: str) -> datetime.timedelta | None:
    if match := HOURS_MINUTES.match(text):
        return datetime.timedelta(hours=int(match[1]), minutes=int(match[2]))
    try:
        return datetime.timedelta(hours=float(Decimal(text.replace(",", "."))))
    except (InvalidOperation, ValueError):
        pass
    match = UNITS.match(text)
    if not text or match is None or not (match["h"] or match["m"]):
        return None
    hours = float(Decimal((match["h"] or "0").replace(",", ".")))
    return datetime.timedelta(hours=hours, minutes=int(match["m"] or 0))


class HoursMinutesField(forms.Field):
    """A duration typed as agents think of it: 1:30, 1.5, 90m, 2h 15m."""

    widget = forms.TextInput(attrs={"size": 8, "placeholder": "1:30"})
    default_error_messages = {
        "invalid": _("Type the duration as hours:minutes (1:30), hours (1.5) or minutes (90m).")
    }

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime.timedelta):
            return value
        parsed = parse_duration_text(str(value))
        if parsed is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return datetime.timedelta(minutes=round(parsed.total_seconds() / 60))

    def prepare_value(self, value):
        if isinstance(value, datetime.timedelta):
            minutes = round(value.total_seconds() / 60)
            return f"{minutes // 60}:{minutes % 60:02d}"
        return value


class ActorFormMixin:
    """The admin gives the form the person at the keyboard (``actor``)."""

    actor = None


class TimeEntryAdminForm(UnfoldWidgetsMixin, ActorFormMixin, forms.ModelForm):
    duration = HoursMinutesField(label=_("Duration"), help_text=_("e.g. 1:30, 1.5 or 90m"))

    class Meta:
        model = TimeEntry
        fields = (
            "ticket", "agent", "started_at", "duration", "activity", "billable", "description",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "activity" in self.fields:
            self.fields["activity"].required = False
            self.fields["activity"].help_text = _("Empty: from the ticket's type.")
        if "agent" in self.fields:
            self.fields["agent"].required = False
            self.fields["agent"].help_text = _("Empty: you.")

    def clean(self):
        data = super().clean()
        if "agent" in self.fields and data.get("agent") is None:
            data["agent"] = self.actor
        if not data.get("activity") and data.get("ticket") is not None:
            data["activity"] = services.default_activity(data["ticket"])
        return data

    def _post_clean(self):
        super()._post_clean()
        entry = self.instance
        if self.errors or entry.ticket_id is None:
            return
        if entry.agent_id is None:
            entry.agent = self.actor
        try:
            services.check_time_entry(entry, self.actor)
        except services.ActionRefused as exc:
            self.add_error(None, exc.message)
        except ValidationError as exc:
            self._update_errors(exc)


class UpdateScheduleAdminForm(UnfoldWidgetsMixin, ActorFormMixin, forms.ModelForm):
    class Meta:
        model = UpdateSchedule
        fields = ("ticket", "window_start", "window_end", "estimate_hours", "agreed_with", "note")

    def _post_clean(self):
        super()._post_clean()
        if not self.errors and self.instance.ticket_id is not None:
            try:
                services.check_update_schedule(self.instance)
            except ValidationError as exc:
                self._update_errors(exc)


class OutOfHoursRequestAdminForm(UnfoldWidgetsMixin, ActorFormMixin, forms.ModelForm):
    class Meta:
        model = OutOfHoursRequest
        fields = ("ticket", "start", "end", "reason")

    def _post_clean(self):
        super()._post_clean()
        ooh = self.instance
        if self.errors or ooh.ticket_id is None:
            return
        if not services.may_request_out_of_hours(self.actor, ooh.ticket):
            self.add_error("ticket", _("Out-of-hours work is asked for on open tickets only."))
            return
        try:
            services.check_window(actor=self.actor, start=ooh.start, end=ooh.end)
        except ValidationError as exc:
            self._update_errors(exc)
