from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.markdown import pasted_html_to_text
from core.submit import SubmitTokenField
from moderation.checks import improper_words
from tickets.fields import MultipleFileField, attachment_help  # noqa: F401  (used below)
from tickets.models import OPEN_STATUSES, Priority, Status, TicketType

# Longer text belongs in an attached file; it also bounds the work of checking it.
MAX_TEXT = 50_000


class ImproperWordsCheck(forms.Form):
    """Warns before sending: text with improper words goes only with "Send anyway".

    The contractor may ignore a request with profanity or insults (the ticketing rules),
    so the customer is told which words, and may rephrase or send anyway (then the ticket
    or comment is flagged for the contractor's review).
    """

    checked_fields: tuple[str, ...] = ()
    send_anyway = forms.BooleanField(label=_("Send anyway"), required=False)

    def __init__(self, *args, check_words: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.check_words = check_words
        self.improper_words: list[str] = []
        if check_words:
            for name in self.checked_fields:  # the live warning (portal.js) reads these
                self.fields[name].widget.attrs["data-check-words"] = ""

    def clean(self):
        data = super().clean()
        # Pasted HTML becomes its text, and the person is told (portal views).
        self.html_converted = False
        if data.get("body"):
            data["body"], self.html_converted = pasted_html_to_text(data["body"])
        if self.check_words:
            text = "\n".join(str(data.get(name) or "") for name in self.checked_fields)
            self.improper_words = improper_words(text)
        return data

    @property
    def needs_confirmation(self) -> bool:
        """Improper words found and "Send anyway" not ticked: show the warning first."""
        return bool(self.improper_words) and not self.cleaned_data.get("send_anyway")


class TicketForm(ImproperWordsCheck):
    checked_fields = ("subject", "body")

    type = forms.ChoiceField(
        label=_("Type"),
        choices=TicketType.choices,
        widget=forms.RadioSelect,
        initial=TicketType.INCIDENT,
    )
    priority = forms.TypedChoiceField(
        label=_("Priority"),
        choices=Priority.choices,
        coerce=int,
        initial=Priority.NORMAL,
        required=False,
        widget=forms.RadioSelect,
        help_text=_("Only for incidents. Choose it strictly by the operating procedure."),
    )
    subject = forms.CharField(
        label=_("Subject"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text=_("One task per ticket, in the system's own terms."),
    )
    body = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 10}),
        max_length=MAX_TEXT,
        help_text=_("What happened, what you expected, steps to reproduce. Markdown works."),
    )
    files = MultipleFileField(label=_("Attachments"))
    submit_token = SubmitTokenField()
    follows = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["files"].help_text = attachment_help()
        # A browser cuts a pasted text at maxlength without a word: let the form say so.
        self.fields["subject"].widget.attrs.pop("maxlength", None)


class CommentForm(ImproperWordsCheck):
    checked_fields = ("body",)

    body = forms.CharField(
        label=_("Your comment"), widget=forms.Textarea(attrs={"rows": 5}), max_length=MAX_TEXT
    )
    files = MultipleFileField(label=_("Attachments"))
    expected_status = forms.CharField(widget=forms.HiddenInput, required=False)
    shown_at = forms.DateTimeField(widget=forms.HiddenInput, required=False)
    submit_token = SubmitTokenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["files"].help_text = attachment_help()

    def rearmed(self, ticket) -> "CommentForm":
        """The same text, armed with the ticket's state now: one more click sends it."""
        data = self.data.copy()
        data["expected_status"] = ticket.status
        data["shown_at"] = timezone.now().isoformat()
        data.pop("send_anyway", None)
        return type(self)(data, check_words=self.check_words)


class TransitionForm(forms.Form):
    message = forms.CharField(
        label=_("Comment (optional)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=MAX_TEXT,
    )
    expected_status = forms.CharField(widget=forms.HiddenInput, required=False)
    submit_token = SubmitTokenField()


STATUS_FILTER_CHOICES = [
    ("", _("Any status")),
    ("open", _("Open")),
    *Status.choices,
]


class TicketFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    status = forms.ChoiceField(label=_("Status"), choices=STATUS_FILTER_CHOICES, required=False)
    type = forms.ChoiceField(
        label=_("Type"), choices=[("", _("Any type")), *TicketType.choices], required=False
    )
    priority = forms.TypedChoiceField(
        label=_("Priority"),
        choices=[("", _("Any priority")), *Priority.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )

    def apply(self, tickets):
        if not self.is_valid():
            return tickets
        data = self.cleaned_data
        if data["q"]:
            tickets = search(tickets, data["q"])
        if data["status"] == "open":
            tickets = tickets.filter(status__in=OPEN_STATUSES)
        elif data["status"]:
            tickets = tickets.filter(status=data["status"])
        if data["type"]:
            tickets = tickets.filter(type=data["type"])
        if data["priority"]:
            tickets = tickets.filter(priority=data["priority"])
        return tickets


def search(tickets, query: str):
    """By number (whole or its digits) and by words, as on the search page (the stored
    search document on PostgreSQL), in the list's own order."""
    from tickets.search import matching

    condition = matching(query)
    return tickets if condition is None else tickets.filter(condition)


class RatingForm(forms.Form):
    """A satisfaction rating: a score from 1 to 5 and an optional comment."""

    score = forms.TypedChoiceField(
        label=_("How satisfied are you with the resolution?"),
        choices=[(n, str(n)) for n in (5, 4, 3, 2, 1)],
        coerce=int,
        widget=forms.RadioSelect,
        help_text=_("5 is very satisfied, 1 not at all."),
        error_messages={"required": _("Choose a score from 1 to 5.")},
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
