"""Markdown in, sanitised HTML out: what customers and staff write is never trusted."""

import re
import threading
from functools import lru_cache

import markdown as md
import nh3
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "strong",
    "em",
    "b",
    "i",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "del",
    "sup",
    "sub",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}


# Rendered texts are kept per process, keyed by the text itself (so an edited text is a
# new entry): a ticket page renders its old comments once, not on every view.
CACHED_TEXTS = 4096
CACHED_TEXT_MAX_LENGTH = 20_000


def render_markdown(text: str) -> SafeString:
    """Render Markdown and keep only harmless tags, attributes and link schemes."""
    text = text or ""
    if len(text) <= CACHED_TEXT_MAX_LENGTH:
        return mark_safe(_rendered(text))  # noqa: S308 - sanitised by _render
    return mark_safe(_render(text))  # noqa: S308 - sanitised by _render


@lru_cache(maxsize=CACHED_TEXTS)
def _rendered(text: str) -> str:
    return _render(text)


# Building a Markdown converter (its parser, patterns and extensions) costs more than
# converting a comment: each thread keeps one and resets it between texts.
_converters = threading.local()


def _converter() -> md.Markdown:
    converter = getattr(_converters, "markdown", None)
    if converter is None:
        converter = _converters.markdown = md.Markdown(
            extensions=["fenced_code", "tables", "sane_lists", "nl2br"], output_format="html"
        )
    return converter


def _render(text: str) -> str:
    html = _converter().reset().convert(text)
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
    return clean


# The counter is zero-padded to five digits and grows past them (HD-2026-100000).
TICKET_NUMBER = re.compile(r"\b[A-Z][A-Z0-9]*-\d{4}-\d{5,}\b")
_TAG = re.compile(r"(<[^>]+>)")
_NO_LINKS_INSIDE = ("a", "code", "pre")


def ticket_numbers_in(*texts: str) -> set[str]:
    """The ticket numbers written in these texts."""
    return {number for text in texts for number in TICKET_NUMBER.findall(text or "")}


def link_numbers(html: str, links: dict[str, str]) -> SafeString:
    """Make the ticket numbers of sanitised HTML links, for the numbers in ``links`` (the
    tickets the reader may see); others stay plain text. Never inside links or code."""
    if not links:
        return mark_safe(html)  # noqa: S308 - the caller passes sanitised HTML
    parts, inside = [], []
    for part in _TAG.split(str(html)):
        if part.startswith("<"):
            name = part.strip("</>").split()[0].lower() if part.strip("</>") else ""
            if name in _NO_LINKS_INSIDE:
                if part.startswith("</"):
                    if name in inside:
                        inside.remove(name)
                elif not part.endswith("/>"):
                    inside.append(name)
            parts.append(part)
        elif inside:
            parts.append(part)
        else:
            parts.append(
                TICKET_NUMBER.sub(
                    lambda m: (
                        f'<a href="{escape(links[m.group(0)])}">{m.group(0)}</a>'
                        if m.group(0) in links
                        else m.group(0)
                    ),
                    part,
                )
            )
    return mark_safe("".join(parts))  # noqa: S308 - only our own links were added


# Pasted from a web page or a mail client: markup that Markdown would not show as meant.
PASTED_HTML = re.compile(
    r"<\s*/?\s*(html|head|body|meta|style|script|div|span|p|br|font|table|tbody|thead|tr|td|"
    r"th|b|i|u|strong|em|a|ul|ol|li|h[1-6]|img|blockquote|pre|code)\b[^>]*>",
    re.IGNORECASE,
)
_BLOCK_END = re.compile(r"<\s*(br\s*/?|/\s*(p|div|li|tr|h[1-6]|blockquote|pre|table))\s*>",
                        re.IGNORECASE)


def pasted_html_to_text(text: str) -> tuple[str, bool]:
    """Text with HTML in it (pasted from a web page or a mail) as its plain text, line
    breaks kept, and whether anything was converted."""
    if not PASTED_HTML.search(text or ""):
        return text, False
    import html

    broken = _BLOCK_END.sub("\n", text)
    plain = html.unescape(nh3.clean(broken, tags=set()))
    lines = [line.rstrip() for line in plain.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip(), True
