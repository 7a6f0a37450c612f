"""The contractor's triage tool: tickets in the staff admin.

The admin never saves a ticket itself. Buttons come from the state machine
(``get_available_user_status_transitions``) and fire ``tickets.services``; the change
form's fields are actions handed to services too (see ``tickets.admin_forms``).
"""

import copy
import threading

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import PAGE_VAR, ChangeList
from django.core.exceptions import PermissionDenied, SuspiciousOperation, ValidationError
from django.db.models import F, Prefetch, Q
from django.http import Http404, HttpResponseBadRequest, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django_fsm.admin import FSMAdminMixin, FSMTransitionContext
from unfold.admin import ModelAdmin

from accounts.admin import ManagedByManagersMixin, is_contractor_staff
from accounts.models import Organisation
from core import dates
from core.admin_widgets import UnfoldWidgetsMixin
from core.markdown import render_markdown
from core.pagination import EstimatedCountPaginator
from core.submit import new_token
from core.templatetags.admin_filters import filter_heading
from moderation import selectors as moderation_selectors
from sla import services as sla_services
from sla.display import deadline_text, live_deadline, time_left_text
from tickets import (
    admin_merge,
    admin_presence,
    admin_saved_views,
    kept_uploads,
    search,
    selectors,
    services,
)
from tickets.admin_forms import (
    INTERNAL,
    PUBLIC,
    BulkAssignForm,
    BulkMergeForm,
    BulkPriorityForm,
    BulkRejectForm,
    BulkResolveForm,
    MarkDuplicateForm,
    RejectForm,
    RequestInfoForm,
    ResolveForm,
    TicketAddForm,
    TicketChangeForm,
)
from tickets.macros import (
    PLACEHOLDERS,
    macro_effects_text,
    placeholder_values,
    render_macro,
    unknown_placeholders,
)
from tickets.models import (
    OPEN_STATUSES,
    Macro,
    RulesPage,
    SlaState,
    Ticket,
    live_deadline_expression,
)

# unfold's filter template (admin/filter.html), written in Python for the list's filters
# (core.templatetags.admin_filters): the organisation and assignee filters alone draw
# dozens of choices.
LEAN_FILTER_TEMPLATE = "admin/lean_filter.html"


class QueueFilter(admin.SimpleListFilter):
    """The staff's saved views: the built-in queues (one click from the list and the
    dashboard), then each staff member's own (``tickets.admin_saved_views``)."""

    title = _("view")
    parameter_name = "queue"
    template = "admin/tickets/ticket/_view_filter.html"

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        self.request = request

    def lookups(self, request, model_admin):
        return selectors.QUEUES

    @property
    def summary(self) -> str:
        """The filter's heading as Django words it (in Django's own catalogue)."""
        return filter_heading(self.title)

    def choices(self, changelist):
        built_in = list(super().choices(changelist))
        return admin_saved_views.saved_view_choices(self.request, changelist, built_in)

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        condition = selectors.queue_condition(
            self.value(), user=request.user, now=timezone.now()
        )
        return queryset if condition is None else queryset.filter(condition)


class AssignmentFilter(admin.SimpleListFilter):
    title = _("assignment")
    template = LEAN_FILTER_TEMPLATE
    parameter_name = "assigned"

    def lookups(self, request, model_admin):
        return [("me", _("Assigned to me")), ("none", _("Unassigned"))]

    def queryset(self, request, queryset):
        if self.value() == "me":
            return queryset.filter(assignee=request.user)
        if self.value() == "none":
            return queryset.filter(assignee__isnull=True)
        return queryset


