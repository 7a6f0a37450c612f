"""Aggregates Django does not ship."""

from django.db import NotSupportedError
from django.db.models import Aggregate, FloatField


class Median(Aggregate):
    """The median of a column: PostgreSQL's ``percentile_cont(0.5)``, nulls ignored.

    Other databases have no ordered-set aggregates; callers compute the median in
    Python there (see ``reports.selectors``).
    """

    function = "PERCENTILE_CONT"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def as_sql(self, compiler, connection, **extra_context):
        if connection.vendor != "postgresql":
            raise NotSupportedError("Median needs PostgreSQL's percentile_cont.")
        return super().as_sql(compiler, connection, **extra_context)


def database_has_median(connection) -> bool:
    return connection.vendor == "postgresql"
