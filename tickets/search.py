"""Finding tickets by their words: the open tickets that look like a new one while the
customer types it ("find before you file"), and the search page.

On PostgreSQL a ticket is a document of its subject (weight A) and description
(weight B), each in both the Russian and the English text search configuration, so
either language is stemmed ("счета" and "счёт" meet at "счет", "invoices" and "invoice"
at "invoic"). Words are OR-ed: a new subject rarely repeats every word of an old one,
and the rank puts the tickets sharing most of them first. Trigram similarity on the
subject adds typos ("invocie") and word forms the stemmers keep apart ("сформирован" /
"формируются"). Both are served by the GIN indexes of migration tickets 0005.

Other databases (the SQLite demo) get a plain fallback: words matched with icontains.

Every query starts from ``tickets_visible_to(user)``: another organisation's ticket is
never found.
"""

import re

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVector,
)
from django.db import connection
from django.db.models import BooleanField, Case, F, FloatField, Func, Q, QuerySet, Value, When
from django.db.models.functions import Greatest
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from accounts.models import User
from tickets.models import OPEN_STATUSES, Ticket
from tickets.selectors import tickets_visible_to

SIMILAR_LIMIT = 5
MAX_WORDS = 12
MIN_QUERY_LENGTH = 3
CONFIGS = ("russian", "english")
# Scores below this are noise: a single common word shared with a long description.
SIMILAR_MIN_SCORE = 0.12
WORD = re.compile(r"[^\W_]+")
NUMBER = re.compile(r"^#?(?:[A-Za-z]+-\d{4}-)?(\d{1,6})$")
# Around the words ts_headline marks; replaced by <mark> after the text is escaped.
MARK_START, MARK_STOP = "\x02", "\x03"


def _normalise(text: str) -> str:
    return " ".join(text.replace("ё", "е").replace("Ё", "Е").split())[:300]


def query_words(text: str) -> list[str]:
    """The distinct words of a query, lower-cased, at most MAX_WORDS of them."""
    words = []
    for word in WORD.findall(_normalise(text).lower()):
        if (len(word) > 1 or word.isdigit()) and word not in words:
            words.append(word)
    return words[:MAX_WORDS]


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


# --- the two uses ------------------------------------------------------------------


def similar_open_tickets(*, user: User, text: str, limit: int = SIMILAR_LIMIT) -> list[Ticket]:
    """Up to ``limit`` open tickets the user may see (a customer: their organisation's)
    that look like ``text``, the most alike first."""
    text = _normalise(text)
    words = query_words(text)
    if len(text) < MIN_QUERY_LENGTH or not words:
        return []
    tickets = tickets_visible_to(user).filter(status__in=OPEN_STATUSES)
    if is_postgresql():
        ranked = _ranked_postgresql(tickets, words).filter(score__gte=SIMILAR_MIN_SCORE)
    else:
        ranked = _ranked_plain(tickets, words)
    return list(ranked[:limit])


def search_tickets(*, user: User, query: str) -> QuerySet[Ticket]:
    """Every ticket the user may see that matches ``query``, best first; a ticket number
    (``HD-2026-00042``, ``42``) finds that ticket. PostgreSQL adds a ``headline``."""
    text = _normalise(query)
    words = query_words(text)
    tickets = tickets_visible_to(user)
    if not words:
        return tickets.none()
    if is_postgresql():
        ranked = _ranked_postgresql(tickets, words, by_number=_number_condition(text))
        return ranked.annotate(headline=_headline(words))
    return _ranked_plain(tickets, words, by_number=_number_condition(text))


def excerpt(ticket: Ticket, *, length: int = 240) -> SafeString:
    """A short excerpt of the description, the matched words in <mark>, safe to show."""
    headline = getattr(ticket, "headline", None)
    if headline is None:
        body = " ".join(ticket.body.split())
        return escape(body[:length] + ("…" if len(body) > length else ""))
    text = escape(" ".join(headline.split()))
    return mark_safe(  # noqa: S308 - the text is escaped; only our markers become tags
        text.replace(MARK_START, "<mark>").replace(MARK_STOP, "</mark>")
    )


