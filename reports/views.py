"""The contractor's reports, inside the staff admin.

Contractor staff (agents and managers) see the SLA and ticket reports; money figures
(hours billed) are for managers. The URLs are wrapped in ``admin.site.admin_view``, so
anyone else meets the admin's login page first.
"""

from functools import wraps
from urllib.parse import urlencode

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBadRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from accounts.admin import is_contractor_staff
from reports import charts, selectors
from reports.export import csv_response, number
from reports.forms import ReportFilterForm
from tickets.models import Priority, TicketType


def contractor_staff_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_contractor_staff(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def manager_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not (is_contractor_staff(request.user) and request.user.is_manager):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _page(request, template: str, title, **context) -> TemplateResponse:
    context = {
        **admin.site.each_context(request),
        "title": title,
        "report_page": template != "reports/index.html",
        **context,
    }
    return TemplateResponse(request, template, context)


def _filter(request) -> ReportFilterForm:
    return ReportFilterForm(request.GET)


def _query(form: ReportFilterForm) -> str:
    """The filter as a query string, defaults spelled out (for the CSV link)."""
    organisation = form.selected_organisation
    return urlencode({
        "start": f"{form.period.first:%Y-%m}",
        "end": f"{form.period.last:%Y-%m}",
        "organisation": organisation.pk if organisation else "",
    })


def _bad_filter(form: ReportFilterForm) -> HttpResponseBadRequest:
    errors = "; ".join(str(e) for errors in form.errors.values() for e in errors)
    return HttpResponseBadRequest(errors, content_type="text/plain; charset=utf-8")


def _filename(name: str, form: ReportFilterForm) -> str:
    organisation = form.selected_organisation
    suffix = f"-org{organisation.pk}" if organisation else ""
    return f"{name}-{form.period.slug()}{suffix}.csv"


def _month(month) -> str:
    return f"{month:%Y-%m}"


@contractor_staff_required
def index(request):
    return _page(request, "reports/index.html", _("Reports"))


# --- SLA compliance ----------------------------------------------------------------


@contractor_staff_required
def sla_report(request):
    form = _filter(request)
    context = {"form": form, "report": None}
    if form.is_valid():
        report = selectors.sla_compliance(
            period=form.period, organisation=form.selected_organisation
        )
        context.update(
            report=report,
            query=_query(form),
            chart=charts.percent_bars(
                {m.month: m.reaction_met_percent for m in report.months},
                name=_("reactions met"),
            ),
        )
    return _page(request, "reports/sla.html", _("SLA compliance"), **context)


SLA_HEADER = (
    gettext_lazy("Organisation"),
    gettext_lazy("Month"),
    gettext_lazy("Tickets filed"),
    gettext_lazy("Reactions met"),
    gettext_lazy("Reactions breached"),
    gettext_lazy("Reactions met, percent"),
    gettext_lazy("Median reaction, business hours"),
    gettext_lazy("Resolutions met"),
    gettext_lazy("Resolutions breached"),
)


@contractor_staff_required
def sla_csv(request):
    form = _filter(request)
    if not form.is_valid():
        return _bad_filter(form)
    report = selectors.sla_compliance(period=form.period, organisation=form.selected_organisation)
    rows = (
        (
            row.organisation, _month(row.month), row.filed, row.reaction_met,
            row.reaction_breached, number(row.reaction_met_percent),
            number(row.median_reaction_hours, 2), row.resolution_met, row.resolution_breached,
        )
        for row in report.rows
    )
    return csv_response(_filename("sla", form), SLA_HEADER, rows)


# --- tickets by type and priority ----------------------------------------------------

# Stacked bottom-up: the most urgent at the foot of each bar.
PRIORITY_SERIES = [(f"p{value}", label, value) for value, label in Priority.choices]


@contractor_staff_required
def tickets_report(request):
    form = _filter(request)
    context = {
        "form": form,
        "report": None,
        "types": TicketType.labels,
        "priorities": PRIORITY_SERIES,
    }
    if form.is_valid():
        report = selectors.tickets_by_type_and_priority(
            period=form.period, organisation=form.selected_organisation
        )
        stacks = {
            m.month: [(series, label, m.by_priority.get(value, 0))
                      for series, label, value in PRIORITY_SERIES]
            for m in report.months
        }
        context.update(report=report, query=_query(form), chart=charts.stacked_bars(stacks))
    return _page(request, "reports/tickets.html", _("Tickets by type and priority"), **context)


@contractor_staff_required
def tickets_csv(request):
    form = _filter(request)
    if not form.is_valid():
        return _bad_filter(form)
    report = selectors.tickets_by_type_and_priority(
        period=form.period, organisation=form.selected_organisation
    )
    header = (
        _("Organisation"), _("Month"), _("Tickets filed"),
        *TicketType.labels, *Priority.labels,
        pgettext("tickets counted", "Open"), pgettext("tickets counted", "Closed"),
        pgettext("tickets counted", "Rejected"),
    )
    rows = (
        (
            row.organisation, _month(row.month), row.filed, *row.type_counts,
            *row.priority_counts, row.open, row.closed, row.rejected,
        )
        for row in report.rows
    )
    return csv_response(_filename("tickets", form), header, rows)


# --- hours billed (managers) ---------------------------------------------------------------

HOURS_SERIES = (
    ("business", gettext_lazy("Business hours"), "business_hours"),
    ("ooh-approved", gettext_lazy("Approved out-of-hours, counted twice"), "approved_ooh_hours"),
    ("ooh-unapproved", gettext_lazy("Unapproved out-of-hours"), "unapproved_ooh_hours"),
)


@manager_required
def hours_report(request):
    form = _filter(request)
    context = {"form": form, "report": None, "series": HOURS_SERIES}
    if form.is_valid():
        report = selectors.hours_billed(
            period=form.period, organisation=form.selected_organisation
        )
        stacks = {
            m.month: [
                (series, label, getattr(m, attribute) * (2 if series == "ooh-approved" else 1))
                for series, label, attribute in HOURS_SERIES
            ]
            for m in report.months
        }
        context.update(
            report=report, query=_query(form), chart=charts.stacked_bars(stacks, places=1)
        )
    return _page(request, "reports/hours.html", _("Hours billed"), **context)


HOURS_HEADER = (
    gettext_lazy("Organisation"),
    gettext_lazy("Month"),
    gettext_lazy("Tickets worked"),
    gettext_lazy("Time entries"),
    gettext_lazy("Business hours"),
    gettext_lazy("Approved out-of-hours hours"),
    gettext_lazy("Unapproved out-of-hours hours"),
    gettext_lazy("Billable hours"),
    gettext_lazy("Hours not billed"),
    gettext_lazy("Out-of-hours entries to review"),
    gettext_lazy("Statement"),
    gettext_lazy("Billable hours in the statement"),
)


@manager_required
def hours_csv(request):
    form = _filter(request)
    if not form.is_valid():
        return _bad_filter(form)
    report = selectors.hours_billed(period=form.period, organisation=form.selected_organisation)
    rows = (
        (
            row.organisation, _month(row.month), row.tickets, row.entries,
            number(row.business_hours, 2), number(row.approved_ooh_hours, 2),
            number(row.unapproved_ooh_hours, 2), number(row.billable_hours, 2),
            number(row.non_billable_hours, 2), row.to_review,
            row.statement_label, number(row.statement_billable_hours, 2),
        )
        for row in report.rows
    )
    return csv_response(_filename("hours", form), HOURS_HEADER, rows)



# --- satisfaction --------------------------------------------------------------------

def _score_series():
    """The scores as chart series, stacked bottom-up (the lowest at the foot), in the
    reader's language."""
    return [
        (f"s{score}", _("%(score)s of 5") % {"score": score}, score)
        for score in selectors.SCORES
    ]


@contractor_staff_required
def satisfaction_report(request):
    form = _filter(request)
    series = _score_series()
    context = {"form": form, "report": None, "scores": series}
    if form.is_valid():
        report = selectors.satisfaction(
            period=form.period, organisation=form.selected_organisation
        )
        stacks = {
            m.month: [(name, label, m.by_score.get(score, 0)) for name, label, score in series]
            for m in report.months
        }
        context.update(report=report, query=_query(form), chart=charts.stacked_bars(stacks))
    return _page(request, "reports/satisfaction.html", _("Customer satisfaction"), **context)


@contractor_staff_required
def satisfaction_csv(request):
    form = _filter(request)
    if not form.is_valid():
        return _bad_filter(form)
    report = selectors.satisfaction(period=form.period, organisation=form.selected_organisation)
    header = (
        _("Organisation"), _("Month"), _("Resolved by"), _("Ratings"), _("Average score"),
        *(label for _series, label, _score in _score_series()),
    )
    rows = (
        (
            row.organisation, _month(row.month), row.agent or _("Nobody"), row.rated,
            number(row.average, 2), *row.score_counts,
        )
        for row in report.rows
    )
    return csv_response(_filename("satisfaction", form), header, rows)
