"""Forms of the staff admin for tickets.

None of them writes a ticket: each hands what was typed to ``tickets.services``. A
service's refusal comes back as an error on the field it concerns, with the input kept.
"""

import contextlib

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms.utils import flatatt
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.models import CONTRACTOR_ROLES, CUSTOMER_ROLES, Organisation, User
from core.admin_widgets import UnfoldWidgetsMixin
from core.submit import SubmitTokenField, new_token, submit_once
from moderation.presets import RejectPreset, rejection_reason
from tickets import kept_uploads, selectors, services
from tickets.fields import MultipleFileField, attachment_help
from tickets.models import (
    Channel,
    LinkKind,
    Macro,
    Priority,
    Status,
    Ticket,
    TicketLink,
    TicketType,
)
from tickets.services.macros import MESSAGE_ARGUMENT

KEEP = [("", "---------")]


def ticket_by_number(number: str) -> Ticket:
    """The ticket a staff form names by its number (any letter case), or the form error."""
    ticket = Ticket.objects.filter(number__iexact=number).first()
    if ticket is None:
        raise ValidationError(
            _("There is no ticket %(number)s."), params={"number": number}, code="not_found"
        )
    return ticket

# Transitions that need a message, and the argument of their service it goes in: on the
# ticket page the typed public reply is that message (posted once, as the transition's
# comment or reason), and the second form page asks for it only when the reply is empty.
REPLY_AS_MESSAGE = {str(name): argument for name, argument in MESSAGE_ARGUMENT.items()}

PUBLIC, INTERNAL = "public", "internal"


def _number_placeholder() -> dict:
    return {"placeholder": f"{settings.TICKET_NUMBER_PREFIX}-2026-00042", "size": 18}


class SubmitButton(forms.CheckboxInput):
    """A submit button read like a checkbox: True when it is the button that was pressed."""

    def __init__(self, text, attrs=None):
        super().__init__(attrs)
        self.text = text

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        return format_html(
            '<button type="submit" class="button" name="{}" value="1"{}>{}</button>',
            name,
            flatatt(attrs),
            self.text,
        )


class ReadOnceChoices(forms.models.ModelChoiceIterator):
    """The choices from one plain read of the queryset (kept by it), not through a
    server-side cursor opened, read and closed for a list of a few dozen people."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:
            yield self.choice(obj)


class StaffChoiceField(forms.ModelChoiceField):
    iterator = ReadOnceChoices

    def label_from_instance(self, obj: User) -> str:
        return f"{obj.get_full_name()} ({obj.get_role_display()})"


class CustomerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.get_full_name()} <{obj.email}> · {obj.organisation}"


def assignable_staff():
    return User.objects.filter(role__in=CONTRACTOR_ROLES, is_active=True).order_by(
        "full_name", "email"
    )


class ServiceForm(UnfoldWidgetsMixin, forms.ModelForm):
    """A ticket form whose writes are done by services, never by ``save()``.

    The admin decides whether a form is valid before it calls ``save_model``, so the
    services run at the end of validation, where a refusal can still become a field
    error. All of one submission's actions share a savepoint: all or nothing.

    A form with a ``submit_token`` field carries a one-time submit token
    (``core.submit``): a second post of the same page (a double click, a resend) does
    nothing again and is sent to the result of the first (``repeated``). A refused
    submission leaves its token free.
    """

    actor: User | None = None  # set per request by TicketAdmin.get_form
    fired = ""  # the transition the submission fired, if any
    repeated = ""  # the result URL of an earlier post with the same token

    class Meta:
        model = Ticket
        fields = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.done: list[str] = []
        self.conflict = False  # a change by someone else refused the submission
        if "submit_token" in self.fields:
            self.fields["submit_token"].initial = new_token()

    def _post_clean(self):
        # No model validation here: the services hold the rules of the ticket.
        if self._errors:
            return
        with transaction.atomic():
            url, first = submit_once(
                user=self.actor,
                token=self.cleaned_data.get("submit_token", ""),
                action=self._submit,
            )
            if self._errors:
                transaction.set_rollback(True)
        if not first:
            self.repeated = url
        if self._errors:
            self.done = []
            self.fired = ""
            if self.instance.pk:
                self.instance.refresh_from_db()
            if self.conflict and "expected_status" in self.fields:
                self.rearm()

    def rearm(self) -> None:
        """After a refusal for a change in between: the page shows the ticket as it is
        now and the typed text, and one more click acts on the state now shown."""
        self.data = self.data.copy()
        self.data["expected_status"] = self.instance.status

    def _submit(self) -> str:
        self.perform()
        if self._errors or not self.instance.pk:
            return ""
        return reverse("admin:tickets_ticket_change", args=[self.instance.pk])

    def perform(self) -> None:
        """Call the services with the cleaned data; subclasses say which."""

    @contextlib.contextmanager
    def refusals(self, field: str, *, by_code: dict | None = None, files_field: str = ""):
        """Turn a service's refusal into an error on the field it concerns."""
        try:
            yield
        except services.ActionRefused as exc:
            self.conflict = self.conflict or exc.code == "concurrent"
            self.add_error((by_code or {}).get(exc.code, field), exc.message)
        except ValidationError as exc:
            self.add_error(files_field or field, exc.messages)


