"""Finding tickets by their words: the open tickets that look like a new one while the
customer types it ("find before you file"), and the search page.

On PostgreSQL a ticket has a stored search document (a generated column, migration
tickets 0010): its subject (weight A) and description (weight B), each in both the
Russian and the English text search configuration, so either language is stemmed
("счета" and "счёт" meet at "счет", "invoices" and "invoice" at "invoic"). Trigram
similarity on the subject adds typos ("invocie") and word forms the stemmers keep apart
("сформирован" / "формируются"). GIN indexes serve both.

- **Find before you file** OR-s the words: a new subject rarely repeats every word of
  an old one, and the rank puts the tickets sharing most of them first.
- **The search page** reads the query as a search engine does (``websearch_to_tsquery``):
  all the words, "a phrase" in quotes, -word to leave out, ``or`` between alternatives.

Either way only a bounded candidate set is ranked: the newest SEARCH_CANDIDATES matches
(the rank reads the stored document, never the text), so a common word costs the same as
a rare one, and the page says "more than 200" instead of counting every match.

Other databases (the SQLite demo) get a plain fallback: words (not the commonest ones)
matched with icontains, any of them for "find before you file" (a word in the subject,
or two in the description, make a ticket alike); on the search page, all of them, with
the page's phrases, -words and ``or`` (``plain_websearch``).

Every query starts from ``tickets_visible_to(user)``: another organisation's ticket is
never found.
"""

import re

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVectorField,
)
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Expression,
    F,
    FloatField,
    Func,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Greatest
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from accounts.models import User
from tickets.models import OPEN_STATUSES, Ticket
from tickets.selectors import tickets_visible_to

SIMILAR_LIMIT = 5
# How many of the newest matches are ranked (and the most a search page lists).
SEARCH_CANDIDATES = 200
SIMILAR_CANDIDATES = 100
# Fewer matches of the words than this, and subjects alike by trigrams join (typos).
TYPO_CANDIDATES_BELOW = 5
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
        # The newest tickets with all the words, and the newest with any of them.
        any_word = words_query(words)
        ranked, _count = _ranked_postgresql(
            tickets, any_word, words, candidates=SIMILAR_CANDIDATES,
            candidate_queries=[all_words_query(words), any_word],
        )
        ranked = ranked.filter(score__gte=SIMILAR_MIN_SCORE)
    else:
        ranked = _ranked_plain(tickets, words, min_score=SIMILAR_PLAIN_MIN_SCORE)
    return list(ranked[:limit])


def search_tickets(*, user: User, query: str) -> "RankedResults":
    """The tickets the user may see that match ``query``, best first; a ticket number
    (``HD-2026-00042``, ``42``) finds that ticket. On PostgreSQL these are the best of the
    newest SEARCH_CANDIDATES matches, each with a ``headline``."""
    text = _normalise(query)
    words = query_words(text)
    tickets = tickets_visible_to(user)
    if not words:
        return RankedResults(tickets.none())
    if is_postgresql():
        query = websearch_query(text)
        ranked, count = _ranked_postgresql(
            tickets, query, words, by_number=_number_condition(text),
            candidates=SEARCH_CANDIDATES,
        )
        return RankedResults(ranked.annotate(headline=_headline(query)), count=count)
    match, words = plain_websearch(text)
    return RankedResults(
        _ranked_plain(tickets, words, by_number=_number_condition(text), match=match)
    )


def matching(query: str) -> Q | None:
    """The condition of tickets matching ``query`` (words as on the search page, or a
    ticket number), to filter a list in its own order: the staff admin's search box.
    None when the query has no words."""
    text = _normalise(query)
    words = query_words(text)
    if not words:
        return None
    if is_postgresql():
        # The document only: a typo's trigram test would run on every row of the list.
        match = Q(StoredDocumentMatch(StoredDocument(), websearch_query(text)))
    else:
        match = Q()
        for word in content_words(words):
            match &= Q(subject__icontains=word) | Q(body__icontains=word)
    by_number = _number_condition(text)
    return match | by_number if by_number is not None else match


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