class OpenFilter(admin.SimpleListFilter):
    title = _("open or finished")
    template = LEAN_FILTER_TEMPLATE
    parameter_name = "open"

    def lookups(self, request, model_admin):
        return [("yes", _("Open")), ("no", _("Closed or rejected"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(status__in=OPEN_STATUSES)
        if self.value() == "no":
            return queryset.exclude(status__in=OPEN_STATUSES)
        return queryset


class SlaFilter(admin.SimpleListFilter):
    title = _("SLA")
    template = LEAN_FILTER_TEMPLATE
    parameter_name = "sla"

    def lookups(self, request, model_admin):
        return [
            ("at_risk", _("At risk")),
            ("breached", _("Breached")),
            ("paused", _("Paused")),
            ("on_track", _("On track")),
        ]

    def queryset(self, request, queryset):
        states = {
            "at_risk": [SlaState.AT_RISK],
            "breached": [SlaState.BREACHED],
            "paused": [SlaState.PAUSED],
            "on_track": [SlaState.RUNNING],
        }.get(self.value())
        if not states:
            return queryset
        return queryset.filter(selectors.sla_state_is(*states))


class FlaggedFilter(admin.SimpleListFilter):
    """The review queue: tickets or comments sent with improper words, not reviewed yet."""

    title = _("moderation")
    template = LEAN_FILTER_TEMPLATE
    parameter_name = "flagged"

    def lookups(self, request, model_admin):
        return [("yes", _("Flagged for review"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(moderation_selectors.has_open_flag())
        return queryset


class ChoicesFilter(admin.ChoicesFieldListFilter):
    """Django's filter by a field's choices, drawn by LEAN_FILTER_TEMPLATE."""

    template = LEAN_FILTER_TEMPLATE


class RelatedFilterReadWhenShown(admin.RelatedFieldListFilter):
    """Django's filter by a related row (an organisation, an assignee), its choices (every
    such row) read only when the list draws them: the ticket page's neighbours
    (``NeighbourList``) apply the list's filters without drawing any. Drawn by
    LEAN_FILTER_TEMPLATE."""

    template = LEAN_FILTER_TEMPLATE

    def field_choices(self, field, request, model_admin):
        parent = super().field_choices
        return SimpleLazyObject(lambda: parent(field, request, model_admin))

    def has_output(self):
        if getattr(self.request, "filters_only", False) and not self.used_parameters:
            return True  # not drawn, and filters nothing: whether it would be shown is moot
        return super().has_output()


def sla_deadline_expression():
    """The deadline the agent works against (``tickets.models.live_deadline_expression``)."""
    return live_deadline_expression()


# The calendar for one changelist request (list_display callables get no request).
_request_calendar = threading.local()


SUMMARY_FIELDS = (
    "number",
    "status",
    "organisation",
    "requester",
    "subject",
    "type",
    "priority",
    "assignee",
    "channel",
    "sender_unverified",
    "created_at",
    "age",
    "first_accepted_at",
    "resolved_at",
    "closed_at",
    "rejected_at",
    "reject_reason",
    "description",
    "sla_summary",
    "moderation_flag",
    "watchers",
)


@admin.register(Ticket)
class TicketAdmin(FSMAdminMixin, ModelAdmin):
    fsm_fields = ["status"]
    fsm_forms = {
        "request_info": RequestInfoForm,
        "resolve": ResolveForm,
        "reject": RejectForm,
        "mark_duplicate": MarkDuplicateForm,
    }
    change_form_template = "admin/tickets/ticket/change_form.html"
    fsm_transition_form_template = "admin/tickets/ticket/transition_form.html"

    # Fits 1280 px: the number with the subject (and the review flag) in one column.
    list_display = (
        "ticket",
        "organisation",
        "priority",
        "status",
        "assignee",
        "sla_left",
        "age",
    )
    list_display_links = ("ticket",)
    list_filter = (
        QueueFilter,
        AssignmentFilter,
        OpenFilter,
        FlaggedFilter,
        SlaFilter,
        ("status", ChoicesFilter),
        ("type", ChoicesFilter),
        ("priority", ChoicesFilter),
        ("organisation", RelatedFilterReadWhenShown),
        ("assignee", RelatedFilterReadWhenShown),
    )
    list_select_related = ("organisation", "assignee")
    # Searched by get_search_results (the search document and the number's index).
    search_fields = ("subject",)
    search_help_text = _("Words, a ticket number or an organisation's name")
    ordering = ("-created_at", "-id")  # see get_ordering
    list_per_page = 50
    # No expandable sections under the rows (unfold's list_sections), said here: a missing
    # attribute is looked up again in each row of the list template.
    list_sections = ()
    # Nor fields shown on a condition (unfold's conditional_fields): looked up again for
    # each field of the change form otherwise.
    conditional_fields = {}
    # One count of the filtered list, estimated past EXACT_COUNT_LIMIT; not a second one
    # of the whole table.
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    readonly_fields = SUMMARY_FIELDS
    actions = (
        "bulk_assign_to_me",
        "bulk_assign",
        "bulk_accept",
        "bulk_change_priority",
        "bulk_resolve",
        "bulk_reject",
        "bulk_merge",
    )

    class Media:
        js = ("js/admin_tickets.js",)

    # --- permissions: by role, not Django model permissions ---------------------------

    def has_module_permission(self, request):
        return is_contractor_staff(request.user)

    def has_view_permission(self, request, obj=None):
        return is_contractor_staff(request.user)

    def has_change_permission(self, request, obj=None):
        return is_contractor_staff(request.user)

    def has_add_permission(self, request):
        return is_contractor_staff(request.user)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    # --- list -------------------------------------------------------------------------

    def get_queryset(self, request):
        return (
            selectors.tickets_visible_to(request.user)
            .annotate(sla_deadline=sla_deadline_expression())
            .annotate(flag_words=moderation_selectors.open_flag_words())
            .order_by(*self.get_ordering(request))
        )

    def get_object(self, request, object_id, from_field=None):
        """The ticket, read once for a page that only shows it: the state machine's
        change_view reads it for the status buttons before Django's change form reads it
        again. A post reads it afresh each time."""
        if request.method not in ("GET", "HEAD"):
            return self._read_ticket(request, object_id, from_field)
        read = request.__dict__.setdefault("_tickets_read", {})
        key = (object_id, from_field)
        if key not in read:
            read[key] = self._read_ticket(request, object_id, from_field)
        return read[key]

    def _read_ticket(self, request, object_id, from_field=None):
        """Django's get_object on the tickets this person may see, without what the list
        annotates for its columns and order (a ticket page shows neither)."""
        field = Ticket._meta.pk if from_field is None else Ticket._meta.get_field(from_field)
        try:
            object_id = field.to_python(object_id)
            return selectors.tickets_visible_to(request.user).get(**{field.name: object_id})
        except (Ticket.DoesNotExist, ValidationError, ValueError):
            return None

    def get_ordering(self, request):
        """The most urgent live deadline first (reaction while new, resolution in
        progress); tickets without one (paused, finished) after them, newest first.
        The expression itself, not the list's annotation: other admins' ticket choices
        (a time entry's ticket) are ordered by this too, on a plain queryset."""
        return (sla_deadline_expression().asc(nulls_last=True), *self.ordering)

    def get_search_results(self, request, queryset, search_term):
        """The portal's search (words as a search engine reads them, or a number), or
        the tickets of the organisations whose name has the term."""
        term = " ".join(search_term.split())[:200]
        if not term:
            return queryset, False
        condition = search.matching(term) or Q(pk__in=[])
        organisations = list(
            Organisation.objects.filter(name__icontains=term).values_list("pk", flat=True)[:50]
        )
        if organisations:
            condition |= Q(organisation_id__in=organisations)
        return queryset.filter(condition), False

    def changelist_view(self, request, extra_context=None):
        if admin_saved_views.is_saved_view_post(request):
            return admin_saved_views.handle_post(self, request)
        _request_calendar.value = (sla_services.current_calendar(), timezone.now())
        try:
            response = super().changelist_view(request, extra_context)
            context = getattr(response, "context_data", None) or {}
            if "cl" in context and "save_view_form" not in context:
                context["save_view_form"] = admin_saved_views.save_form_for(
                    request, context["cl"]
                )
            if hasattr(response, "render"):
                response.render()  # while this request's calendar is in place
            return response
        finally:
            _request_calendar.value = None

    @admin.display(description=_("SLA left"), ordering=F("sla_deadline").asc(nulls_last=True))
    def sla_left(self, obj: Ticket):
        calendar, now = getattr(_request_calendar, "value", None) or (
            sla_services.current_calendar(),
            timezone.now(),
        )
        text = time_left_text(obj, calendar, now)
        if not text:
            return "—"
        _due, state = live_deadline(obj)
        return format_html('<span class="sla sla-{}">{}</span>', state, text)

    @admin.display(description=_("SLA"))
    def sla_summary(self, obj: Ticket):
        rows = []
        if obj.reaction_due:
            rows.append((_("Reaction due"), deadline_text(obj.reaction_due), obj.reaction_state))
        if obj.resolution_due:
            rows.append(
                (_("Resolution due"), deadline_text(obj.resolution_due), obj.resolution_state)
            )
        return format_html_join(
            "",
            '<div><strong>{}</strong>: {} <span class="sla sla-{}">{}</span></div>',
            ((label, when, state, SlaState(state).label) for label, when, state in rows),
        )

    @admin.display(description=_("ticket"), ordering="number")
    def ticket(self, obj: Ticket):
        words = getattr(obj, "flag_words", None)
        flag = (
            format_html(
                ' <span class="flagged" title="{}">⚑ {}</span>',
                _("Flagged for review"),
                ", ".join(words),
            )
            if words
            else ""
        )
        return format_html(
            '<span class="ticket-number">{}</span> <span class="ticket-subject">{}</span>{}',
            obj.number,
            obj.subject,
            flag,
        )

    @admin.display(description=_("review"))
    def moderation_flag(self, obj: Ticket):
        flags = moderation_selectors.open_flags_of(obj)
        if not flags:
            return "—"
        url = reverse("admin:moderation_flag_changelist") + f"?ticket__exact={obj.pk}"
        return format_html(
            '<strong class="flagged">⚠ {}</strong> {} <a href="{}">{}</a>',
            _("Flagged for review: improper words"),
            ", ".join(dict.fromkeys(word for flag in flags for word in flag.words)),
            url,
            _("Review the flags"),
        )

    @admin.display(description=_("age"), ordering="-created_at")
    def age(self, obj: Ticket) -> str:
        return dates.relative_time(obj.created_at)

    @admin.display(description=_("description"))
    def description(self, obj: Ticket):
        return render_markdown(obj.body)

    # --- bulk actions: the same services, one transaction per ticket -------------------

    @admin.action(description=_("Assign to me"))
    def bulk_assign_to_me(self, request, queryset):
        self._bulk_assign(request, queryset, request.user)

    @admin.action(description=_("Assign to…"))
    def bulk_assign(self, request, queryset):
        form = BulkAssignForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return self._bulk_form(request, queryset, form, "bulk_assign")
        self._bulk_assign(request, queryset, form.cleaned_data["assignee"])
        return None

    def _bulk_assign(self, request, queryset, assignee) -> None:
        """Each ticket through ``ticket_assign``; one already so is reported, not changed."""
        target = assignee.pk if assignee else None

        def assign(ticket: Ticket) -> None:
            if ticket.assignee_id == target:
                raise services.ActionRefused(
                    _("It is assigned to %(name)s already.") % {"name": assignee.get_full_name()}
                    if assignee
                    else _("Nobody is assigned to it already.")
                )
            services.ticket_assign(ticket=ticket, actor=request.user, assignee=assignee)

        self._bulk(request, queryset, assign)

    @admin.action(description=_("Accept"))
    def bulk_accept(self, request, queryset):
        self._bulk(
            request,
            queryset,
            lambda ticket: services.ticket_accept(ticket=ticket, actor=request.user),
        )

    @admin.action(description=_("Change priority…"))
    def bulk_change_priority(self, request, queryset):
        form = BulkPriorityForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return self._bulk_form(request, queryset, form, "bulk_change_priority")
        data = form.cleaned_data
        self._bulk(
            request,
            queryset,
            lambda ticket: services.ticket_change_priority(
                ticket=ticket, actor=request.user, priority=data["priority"], reason=data["reason"]
            ),
        )
        return None

    @admin.action(description=_("Resolve…"))
    def bulk_resolve(self, request, queryset):
        form = BulkResolveForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return self._bulk_form(request, queryset, form, "bulk_resolve")
        message = form.cleaned_data["message"]
        self._bulk(
            request,
            queryset,
            lambda ticket: services.ticket_resolve(
                ticket=ticket, actor=request.user, message=message
            ),
        )
        return None

    @admin.action(description=_("Reject…"))
    def bulk_reject(self, request, queryset):
        form = BulkRejectForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return self._bulk_form(request, queryset, form, "bulk_reject")
        self._bulk(
            request,
            queryset.select_related("requester"),
            lambda ticket: services.ticket_reject(
                ticket=ticket,
                actor=request.user,
                reason=form.reason_for(ticket),
                preset=form.cleaned_data["preset"],
            ),
        )
        return None

    @admin.action(description=_("Merge selected into…"))
    def bulk_merge(self, request, queryset):
        form = BulkMergeForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return self._bulk_form(request, queryset, form, "bulk_merge")
        original = form.cleaned_data["original"]
        self._bulk(
            request,
            queryset.exclude(pk=original.pk),
            lambda ticket: services.ticket_merge(
                ticket=ticket, actor=request.user, original=original
            ),
        )
        return None

    def _bulk_form(self, request, queryset, form, action: str):
        context = self.admin_site.each_context(request) | {
            "opts": self.opts,
            "title": self.get_actions(request)[action][2],
            "action": action,
            "form": form,
            "tickets": list(queryset.order_by("number")),
        }
        return TemplateResponse(request, "admin/tickets/ticket/bulk_form.html", context)

    def _bulk(self, request, queryset, act) -> None:
        """Act on each ticket in its own transaction (the service's); then say which
        tickets were changed and which were refused, and why."""
        changed, refused = [], []
        for ticket in queryset.order_by("number"):
            try:
                act(ticket)
            except services.ActionRefused as exc:
                refused.append((ticket.number, exc.message))
            except ValidationError as exc:
                refused.append((ticket.number, " ".join(exc.messages)))
            else:
                changed.append(ticket.number)
        if changed:
            self.message_user(
                request, _("Changed: %(numbers)s.") % {"numbers": ", ".join(changed)}
            )
        for number, why in refused:
            self.message_user(
                request,
                _("Not changed: %(number)s: %(why)s") % {"number": number, "why": why},
                messages.WARNING,
            )

    # --- forms ------------------------------------------------------------------------

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return ADD_FIELDSETS
        fieldsets = CHANGE_FIELDSETS
        if not obj.reject_reason:
            fieldsets = _without_field(fieldsets, "reject_reason")
        if moderation_selectors.open_flags_of(obj):
            fieldsets = _with_first_field(fieldsets, "moderation_flag")
        if obj.sender_unverified:  # an e-mail identity nobody proved: say so first
            fieldsets = _with_first_field(fieldsets, "sender_unverified")
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        # Every ticket field is read-only on the change page; the add form has none.
        return SUMMARY_FIELDS if obj is not None else ()

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = TicketChangeForm if obj is not None else TicketAddForm
        form = super().get_form(request, obj, change=change, **kwargs)
        attrs = {"actor": request.user}
        if obj is not None and request.method == "POST":
            attrs["transition"] = request.POST.get(self.fsm_post_param, "")
        if obj is not None and getattr(request, "macro_preview", None):
            attrs["preview"] = request.macro_preview
        return type(form.__name__, (form,), attrs)

    def save_model(self, request, obj, form, change):
        # The form's services have written everything already; a Ticket is never saved here.
        for text in form.done:
            self.message_user(request, text, messages.SUCCESS)
        for text in getattr(form, "warnings", ()):
            self.message_user(request, text, messages.WARNING)
        request.ticket_transition_fired = form.fired
        request.ticket_submit_repeated = form.repeated
        if form.repeated:
            self.message_user(
                request, _("This was sent already; here is the result."), messages.INFO
            )

    def log_addition(self, request, obj, message):
        if getattr(request, "ticket_submit_repeated", ""):
            return None  # the first post filed the ticket and logged it
        return super().log_addition(request, obj, message)

    def response_add(self, request, obj, post_url_continue=None):
        if getattr(request, "ticket_submit_repeated", ""):
            return HttpResponseRedirect(request.ticket_submit_repeated)
        return super().response_add(request, obj, post_url_continue)

    def response_post_save_add(self, request, obj):
        return HttpResponseRedirect(self._ticket_url(request, obj))

    # --- change page ------------------------------------------------------------------

    def get_urls(self):
        meta = self.opts
        return [
            path(
                "<path:object_id>/presence/",
                self.admin_site.admin_view(self.presence_view),
                name=f"{meta.app_label}_{meta.model_name}_presence",
            ),
            path(
                "<path:object_id>/merge/",
                self.admin_site.admin_view(self.merge_view),
                name=f"{meta.app_label}_{meta.model_name}_merge",
            ),
            *super().get_urls(),
        ]

    def presence_view(self, request, object_id):
        return admin_presence.presence_view(self, request, object_id)

    def merge_view(self, request, object_id):
        return admin_merge.merge_view(self, request, object_id)
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if object_id and request.method == "POST" and request.POST.get("use_macro"):
            return self._use_macro(request, object_id, form_url, extra_context)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def _use_macro(self, request, object_id, form_url, extra_context):
        """"Use macro" without JavaScript: the page again, nothing done, with the macro's
        text after what was typed (files chosen must be chosen again)."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None or not self.has_change_permission(request, obj):
            raise Http404
        post = request.POST
        typed = post.get("reply", "")
        macro = Macro.objects.filter(is_active=True, pk=post.get("macro") or None).first()
        if macro is None:
            self.message_user(request, _("Choose a macro first."), messages.WARNING)
            text = typed
        else:
            rendered = render_macro(macro, obj, request.user)
            text = f"{typed.rstrip()}\n\n{rendered}" if typed.strip() else rendered
        kind = INTERNAL if post.get("reply_kind") == INTERNAL else PUBLIC
        preview = copy.copy(request)
        preview.method = "GET"
        preview.macro_preview = {
            "reply": text,
            "reply_kind": kind,
            "macro": macro.pk if macro else None,
            "expected_status": post.get("expected_status", ""),
            # Files kept from an earlier try, and those chosen now, stay with the box (a
            # browser never sends chosen files twice).
            "kept": kept_uploads.keep(
                user=request.user,
                files=request.FILES.getlist("reply_files"),
                already=kept_uploads.taken(user=request.user, post=post, prefix="reply"),
            ),
        }
        return super().changeform_view(preview, object_id, form_url, extra_context)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if change and obj is not None:
            adminform = context.get("adminform")
            context.update(self._ticket_panel(request, obj, getattr(adminform, "form", None)))
            # The mixin hands a generator; the page shows the buttons twice.
            transitions = context.get(self.fsm_context_key) or ()
            context[self.fsm_context_key] = list(transitions)
            context["show_save_and_add_another"] = False
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _ticket_panel(self, request, ticket: Ticket, form=None) -> dict:
        user = request.user
        conversation = self._conversation(user, ticket)
        if form is not None and not form.is_bound and "seen" in form.fields:
            # Staff see every comment: the page's own read is the whole conversation.
            form.fields["seen"].initial = services.seen_state(ticket, conversation["comments"])
        return {
            "ticket_panel": True,
            **conversation,
            "links": self._links(request, ticket, form),
            "history": selectors.history_of(ticket),
            "sla_events": ticket.sla_events.all(),
            "presence_poll_ms": settings.PRESENCE_POLL_SECONDS * 1000,
            "can_merge": admin_merge.can_merge(user, ticket),
            "ratings": ticket.ratings.select_related("rated_by", "agent"),
            "macros": self._macros_for(request, ticket),
            "neighbours": self._neighbours(request, ticket),
            "assign_token": new_token(),
        }

    @staticmethod
    def _conversation(user, ticket: Ticket) -> dict:
        """The comments, each with its files (``files``), and the files of the ticket
        itself: the ticket's files read in one query and shared out."""
        files = (
            selectors.attachments_visible_to(user)
            .filter(ticket=ticket)
            .select_related("merged_from")
            .defer(*_MERGED_FROM_DEFERRED)
        )
        by_comment: dict[int | None, list] = {}
        for file in files:
            by_comment.setdefault(file.comment_id, []).append(file)
        comments = list(
            selectors.comments_visible_to(user, ticket)
            .prefetch_related(None)  # the files are shared out below
            .prefetch_related(Prefetch("merged_from", queryset=Ticket.objects.only(*_MERGED_FROM)))
        )
        for comment in comments:
            comment.files = by_comment.get(comment.pk, [])
        return {"comments": comments, "ticket_files": by_comment.get(None, [])}

    @staticmethod
    def _links(request, ticket: Ticket, form) -> list[dict]:
        """The ticket's links: those the change form read for its "Remove links" choices
        when the page only shows the ticket, else read now (a post may have changed them)."""
        if form is not None and not form.is_bound and getattr(form, "links", None) is not None:
            return form.links
        return selectors.links_of(request.user, ticket)

    def _macros_for(self, request, ticket: Ticket) -> list[dict]:
        """The active macros with their text ready for this ticket (the page's script
        puts it in the reply box) and what they change."""
        macros = Macro.objects.filter(is_active=True).select_related("set_assignee")
        values = placeholder_values(ticket, request.user)
        return [
            {
                "id": macro.pk,
                "name": macro.name,
                "text": render_macro(macro, ticket, request.user, values),
                "effects": macro_effects_text(macro),
            }
            for macro in macros
        ]

    def get_changelist(self, request, **kwargs):
        if getattr(request, "filters_only", False):
            return NeighbourList
        return super().get_changelist(request, **kwargs)

    def _neighbours(self, request, ticket: Ticket) -> dict:
        """The tickets before and after this one in the list it was opened from (the
        list's filters, search and order, carried in ``_changelist_filters``), with links
        that carry that list on (its page number moved when a neighbour is on the next
        or the previous page)."""
        filters = QueryDict(request.GET.get("_changelist_filters", ""), mutable=True)
        listing = copy.copy(request)
        listing.method = "GET"
        listing.GET = filters
        listing.filters_only = True
        try:
            changelist = self.get_changelist_instance(listing)
        except (IncorrectLookupParameters, SuspiciousOperation):
            return {}  # a list that cannot be shown has no neighbours; the ticket still can
        per_page = self.list_per_page
        start = max(0, (changelist.page_num - 1) * per_page - 1)
        ids = list(
            changelist.queryset.values_list("pk", flat=True)[start : start + per_page + 2]
        )
        if ticket.pk not in ids:
            return {}
        at = ids.index(ticket.pk)
        found = {}
        for name, index in (("previous", at - 1), ("next", at + 1)):
            if 0 <= index < len(ids):
                page = (start + index) // per_page + 1
                carried = filters.copy()
                carried.pop(PAGE_VAR, None)
                if page > 1:
                    carried[PAGE_VAR] = str(page)
                url = reverse("admin:tickets_ticket_change", args=[ids[index]])
                found[name] = (
                    f"{url}?{urlencode({'_changelist_filters': carried.urlencode()})}"
                    if carried
                    else url
                )
        return found

    def response_change(self, request, obj):
        if getattr(request, "ticket_submit_repeated", ""):
            return HttpResponseRedirect(self._ticket_url(request, obj))
        transition = request.POST.get(self.fsm_post_param)
        if transition:
            return self._response_transition(request, obj, transition)
        if request.POST.get("assign_to_me"):
            return HttpResponseRedirect(self._ticket_url(request, obj))
        return super().response_change(request, obj)

    def _response_transition(self, request, obj: Ticket, name: str):
        """The status button pressed on the ticket page. The form checked that nobody
        changed the ticket since the page was shown (and fired the transition itself when
        the typed reply is its message); a transition that needs more goes to its form
        page, carrying the status the agent saw."""
        if name not in services.TRANSITION_SERVICES:
            raise Http404
        expected = request.POST.get("expected_status", "")
        if getattr(request, "ticket_transition_fired", ""):
            return HttpResponseRedirect(self._ticket_url(request, obj))
        transition = self._get_fsm_transition_by_name(obj=obj, transition_name=name)
        if self.get_fsm_transition_form(transition):
            url = reverse(
                "admin:tickets_ticket_transition",
                kwargs={"object_id": obj.pk, "transition_name": name},
            )
            return HttpResponseRedirect(f"{url}?{urlencode({'expected_status': expected})}")
        self._apply_fsm_transition(
            obj=obj, transition_name=name, request=request, kwargs={"expected_status": expected}
        )
        return HttpResponseRedirect(self._ticket_url(request, obj))

    def _ticket_url(self, request, obj: Ticket) -> str:
        url = reverse("admin:tickets_ticket_change", args=[obj.pk])
        context = {"preserved_filters": self.get_preserved_filters(request), "opts": self.opts}
        return add_preserved_filters(context, url)

    # --- transitions, through the services --------------------------------------------

    @staticmethod
    def get_fsm_block_label(fsm_field_name: str) -> str:
        return _("Change status")

    def get_help_text(self, transition) -> str:
        return transition.custom.get("help_text") or ""

    def fsm_transition_view(self, request, object_id, transition_name, **kwargs):
        """The second step of a transition that needs input (a message, a reason, the
        original). It acts on the status the agent saw on the ticket page (carried in
        ``?expected_status=``): a change since is refused with the typed text kept and
        the form armed with the status now, so one more click sends it."""
        if transition_name not in services.TRANSITION_SERVICES:
            raise Http404
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        transition = self._get_fsm_transition_by_name(obj=obj, transition_name=transition_name)
        if not transition.has_perm(obj, user=request.user):
            self.message_user(request, _("You may not do that with this ticket."), messages.ERROR)
            return HttpResponseRedirect(self._ticket_url(request, obj))
        form_class = self.get_fsm_transition_form(transition)
        if form_class is None:
            return HttpResponseBadRequest()
        if request.method == "POST":
            form = form_class(data=request.POST, instance=obj)
            if form.is_valid():
                refusal = self._fire(obj, transition_name, request, form.cleaned_data)
                if refusal is None:
                    return HttpResponseRedirect(self._ticket_url(request, obj))
                if refusal.code == "concurrent":
                    form.rearm()
                    self.message_user(
                        request,
                        _("Your text is kept below: look at the ticket, then send it again."),
                        messages.WARNING,
                    )
        else:
            seen = request.GET.get("expected_status") or obj.status
            form = form_class(instance=obj, initial={"expected_status": seen})
        context = self.admin_site.each_context(request) | {
            "opts": self.opts,
            "original": obj,
            "transition": FSMTransitionContext(
                name=transition_name,
                label=self.get_fsm_label(transition),
                help_text=self.get_help_text(transition),
            ),
            "transition_form": form,
        }
        return render(request, self.fsm_transition_form_template, context)

    def _apply_fsm_transition(self, *, obj, transition_name, request, kwargs=None) -> bool:
        return self._fire(obj, transition_name, request, kwargs) is None

    def _fire(self, obj, transition_name, request, params) -> services.ActionRefused | None:
        """Fire the transition's service on the status the agent saw; the refusal, if any,
        is told to the agent and returned."""
        params = dict(params or {})
        expected = params.pop("expected_status", "")
        service = services.TRANSITION_SERVICES[transition_name]
        try:
            services.check_unchanged(obj, expected)
            service(ticket=obj, actor=request.user, **params)
        except services.ActionRefused as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return exc
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return services.ActionRefused(" ".join(exc.messages), code="invalid")
        # The service has given ``obj`` the saved state.
        self.message_user(request, self._transition_done(obj), messages.SUCCESS)
        return None

    @staticmethod
    def _transition_done(ticket: Ticket) -> str:
        return _("%(number)s is now “%(status)s”.") % {
            "number": ticket.number,
            "status": ticket.get_status_display(),
        }


# A comment or file merged from another ticket shows that ticket's number, nothing else.
# What a moved comment or file shows of the ticket it came from: its number (and its
# status, which the state machine reads whenever a ticket is built).
_MERGED_FROM = ("number", "status")
_MERGED_FROM_DEFERRED = tuple(
    f"merged_from__{field.name}"
    for field in Ticket._meta.concrete_fields
    if field.name not in ("id", *_MERGED_FROM)
)


class NeighbourList(ChangeList):
    """The list's filters, search and order without fetching a page of it."""

    def get_results(self, request):
        pass


def _without_field(fieldsets, name: str) -> list:
    return [
        (title, {**options, "fields": [f for f in options["fields"] if f != name]})
        for title, options in fieldsets
    ]


def _with_first_field(fieldsets, name: str) -> list:
    (title, options), *rest = fieldsets
    return [(title, {**options, "fields": [name, *options["fields"]]}), *rest]


ADD_FIELDSETS = (
    (_("Customer"), {"fields": ("organisation", "requester", "channel")}),
    (_("Ticket"), {"fields": ("type", "priority", "subject", "body", "files", "submit_token")}),
)

CHANGE_FIELDSETS = (
    (
        None,
        {
            "fields": (
                ("number", "status"),
                ("organisation", "requester"),
                "subject",
                ("type", "priority"),
                ("assignee", "channel"),
                "watchers",
                ("created_at", "age"),
                "sla_summary",
                "reject_reason",
                "description",
                ("expected_status", "seen", "submit_token"),
            )
        },
    ),
    (
        _("Dates"),
        {
            "classes": ("collapse",),
            "fields": (("first_accepted_at", "resolved_at"), ("closed_at", "rejected_at")),
        },
    ),
    (
        _("Reply"),
        {
            "classes": ("ticket-reply",),
            "fields": ("reply_kind", "macro", "use_macro", "reply", "reply_files"),
        },
    ),
    (
        _("Triage"),
        {
            "fields": (
                ("assign_to", "assign_to_me"),
                ("new_priority", "priority_reason"),
                ("new_type", "type_reason"),
            )
        },
    ),
    (
        _("Add or remove links"),
        {"classes": ("ticket-links",), "fields": (("link_kind", "link_ticket"), "unlink")},
    ),
)


@admin.register(RulesPage)
class RulesPageAdmin(ManagedByManagersMixin, ModelAdmin):
    """Managers word the ticketing rules per language; deleting a page brings back the
    built-in summary of the vendor's rules."""

    list_display = ("language", "updated_at", "updated_by")
    fields = ("language", "body")

    def has_delete_permission(self, request, obj=None):
        return request.user.is_manager

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


class MacroForm(UnfoldWidgetsMixin, forms.ModelForm):
    class Meta:
        model = Macro
        fields = (
            "name",
            "body_en",
            "body_ru",
            "set_status",
            "set_priority",
            "set_assignee",
            "is_active",
            "position",
        )

    def clean(self):
        data = super().clean()
        for name in ("body_en", "body_ru"):
            unknown = unknown_placeholders(data.get(name) or "")
            if unknown:
                self.add_error(
                    name,
                    _("Unknown placeholder: %(names)s. Use %(known)s.")
                    % {
                        "names": ", ".join(f"{{{{ {n} }}}}" for n in unknown),
                        "known": ", ".join(f"{{{{ {n} }}}}" for n in PLACEHOLDERS),
                    },
                )
        return data


@admin.register(Macro)
class MacroAdmin(ManagedByManagersMixin, ModelAdmin):
    """Managers write the canned replies; agents see them here and pick them on the
    ticket page."""

    form = MacroForm
    list_display = ("name", "set_status", "set_priority", "set_assignee", "is_active", "position")
    list_filter = ("is_active",)
    list_select_related = ("set_assignee",)
    search_fields = ("name", "body_en", "body_ru")

    def has_delete_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_manager

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        rows = format_html_join(
            "", "<li><code>{{{{ {} }}}}</code>: {}</li>", PLACEHOLDERS.items()
        )
        hint = format_html("{}<ul>{}</ul>", _("Placeholders:"), rows)
        for name in ("body_en", "body_ru"):
            if name in form.base_fields:
                form.base_fields[name].help_text = hint
        return form