class TicketAddForm(ServiceForm):
    """Staff file a ticket on a customer's behalf, e.g. after a phone call."""

    submit_token = SubmitTokenField()  # a double post files one ticket
    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.filter(is_active=True)
    )
    requester = CustomerChoiceField(
        label=_("Requester"),
        queryset=User.objects.filter(role__in=CUSTOMER_ROLES, is_active=True)
        .select_related("organisation")
        .order_by("organisation__name", "full_name", "email"),
        help_text=_("The customer's employee the ticket is filed for; replies go to them."),
    )
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("What happened, what was expected, steps to reproduce. Markdown works."),
    )
    type = forms.ChoiceField(
        label=_("Type"), choices=TicketType.choices, initial=TicketType.INCIDENT
    )
    priority = forms.TypedChoiceField(
        label=_("Priority"),
        choices=Priority.choices,
        coerce=int,
        initial=Priority.NORMAL,
        required=False,
        help_text=_("Only for incidents; every other type is filed as Normal."),
    )
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=Channel.choices,
        initial=Channel.PHONE,
        help_text=_("How the customer reached the support."),
    )
    files = MultipleFileField(label=_("Attachments"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["files"].help_text = attachment_help()

    def clean(self):
        data = super().clean()
        organisation, requester = data.get("organisation"), data.get("requester")
        if organisation and requester and requester.organisation_id != organisation.pk:
            self.add_error(
                "requester",
                ValidationError(
                    _("%(name)s is not a member of %(organisation)s."),
                    params={"name": requester.get_full_name(), "organisation": organisation},
                    code="other_organisation",
                ),
            )
        return data

    def perform(self) -> None:
        data = self.cleaned_data
        codes = {"no_contract": "organisation", "bad_type": "type"}
        with self.refusals("requester", by_code=codes, files_field="files"):
            self.instance = services.ticket_file(
                requester=data["requester"],
                actor=self.actor,
                subject=data["subject"],
                body=data["body"],
                type=data["type"],
                priority=data["priority"],
                channel=data["channel"],
                files=data["files"],
            )


class TicketChangeForm(ServiceForm):
    """The triage page: every field is an action handed to a service."""

    transition: str = ""  # the status button pressed, set per request by TicketAdmin
    preview: dict | None = None  # the box filled by "Use macro", set by TicketAdmin

    expected_status = forms.CharField(widget=forms.HiddenInput, required=False)
    # The whole of what the page showed (``services.seen_state``): a reply or a status
    # button after someone else changed the ticket is refused, showing what changed.
    seen = forms.CharField(widget=forms.HiddenInput, required=False)
    submit_token = SubmitTokenField()
    assign_to = StaffChoiceField(
        label=_("Assignee"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Nobody"),
        show_hidden_initial=True,
    )
    assign_to_me = forms.BooleanField(
        label="", required=False, widget=SubmitButton(_("Assign to me"))
    )
    new_priority = forms.TypedChoiceField(
        label=_("Change priority to"),
        choices=KEEP + Priority.choices,
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("Incidents only."),
    )
    priority_reason = forms.CharField(
        label=_("Reason for the priority change"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required. Kept in the history and e-mailed to the customer."),
    )
    new_type = forms.ChoiceField(
        label=_("Change type to"), choices=KEEP + TicketType.choices, required=False
    )
    type_reason = forms.CharField(
        label=_("Reason for the type change"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required. Leaving Incident resets the priority to Normal."),
    )
    # The one reply box: the text, who sees it, its files, and a macro to start from.
    reply_kind = forms.ChoiceField(
        label=_("Send as"),
        choices=[(PUBLIC, _("Public reply")), (INTERNAL, _("Internal note"))],
        initial=PUBLIC,
        required=False,
        widget=forms.RadioSelect,
    )
    reply = forms.CharField(
        label=_("Reply"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "A public reply: the customer sees it and gets it by e-mail. An internal note: "
            "the contractor's staff only. Markdown works."
        ),
    )
    reply_files = MultipleFileField(label=_("Attachments"))
    macro = forms.ModelChoiceField(
        label=_("Macro"),
        queryset=Macro.objects.none(),
        required=False,
        empty_label=_("No macro"),
        help_text=_("Puts its text in the box for you to edit; its changes are made on sending."),
    )
    use_macro = forms.BooleanField(
        label="", required=False, widget=SubmitButton(_("Use macro"))
    )
    link_kind = forms.ChoiceField(
        label=_("Link this ticket as"), choices=KEEP + LinkKind.choices, required=False
    )
    link_ticket = forms.CharField(label=_("Other ticket"), max_length=32, required=False)
    unlink = forms.TypedMultipleChoiceField(
        label=_("Remove links"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        ticket = self.instance
        self.fields["expected_status"].initial = ticket.status
        # Worked out when the page is drawn (the ticket page gives it the comments it read).
        self.fields["seen"].initial = (lambda: services.seen_state(ticket)) if ticket.pk else ""
        self.changes = services.Changes()  # what changed, when a change refused the post
        # Files kept from an earlier try of this page (``tickets.kept_uploads``).
        self.kept = (
            kept_uploads.taken(user=self.actor, post=self.data, prefix="reply")
            if self.is_bound
            else []
        )
        self.fields["assign_to"].queryset = assignable_staff()
        self.fields["assign_to"].initial = ticket.assignee_id
        self.fields["link_ticket"].widget.attrs.update(_number_placeholder())
        self.fields["unlink"].choices = self._link_choices()
        self.fields["reply_files"].help_text = attachment_help()
        self.fields["macro"].queryset = Macro.objects.filter(is_active=True).select_related(
            "set_assignee"
        )
        self.warnings: list[str] = []
        if self.preview and not self.is_bound:
            preview = dict(self.preview)
            self.kept = preview.pop("kept", [])
            self.initial.update(preview)

    def _link_choices(self) -> list[tuple[int, str]]:
        # The ticket's links as read now (the ticket page lists them too, from here).
        self.links = None
        if self.actor is None or self.instance.pk is None:
            return []
        self.links = selectors.links_of(self.actor, self.instance)
        return [
            (row["link"].pk, f"{row['label']} {row['other'].number} · {row['other'].subject}")
            for row in self.links
        ]

    def clean_link_ticket(self) -> Ticket | None:
        number = self.cleaned_data["link_ticket"].strip()
        if not number:
            return None
        return ticket_by_number(number)

    def clean(self):
        data = super().clean()
        self._needs_partner(data, "priority_reason", "new_priority", _("Choose the new priority."))
        self._needs_partner(data, "type_reason", "new_type", _("Choose the new type."))
        self._needs_partner(data, "link_ticket", "link_kind", _("Choose the kind of link."))
        self._needs_partner(data, "link_kind", "link_ticket", _("Enter the other ticket's number."))
        self._needs_partner(
            data, "reply_files", "reply", _("Write the reply or note the files go with.")
        )
        return data

    @property
    def internal(self) -> bool:
        return self.data.get("reply_kind") == INTERNAL

    def _needs_partner(self, data, given: str, partner: str, message) -> None:
        """A value that makes no sense alone: ask for the field it goes with."""
        if data.get(given) and not data.get(partner) and partner not in self._errors:
            self.add_error(partner, message)

    @property
    def reply_is_message(self) -> bool:
        """The pressed status button takes the typed reply as its message."""
        return (
            self.transition in REPLY_AS_MESSAGE
            and not self.internal
            and bool((self.data.get("reply") or "").strip())
        )

    def rearm(self) -> None:
        super().rearm()
        self.data["seen"] = services.seen_state(self.instance)

    def _post_clean(self):
        super()._post_clean()
        if self._errors and self.instance.pk:
            # The page comes back: the files chosen this time wait with it.
            self.kept = kept_uploads.keep(
                user=self.actor, files=self.files.getlist("reply_files"), already=self.kept
            )

    def change_lines(self) -> list[str]:
        """What someone else changed since the page was shown, a line each (the new
        comments are shown in full by the page)."""
        changes, ticket = self.changes, self.instance
        lines = []
        if changes.old_status:
            lines.append(
                _("Status: %(old)s → %(new)s")
                % {"old": Status(changes.old_status).label, "new": ticket.get_status_display()}
            )
        if changes.assignee_changed:
            old = User.objects.filter(pk=changes.old_assignee_id).first()
            nobody = _("nobody")
            lines.append(
                _("Assignee: %(old)s → %(new)s")
                % {
                    "old": old.get_full_name() if old else nobody,
                    "new": ticket.assignee.get_full_name() if ticket.assignee else nobody,
                }
            )
        if changes.old_priority is not None:
            lines.append(
                _("Priority: %(old)s → %(new)s")
                % {
                    "old": Priority(changes.old_priority).label,
                    "new": ticket.get_priority_display(),
                }
            )
        return lines

    def perform(self) -> None:
        data = self.cleaned_data
        macro = data["macro"]
        if self.transition or (macro and macro.set_status) or data["reply"].strip():
            # Act on what the agent saw, before anything of this submission is done: a
            # reply or note waits too when someone else changed the ticket meanwhile.
            with self.refusals(None):
                services.check_unchanged(
                    self.instance,
                    data["expected_status"] if self.transition else None,
                    seen=data["seen"],
                )
            if self._errors:
                self.changes = services.changes_since(self.instance, data["seen"])
                if data["reply_files"] and not kept_uploads.available():
                    self.add_error(
                        "reply_files",
                        _(
                            "Nothing was sent, and a browser never sends chosen files "
                            "twice: choose them again."
                        ),
                    )
                return
        self._change_type(data)
        self._change_priority(data)
        self._assign(data)
        if self.reply_is_message:
            self._fire_with_reply(data)
        elif not self._macro_with_reply(data):
            self._comment(data)
        self._apply_macro(data)
        self._link(data)
        self._unlink(data)

    def _change_type(self, data) -> None:
        if not data["new_type"]:
            return
        with self.refusals("new_type", by_code={"reason_required": "type_reason"}):
            services.ticket_change_type(
                ticket=self.instance,
                actor=self.actor,
                type=data["new_type"],
                reason=data["type_reason"],
            )
            self.done.append(
                _("Type is now %(type)s.") % {"type": self.instance.get_type_display()}
            )

    def _change_priority(self, data) -> None:
        if data["new_priority"] is None:
            return
        with self.refusals("new_priority", by_code={"reason_required": "priority_reason"}):
            services.ticket_change_priority(
                ticket=self.instance,
                actor=self.actor,
                priority=data["new_priority"],
                reason=data["priority_reason"],
            )
            self.done.append(
                _("Priority is now %(priority)s.")
                % {"priority": self.instance.get_priority_display()}
            )

    def _assign(self, data) -> None:
        if data["assign_to_me"]:
            assignee = self.actor
        elif "assign_to" in self.changed_data:
            assignee = data["assign_to"]
        else:
            return
        with self.refusals("assign_to"):
            services.ticket_assign(ticket=self.instance, actor=self.actor, assignee=assignee)
            self.done.append(
                _("Assigned to %(name)s.") % {"name": assignee.get_full_name()}
                if assignee
                else _("Nobody is assigned now.")
            )

    def _comment(self, data) -> None:
        if not data["reply"].strip():
            return
        with self.refusals("reply", files_field="reply_files"):
            services.comment_add(
                ticket=self.instance,
                author=self.actor,
                body=data["reply"],
                internal=self.internal,
                files=[*data["reply_files"], *kept_uploads.as_uploads(self.kept)],
            )
            kept_uploads.discard(self.kept)
            self.done.append(
                _("Internal note added.") if self.internal else _("Reply sent to the customer.")
            )

    def _macro_takes_reply(self, data) -> bool:
        """The macro's status change takes the public reply as its message (no button
        of the agent's own was pressed, and the reply goes with no files)."""
        macro = data["macro"]
        return bool(
            macro
            and not self.transition
            and macro.set_status in REPLY_AS_MESSAGE
            and not self.internal
            and not (data["reply_files"] or self.kept)
            and data["reply"].strip()
        )

    def _macro_with_reply(self, data) -> bool:
        """Send the reply as the macro's status change's message: True if done. Refused
        (the ticket's state does not allow it), the reply goes as a plain reply."""
        if not self._macro_takes_reply(data):
            return False
        outcome = services.macro_apply(
            macro=data["macro"],
            ticket=self.instance,
            actor=self.actor,
            message=data["reply"],
            others=False,  # after the reply, in _apply_macro
        )
        self._macro_outcome(outcome)
        return bool(outcome.fired)

    def _apply_macro(self, data) -> None:
        macro = data["macro"]
        if macro is None:
            return
        status = bool(macro.set_status)
        if self._macro_takes_reply(data):
            status = False  # it went with the reply (or was refused and reported)
        elif status and self.transition:
            status = False
            self.warnings.append(
                _("The macro's status change was not made: you pressed a status button.")
            )
        elif (
            macro.set_status in REPLY_AS_MESSAGE and not self.internal and data["reply"].strip()
        ):
            # The reply went with files as a plain reply: it is not sent again as the
            # status change's message.
            status = False
            self.warnings.append(
                _(
                    "The macro's status change was not made: a status change takes text "
                    "only. Send the files with a plain reply, then change the status."
                )
            )
        # The status change fired here takes no message of the reply: it has none, it
        # goes as an internal note, or it needs none.
        outcome = services.macro_apply(
            macro=macro, ticket=self.instance, actor=self.actor, status=status
        )
        self._macro_outcome(outcome)

    def _macro_outcome(self, outcome) -> None:
        self.done.extend(outcome.done)
        self.warnings.extend(outcome.refused)
        if outcome.fired:
            self.fired = outcome.fired

    def _fire_with_reply(self, data) -> None:
        """The status change with the typed reply as its message: one comment, one mail."""
        if data["reply_files"] or self.kept:
            self.add_error(
                "reply_files",
                _("A status change takes text only: send the files with a plain reply."),
            )
            return
        name = self.transition
        with self.refusals("reply"):
            services.TRANSITION_SERVICES[name](
                ticket=self.instance, actor=self.actor, **{REPLY_AS_MESSAGE[name]: data["reply"]}
            )
            self.fired = name
            self.done.append(
                _("%(number)s is now “%(status)s”.")
                % {"number": self.instance.number, "status": self.instance.get_status_display()}
            )

    def _link(self, data) -> None:
        if not (data["link_kind"] and data["link_ticket"]):
            return
        with self.refusals("link_ticket", by_code={"bad_kind": "link_kind"}):
            services.ticket_link(
                ticket=self.instance,
                actor=self.actor,
                other=data["link_ticket"],
                kind=data["link_kind"],
            )
            self.done.append(
                _("Linked: %(kind)s %(number)s.")
                % {"kind": LinkKind(data["link_kind"]).label, "number": data["link_ticket"].number}
            )

    def _unlink(self, data) -> None:
        links = TicketLink.objects.filter(pk__in=data["unlink"]).select_related("source", "target")
        for link in links:
            with self.refusals("unlink"):
                services.ticket_unlink(link=link, actor=self.actor)
                self.done.append(_("Link removed."))


# --- transition forms: what a transition needs before it can fire ---------------------


class TransitionForm(UnfoldWidgetsMixin, forms.ModelForm):
    """Input for one transition; the admin passes its cleaned data to the service."""

    expected_status = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Ticket
        fields = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The status of the page the agent pressed the button on (the first step), carried
        # as the form's initial; else the status now.
        self.fields["expected_status"].initial = self.instance.status

    def _post_clean(self):
        # The service validates and writes the ticket, not this form.
        pass

    def rearm(self) -> None:
        """Refused for a change in between: keep what was typed, act on the state now."""
        self.data = self.data.copy()
        self.data["expected_status"] = self.instance.status


class RequestInfoForm(TransitionForm):
    message = forms.CharField(
        label=_("Question for the customer"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Sent as a public reply; the ticket waits for the answer."),
    )


class ResolveForm(TransitionForm):
    message = forms.CharField(
        label=_("Solution (optional)"),
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        help_text=_("Sent as a public reply with the resolution."),
    )


class RejectForm(TransitionForm):
    preset = forms.ChoiceField(
        label=_("Standard reason"),
        choices=KEEP + RejectPreset.choices,
        required=False,
        help_text=_(
            "Its standard text, in the customer's language, starts the reason the customer "
            "sees; what you write below is added to it."
        ),
    )
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text=_("The customer sees this reason. Required unless a standard reason is chosen."),
    )

    def clean(self):
        # The service takes one reason: the standard text joined with the agent's words.
        data = super().clean()
        reason = rejection_reason(
            preset=data.get("preset", ""),
            extra=data.get("reason", ""),
            language=self.instance.requester.language,
        )
        if not reason and "reason" not in self._errors:
            self.add_error("reason", _("Write the reason or choose a standard one."))
        data["reason"] = reason
        return data


class MarkDuplicateForm(TransitionForm):
    original = forms.CharField(
        label=_("Original ticket"),
        max_length=32,
        help_text=_("The number of an open ticket of the same organisation."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["original"].widget.attrs.update(_number_placeholder())

    def clean_original(self) -> Ticket:
        number = self.cleaned_data["original"].strip()
        original = (
            Ticket.objects.filter(organisation_id=self.instance.organisation_id)
            .exclude(pk=self.instance.pk)
            .filter(number__iexact=number)
            .first()
        )
        if original is None:
            raise ValidationError(
                _("%(organisation)s has no other ticket %(number)s."),
                params={"organisation": self.instance.organisation, "number": number},
                code="not_found",
            )
        return original


# --- bulk actions: what a change of several tickets needs, once for all ---------------


class BulkPriorityForm(UnfoldWidgetsMixin, forms.Form):
    priority = forms.TypedChoiceField(label=_("New priority"), choices=Priority.choices, coerce=int)
    reason = forms.CharField(
        label=_("Reason for the priority change"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One reason for all; kept in each history and e-mailed to each customer."),
    )


NOBODY = "nobody"


class BulkAssignForm(UnfoldWidgetsMixin, forms.Form):
    """Whom the selected tickets go to: an active agent or manager, or nobody. A choice
    is required, so that an empty form never unassigns every ticket."""

    assignee = forms.ChoiceField(
        label=_("Assign to"),
        help_text=_("Each new assignee is told by mail, as when one ticket is assigned."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        label = StaffChoiceField(queryset=User.objects.none()).label_from_instance
        self.staff = {str(user.pk): user for user in assignable_staff()}
        self.fields["assignee"].choices = [
            *KEEP,
            (NOBODY, _("Nobody (unassign)")),
            *((pk, label(user)) for pk, user in self.staff.items()),
        ]

    def clean_assignee(self) -> User | None:
        value = self.cleaned_data["assignee"]
        return None if value == NOBODY else self.staff[value]


class BulkMergeForm(UnfoldWidgetsMixin, forms.Form):
    original = forms.CharField(
        label=_("Merge into ticket"),
        max_length=32,
        help_text=_(
            "The open ticket that stays. Each selected ticket's comments and files move "
            "there, and each closes as its duplicate; their requesters are told."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["original"].widget.attrs.update(_number_placeholder())

    def clean_original(self) -> Ticket:
        return ticket_by_number(self.cleaned_data["original"].strip())


class BulkResolveForm(UnfoldWidgetsMixin, forms.Form):
    message = forms.CharField(
        label=_("Solution (optional)"),
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        help_text=_("Sent as a public reply with each resolution."),
    )


class BulkRejectForm(UnfoldWidgetsMixin, forms.Form):
    preset = forms.ChoiceField(
        label=_("Standard reason"), choices=KEEP + RejectPreset.choices, required=False
    )
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text=_(
            "Each customer sees the standard text in their language, then what you write "
            "here. Required unless a standard reason is chosen."
        ),
    )

    def clean(self):
        data = super().clean()
        if not (data.get("preset") or (data.get("reason") or "").strip()):
            self.add_error("reason", _("Write the reason or choose a standard one."))
        return data

    def reason_for(self, ticket: Ticket) -> str:
        """The reason one ticket's customer sees, in their language."""
        return rejection_reason(
            preset=self.cleaned_data["preset"],
            extra=self.cleaned_data["reason"],
            language=ticket.requester.language,
        )
