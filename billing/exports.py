"""A statement as CSV, safe to open in a spreadsheet.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read
by Excel, LibreOffice and Google Sheets as a formula (CSV injection: a ticket subject
like ``=HYPERLINK(...)`` would run in the representative's spreadsheet). Such a cell
gets a leading apostrophe, which the spreadsheet shows as text. Figures are written as
plain decimals of hours and never start with one of those characters.
"""

import csv
import io
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from billing.models import Statement
from core.csv import safe_cell

TWO_PLACES = Decimal("0.01")


def hours(seconds: int) -> str:
    """Seconds as hours with two decimals: 5400 -> '1.50'."""
    return str((Decimal(seconds) / 3600).quantize(TWO_PLACES, rounding=ROUND_HALF_UP))


def _figures(row) -> list[str]:
    return [
        hours(row.business_seconds),
        hours(row.approved_ooh_seconds),
        hours(2 * row.approved_ooh_seconds),
        hours(row.unapproved_ooh_seconds),
        hours(row.billable_seconds),
        hours(row.non_billable_seconds),
    ]


def header() -> list[str]:
    return [
        _("Ticket"),
        _("Subject"),
        _("Type"),
        _("Entries"),
        _("Business hours"),
        _("Out-of-hours hours, approved"),
        _("Approved out-of-hours hours x2"),
        _("Out-of-hours hours, not approved"),
        _("Billable total, hours"),
        _("Not billable, hours"),
    ]


def statement_rows(statement: Statement) -> list[list[str]]:
    """Every row of the CSV: a heading, one line per ticket, the total."""
    rows = [
        [_("Organisation"), statement.organisation.name],
        [_("Period"), f"{statement.month:%Y-%m-%d} – {statement.last_day:%Y-%m-%d}"
         f" ({statement.time_zone})"],
        [_("Status"), statement.get_status_display()],
        [_("Billable total = business hours + 2 × approved out-of-hours hours + "
           "out-of-hours hours not approved")],
        [],
        header(),
    ]
    for line in statement.lines.all():
        rows.append([
            line.ticket_number, line.ticket_subject, line.get_ticket_type_display(),
            str(line.entries_count), *_figures(line),
        ])
    rows.append([_("Total"), "", "", str(sum(line.entries_count for line in statement.lines.all())),
                 *_figures(statement)])
    return rows


def statement_csv(statement: Statement) -> str:
    """The statement as CSV text (UTF-8 with a byte-order mark, for Excel), every cell safe."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    for row in statement_rows(statement):
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()


def statement_filename(statement: Statement) -> str:
    return f"statement-{statement.month:%Y-%m}-{statement.organisation_id}.csv"