# --- PostgreSQL --------------------------------------------------------------------


def document_vector() -> SearchVector:
    """The indexed document. Keep it identical to the index of migration tickets 0005."""
    return (
        SearchVector("subject", config="russian", weight="A")
        + SearchVector("body", config="russian", weight="B")
        + SearchVector("subject", config="english", weight="A")
        + SearchVector("body", config="english", weight="B")
    )


def words_query(words: list[str]) -> SearchQuery:
    """Any of the words, stemmed in each configuration."""
    query = None
    for word in words:
        for config in CONFIGS:
            part = SearchQuery(word, config=config)
            query = part if query is None else query | part
    return query


class TrigramSimilar(Func):
    """``subject % text``: the trigram index finds subjects alike as a whole."""

    arg_joiner = " %% "
    template = "(%(expressions)s)"
    output_field = BooleanField()


class TrigramWordSimilar(Func):
    """``text <% subject``: the text is like some stretch of the subject (typos)."""

    arg_joiner = " <%% "
    template = "(%(expressions)s)"
    output_field = BooleanField()


class TrigramSimilarity(Func):
    function = "similarity"
    output_field = FloatField()


class TrigramWordSimilarity(Func):
    function = "word_similarity"
    output_field = FloatField()


def _ranked_postgresql(tickets, words: list[str], by_number: Q | None = None):
    """Rank: the text search rank (subject words weigh most) plus the better of the
    subject's trigram similarity to the words and, discounted, their best stretch in it."""
    document = document_vector()
    query = words_query(words)
    subject_text = Value(" ".join(words))
    match = (
        Q(search_document=query)
        | Q(TrigramSimilar(F("subject"), subject_text))
        | Q(TrigramWordSimilar(subject_text, F("subject")))
    )
    if by_number is not None:
        match |= by_number
    score = (
        SearchRank(F("search_document"), query, normalization=Value(1))
        + Greatest(
            TrigramSimilarity(F("subject"), subject_text),
            TrigramWordSimilarity(subject_text, F("subject")) * Value(0.6),
        )
    )
    if by_number is not None:
        score = score + Case(When(by_number, then=Value(10.0)), default=Value(0.0))
    return (
        tickets.alias(search_document=document)
        .filter(match)
        .annotate(score=score)
        .order_by("-score", "-created_at", "-id")
    )


def _headline(words: list[str]) -> SearchHeadline:
    return SearchHeadline(
        "body",
        words_query(words),
        config="russian",
        start_sel=MARK_START,
        stop_sel=MARK_STOP,
        # One stretch around the best match: the fragment mode loses words next to an
        # HTML-looking "<" in plain text.
        max_words=35,
        min_words=15,
    )


# --- everywhere ----------------------------------------------------------------------


def _number_condition(text: str) -> Q | None:
    found = NUMBER.match(text.strip())
    if not found:
        return None
    return Q(number__iexact=text.strip().lstrip("#")) | Q(
        number__endswith=f"-{int(found.group(1)):05d}"
    )


def _ranked_plain(tickets, words: list[str], by_number: Q | None = None):
    """The fallback: a ticket scores 2 per word in its subject and 1 in its description."""
    score = Value(0.0)
    match = Q()
    for word in words:
        in_subject, in_body = Q(subject__icontains=word), Q(body__icontains=word)
        score = score + Case(When(in_subject, then=Value(2.0)), default=Value(0.0))
        score = score + Case(When(in_body, then=Value(1.0)), default=Value(0.0))
        match |= in_subject | in_body
    if by_number is not None:
        match |= by_number
        score = score + Case(When(by_number, then=Value(10.0)), default=Value(0.0))
    return (
        tickets.filter(match)
        .annotate(score=score)
        .order_by("-score", "-created_at", "-id")
    )