class StoredDocument(Expression):
    """The ticket's stored search document (the generated column of migration 0010),
    which the model does not declare, so that no query ever selects it by accident. It
    follows the table's alias, as a column does, inside subqueries too."""

    output_field = SearchVectorField()
    COLUMN = "search_document"

    def __init__(self, alias: str | None = None):
        super().__init__()
        self.alias = alias

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False,
                           for_save=False):
        clone = self.copy()
        clone.alias = query.get_initial_alias() if query is not None else None
        return clone

    def relabeled_clone(self, change_map):
        clone = self.copy()
        clone.alias = change_map.get(self.alias, self.alias)
        return clone

    def as_sql(self, compiler, connection):
        column = connection.ops.quote_name(self.COLUMN)
        if self.alias is None:
            return column, []
        return f"{compiler.quote_name_unless_alias(self.alias)}.{column}", []

    def get_group_by_cols(self):
        return [self]


def websearch_query(text: str) -> SearchQuery:
    """The text as a search engine reads it, stemmed in each configuration."""
    query = None
    for config in CONFIGS:
        part = SearchQuery(text, config=config, search_type="websearch")
        query = part if query is None else query | part
    return query


def words_query(words: list[str]) -> SearchQuery:
    """Any of the words, stemmed in each configuration."""
    query = None
    for word in words:
        for config in CONFIGS:
            part = SearchQuery(word, config=config)
            query = part if query is None else query | part
    return query


def all_words_query(words: list[str]) -> SearchQuery:
    """Every one of the words, each stemmed in either configuration."""
    query = None
    for word in words:
        either = SearchQuery(word, config=CONFIGS[0]) | SearchQuery(word, config=CONFIGS[1])
        query = either if query is None else query & either
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


def _subject_alike(words: list[str]) -> Q:
    """The subject is like the words as a whole, or has a stretch like them (typos)."""
    subject_text = Value(" ".join(words))
    return Q(TrigramSimilar(F("subject"), subject_text)) | Q(
        TrigramWordSimilar(subject_text, F("subject"))
    )


class StoredDocumentMatch(Func):
    """``search_document @@ query``."""

    arg_joiner = " @@ "
    template = "(%(expressions)s)"
    output_field = BooleanField()


def _candidate_ids(tickets, queries: list[SearchQuery], words: list[str], *, cap: int,
                   by_number: Q | None) -> list[int]:
    """The newest matches of each query (the GIN index, or the filing-date index walked
    backwards for a common word: the planner picks), then, only when the words found
    almost nothing, the subjects alike by trigrams (typos; their per-row test is too
    dear to run on every ticket a common word matches)."""
    newest = ("-created_at", "-id")
    ids: list[int] = []
    for query in queries:
        match = Q(StoredDocumentMatch(StoredDocument(), query))
        if by_number is not None:
            match |= by_number
        found = tickets.filter(match).exclude(pk__in=ids) if ids else tickets.filter(match)
        ids += found.order_by(*newest).values_list("pk", flat=True)[:cap]
    if len(ids) < TYPO_CANDIDATES_BELOW:
        ids += (
            tickets.filter(_subject_alike(words)).exclude(pk__in=ids).order_by(*newest)
            .values_list("pk", flat=True)[:cap]
        )
    return ids


def _ranked_postgresql(tickets, query: SearchQuery, words: list[str], *, candidates: int,
                       by_number: Q | None = None,
                       candidate_queries: list[SearchQuery] | None = None
                       ) -> tuple[QuerySet[Ticket], int]:
    """The candidates (``_candidate_ids``) ranked, and how many there are: the text
    search rank on the stored document (subject words weigh most) plus the better of the
    subject's trigram similarity to the words and, discounted, their best stretch in it.
    A ticket found by its number comes first."""
    ids = _candidate_ids(
        tickets, candidate_queries or [query], words, cap=candidates, by_number=by_number
    )
    subject_text = Value(" ".join(words))
    score = (
        SearchRank(StoredDocument(), query, normalization=Value(1))
        + Greatest(
            TrigramSimilarity(F("subject"), subject_text),
            TrigramWordSimilarity(subject_text, F("subject")) * Value(0.6),
        )
    )
    if by_number is not None:
        score = score + Case(When(by_number, then=Value(10.0)), default=Value(0.0))
    ranked = (
        tickets.filter(pk__in=ids)
        .annotate(score=score)
        .order_by("-score", "-created_at", "-id")
    )
    return ranked, len(ids)


