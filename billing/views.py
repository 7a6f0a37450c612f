"""The portal side of billing: out-of-hours requests and decisions, monthly statements.

Thin views over ``billing.services`` / ``billing.statements``; every object is looked up
through a selector scoped to the user, so another organisation's gets a 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from billing import exports, selectors, services, statements
from billing.forms import DecisionForm, OutOfHoursRequestForm, StatementAnswerForm
from billing.models import OutOfHoursRequest, StatementStatus
from core.errors import ActionRefused
from tickets.selectors import tickets_visible_to


def _ticket_or_404(user, number: str):
    return get_object_or_404(tickets_visible_to(user), number=number)


def _back_to(ticket):
    return redirect(f"{ticket_url(ticket)}#out-of-hours")


def ticket_url(ticket) -> str:
    from django.urls import reverse

    return reverse("portal:ticket_detail", args=[ticket.number])


# --- out-of-hours work -------------------------------------------------------------


@login_required
def ooh_request(request, number: str):
    """Ask for out-of-hours work on a ticket (the form also sits on the ticket page)."""
    ticket = _ticket_or_404(request.user, number)
    if not services.may_request_out_of_hours(request.user, ticket):
        raise Http404
    start, end = services.urgent_window(timezone.now())
    form = OutOfHoursRequestForm(
        request.POST or None, actor=request.user, initial={"start": start, "end": end}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.ooh_request_create(
                ticket=ticket, actor=request.user, start=form.cleaned_data["start"],
                end=form.cleaned_data["end"], reason=form.cleaned_data["reason"],
            )
        except ActionRefused as exc:
            form.add_error(None, exc.message)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Your request for out-of-hours work is sent."))
            return _back_to(ticket)
    status = 400 if request.method == "POST" else 200
    return render(request, "billing/ooh_request.html", {"ticket": ticket, "form": form},
                  status=status)


@login_required
@require_POST
def ooh_urgent(request, number: str):
    """One click on an Urgent incident: out-of-hours work from now for four hours."""
    ticket = _ticket_or_404(request.user, number)
    try:
        ooh = services.ooh_request_urgent(ticket=ticket, actor=request.user)
    except ActionRefused as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if ooh.customer_decision == "approved":
            text = _("Out-of-hours work is requested and approved for your organisation; "
                     "a contractor manager approves it next.")
        else:
            text = _("Out-of-hours work is requested; your representative and a contractor "
                     "manager approve it next.")
        messages.success(request, text)
    return _back_to(ticket)


@login_required
@require_POST
def ooh_decide(request, pk: int):
    """The representative approves or declines a request on the customer's side."""
    visible = OutOfHoursRequest.objects.filter(ticket__in=tickets_visible_to(request.user))
    ooh = get_object_or_404(visible.select_related("ticket"), pk=pk)
    form = DecisionForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    decision = request.POST.get("decision")
    if decision not in ("approve", "decline"):
        raise Http404
    approve = decision == "approve"
    service = services.ooh_request_approve if approve else services.ooh_request_decline
    try:
        ooh = service(request=ooh, actor=request.user, comment=comment)
    except ActionRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("You approved the out-of-hours work.") if decision == "approve"
            else _("You declined the out-of-hours work."),
        )
    return _back_to(ooh.ticket)


# --- statements --------------------------------------------------------------------


def _statements(user):
    """The portal shows statements to representatives only, their organisation's."""
    if not user.is_representative:
        raise Http404
    return selectors.statements_visible_to(user)


@login_required
@require_GET
def statement_list(request):
    rows = _statements(request.user).order_by("-month")
    return render(request, "billing/statement_list.html", {"statements": rows})


@login_required
@require_GET
def statement_detail(request, pk: int):
    statement = get_object_or_404(_statements(request.user), pk=pk)
    return render(request, "billing/statement_detail.html", _detail_context(statement))


def _detail_context(statement, form=None) -> dict:
    return {
        "statement": statement,
        "lines": statement.lines.all(),
        "form": form or StatementAnswerForm(),
        "can_answer": statement.status == StatementStatus.ISSUED,
    }


@login_required
@require_POST
def statement_answer(request, pk: int):
    """The representative confirms or disputes (with a comment) the statement."""
    statement = get_object_or_404(_statements(request.user), pk=pk)
    form = StatementAnswerForm(request.POST)
    answer = request.POST.get("answer")
    if answer not in ("confirm", "dispute"):
        raise Http404
    if form.is_valid():
        comment = form.cleaned_data["comment"]
        try:
            if answer == "confirm":
                statements.statement_confirm(statement=statement, actor=request.user,
                                             comment=comment)
                messages.success(request, _("You confirmed the statement."))
            else:
                statements.statement_dispute(statement=statement, actor=request.user,
                                             comment=comment)
                messages.success(request, _("You disputed the statement; the contractor is told."))
            return redirect("billing:statement_detail", pk=statement.pk)
        except ActionRefused as exc:
            if exc.code != "no_comment":
                messages.error(request, exc.message)
                return redirect("billing:statement_detail", pk=statement.pk)
            form.add_error("comment", exc.message)
    return render(request, "billing/statement_detail.html", _detail_context(statement, form),
                  status=400)


def csv_response(statement) -> HttpResponse:
    response = HttpResponse(
        exports.statement_csv(statement), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="{exports.statement_filename(statement)}"'
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def statement_csv(request, pk: int):
    statement = get_object_or_404(_statements(request.user), pk=pk)
    return csv_response(statement)
