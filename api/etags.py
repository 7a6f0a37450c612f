"""ETags of tickets, and ``If-Match`` on writes."""

import hashlib

from api.errors import PreconditionFailed


def ticket_etag(ticket) -> str:
    """Changes with every write to the ticket (each one moves ``updated_at``)."""
    seed = f"{ticket.pk}:{ticket.status}:{ticket.updated_at.isoformat()}"
    return '"' + hashlib.sha256(seed.encode()).hexdigest()[:32] + '"'


def check_if_match(request, ticket) -> None:
    """A write with an ``If-Match`` that is not the ticket's ETag now is refused (412)."""
    header = request.headers.get("If-Match", "").strip()
    if not header or header == "*":
        return
    wanted = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    if ticket_etag(ticket) not in wanted:
        raise PreconditionFailed()
