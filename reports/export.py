"""CSV downloads of the reports, safe to open in a spreadsheet.

A cell that starts with =, +, -, @, a tab or a carriage return is taken for a formula by
Excel, LibreOffice and Google Sheets (CSV injection, OWASP): such cells get a leading
apostrophe, which the spreadsheet shows as text. Organisation names are typed by people,
so they are never trusted.
"""

import csv
from collections.abc import Iterable

from django.http import HttpResponse

from core.csv import safe_cell


def number(value: float | None, places: int = 1) -> str:
    """A figure with a dot as the decimal separator; empty when there is none."""
    return "" if value is None else f"{value:.{places}f}"


def csv_response(filename: str, header: Iterable, rows: Iterable[Iterable]) -> HttpResponse:
    # UTF-8 with a byte-order mark: Excel then reads Cyrillic names correctly.
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([safe_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return response
