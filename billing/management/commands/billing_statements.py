"""Generate a month's statements by hand (the periodic task does it on the first business
day): e.g. after the beat was down that whole day. Existing statements are kept."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from billing import statements
from core.errors import ActionRefused


class Command(BaseCommand):
    help = "Generate the statements of a month (YYYY-MM) for every organisation with logged time."

    def add_arguments(self, parser):
        parser.add_argument("month", help="the month, e.g. 2026-11")

    def handle(self, *args, month: str, **options):
        try:
            first = datetime.date.fromisoformat(f"{month}-01")
        except ValueError:
            raise CommandError(f"{month!r} is not a month like 2026-11") from None
        try:
            made = statements.statements_generate(month=first)
        except ActionRefused as refusal:
            raise CommandError(refusal.message) from None
        for statement in made:
            hours = statement.billable_seconds / 3600
            self.stdout.write(f"{statement.organisation}: {hours:.2f} billable hours")
        self.stdout.write(self.style.SUCCESS(f"{len(made)} statement(s) generated for {month}."))
