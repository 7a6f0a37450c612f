"""A paginator that never counts a huge table: the staff admin's ticket list."""

import json

from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property

# Up to this many rows the count is exact (a LIMITed count, cheap on any filter); past
# it, the planner's estimate of the rows stands in, as "about" a number.
EXACT_COUNT_LIMIT = 10_000


class EstimatedCountPaginator(Paginator):
    """Counts exactly up to EXACT_COUNT_LIMIT rows, then takes PostgreSQL's estimate of
    the query's rows (EXPLAIN): one cheap query however large the table."""

    estimated = False

    @cached_property
    def count(self):
        queryset = self.object_list
        if not hasattr(queryset, "query") or queryset.db is None:
            return super().count
        # Rows are counted by their key alone: what the list annotates for display (a
        # subquery a row, say) is neither selected nor worked out for the count.
        rows = queryset.order_by().values("pk")
        capped = rows[: EXACT_COUNT_LIMIT + 1].count()
        if capped <= EXACT_COUNT_LIMIT or connections[queryset.db].vendor != "postgresql":
            return capped
        plan = json.loads(rows.explain(format="json"))
        self.estimated = True
        return max(int(plan[0]["Plan"]["Plan Rows"]), capped)