class RankedResults:
    """Ranked tickets for a paginator; with the candidates' number known, no count."""

    def __init__(self, queryset, *, count: int | None = None):
        self.queryset = queryset
        self._count = count

    def count(self) -> int:
        return self._count if self._count is not None else self.queryset.count()

    @property
    def capped(self) -> bool:
        """Only the newest SEARCH_CANDIDATES matches are here: more matched."""
        return self._count is not None and self._count >= SEARCH_CANDIDATES

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, item):
        return self.queryset[item]

    def __iter__(self):
        return iter(self.queryset)


def _headline(query: SearchQuery) -> SearchHeadline:
    return SearchHeadline(
        "body",
        query,
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
    # Numbers are stored in capitals: an exact match, and the tail by the trigram index.
    return Q(number=text.strip().lstrip("#").upper()) | Q(
        number__endswith=f"-{int(found.group(1)):05d}"
    )


# The commonest words, which the fallback does not look for (the PostgreSQL
# configurations have their own lists): "Card payments fail with error 502" must not
# find every ticket that says "with".
STOPWORDS = frozenset(
    "a an and are as at be but by for from has have i if in is it its my no not of on or "
    "our so that the their there this to was we were what when which with you your "
    "а без бы в во вы да для до его ее если же за и из или им их к как ко ли мы на не "
    "нет ни но о об от по при с со так то у уже что это я".split()
)
# A similar ticket shares at least a word of its subject, or two of its description.
SIMILAR_PLAIN_MIN_SCORE = 2.0


def content_words(words: list[str]) -> list[str]:
    """The words the fallback looks for: all but the commonest, unless that is all."""
    return [word for word in words if word not in STOPWORDS] or words


# A quoted phrase or a word, either with a leading "-" (leave it out).
SEARCH_TOKEN = re.compile(r'(-?)"([^"]*)"?|(-?)([^\s"]+)')


def plain_websearch(text: str) -> tuple[Q, list[str]]:
    """The search page's syntax read by the fallback, as ``websearch_to_tsquery`` reads
    it on PostgreSQL: every word (not the commonest, unless that is all), "a phrase" as
    written, -word left out, ``or`` between alternatives. The condition, and the words
    looked for (to rank by)."""
    terms = []  # (alternative, left out, text, is a phrase)
    alternative = 0
    for found in SEARCH_TOKEN.finditer(_normalise(text).lower()):
        out, phrase, word = bool(found.group(1) or found.group(3)), found.group(2), found.group(4)
        if phrase is None and word == "or" and not out:
            alternative += 1
        elif phrase is not None:
            if phrase.strip():
                terms.append((alternative, out, " ".join(phrase.split()), True))
        else:
            terms += [(alternative, out, part, False) for part in WORD.findall(word)]
    if any(not is_phrase and part not in STOPWORDS for _, _, part, is_phrase in terms):
        terms = [t for t in terms if t[3] or t[2] not in STOPWORDS]
    conditions: dict[int, Q] = {}
    words = []
    for alternative, out, part, _is_phrase in terms:
        has = Q(subject__icontains=part) | Q(body__icontains=part)
        conditions[alternative] = conditions.get(alternative, Q()) & (~has if out else has)
        if not out and part not in words:
            words.append(part)
    if not conditions:  # nothing but "or"
        return Q(pk__in=[]), words
    match = Q()
    for condition in conditions.values():
        match |= condition
    return match, words


def _ranked_plain(tickets, words: list[str], by_number: Q | None = None,
                  min_score: float = 0.0, match: Q | None = None):
    """The fallback: a ticket scores 2 per word in its subject and 1 in its description;
    it has any of the words, or meets ``match`` (the search page's query)."""
    score = Value(0.0)
    any_word = Q()
    for word in content_words(words) if match is None else words:
        in_subject, in_body = Q(subject__icontains=word), Q(body__icontains=word)
        score = score + Case(When(in_subject, then=Value(2.0)), default=Value(0.0))
        score = score + Case(When(in_body, then=Value(1.0)), default=Value(0.0))
        any_word |= in_subject | in_body
    match = any_word if match is None else match
    if by_number is not None:
        match |= by_number
        score = score + Case(When(by_number, then=Value(10.0)), default=Value(0.0))
    return (
        tickets.filter(match)
        .annotate(score=score)
        .filter(score__gte=min_score)
        .order_by("-score", "-created_at", "-id")
    )
