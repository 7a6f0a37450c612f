"""What the customer wrote, without the quoted thread and the signature.

The cutting is mail-parser-reply's (it knows the reply headers of many mail clients
and languages). It has no Russian, so the Russian headers our customers' clients
write ("… пишет:", "… написал(а):", Outlook's "От: / Отправлено: / Кому: / Тема:")
are registered with it here, in its own format.
"""

import html
import re
from html.parser import HTMLParser

from mailparser_reply.constants import MAIL_LANGUAGES, QUOTED_MATCH_INCLUDE
from mailparser_reply.parser import EmailMessage

LANGUAGES = ["ru", "en"]

MAIL_LANGUAGES.setdefault(
    "ru",
    {
        # "23.11.2026 10:14, Иван Петров пишет:" (Thunderbird, Yandex),
        # "23 нояб. 2026 г., в 10:14, Иван <ivan@example.ru> написал(а):" (Apple Mail),
        # "пн, 23 нояб. 2026 г. в 10:14, Ivan <ivan@example.ru>:" (Gmail),
        # "Понедельник, 23 ноября 2026, 10:14 +03:00 от Ivan <ivan@mail.ru>:" (Mail.ru).
        "wrote_header": (
            r"^(" + QUOTED_MATCH_INCLUDE + r"(?:.{0,200}?\s)?(?:пишет|писал|написал|написала"
            r"|написал\(а\))\s*:)$"
            r"|^(" + QUOTED_MATCH_INCLUDE + r".{0,120}\d{1,2}:\d{2}.{0,80}<[^<>\s]+@[^<>\s]+>\s*:)$"
        ),
        # Outlook in Russian: at least two of its header lines in a row.
        "from_header": (
            r"((?:(?:^|\n|\n" + QUOTED_MATCH_INCLUDE + r")[* ]*"
            r"(?:От|Отправлено|Дата|Кому|Копия|Тема|От кого):[ *]*(?:\s{,2}).*){2,}(?:\n.*){,1})"
        ),
        "signatures": [
            "С уважением",
            "С наилучшими пожеланиями",
            "Всего доброго",
            "Всего наилучшего",
        ],
        "sent_from": "Отправлено с|Отправлено из|Sent from my|Get Outlook for",
        "disclaimers": [
            r"Конфиденциально(?:сть)?:",
            r"Внимание:",
        ],
    },
)

TRAILING_QUOTE = re.compile(r"(?:\n[ \t]*>[^\n]*|\n[ \t]*)+\Z")


def reply_text(text: str) -> str:
    """The new part of a reply: quoted thread, trailing quotes and signature removed.

    The library strips every line; where its cut can be mapped back, the customer's
    own lines (indented stack traces, say) are returned as written.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    parsed = EmailMessage(text=text, languages=list(LANGUAGES), keep_hyphen_lists=True).read()
    body = parsed.replies[0].body if parsed.replies else text
    body = _as_written(text, parsed.text, body)
    return TRAILING_QUOTE.sub("", "\n" + body).strip("\n").rstrip()


def _as_written(original: str, normalized: str, body: str) -> str:
    start = normalized.find(body)
    if not body or start < 0:
        return body
    first = normalized[:start].count("\n")
    last = normalized[: start + len(body)].count("\n")
    lines = original.split("\n")[first : last + 1]
    if [line.strip() for line in lines] != normalized.split("\n")[first : last + 1]:
        return body  # the library rewrote a line (Outlook's separators): keep its text
    return "\n".join(line.rstrip() for line in lines).strip("\n")


# --- HTML-only mail --------------------------------------------------------------------

BLOCK_TAGS = {
    "p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "table",
    "ul", "ol", "hr", "section", "article", "header", "footer",
}
SKIPPED_TAGS = {"script", "style", "head", "title", "template"}


class _TextExtractor(HTMLParser):
    """Text of an HTML body: blocks become lines, blockquotes become '>' quotes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lines: list[list[str]] = [[]]
        self.depth_quote = 0
        self.skipping = 0
        self.line_quote = [0]

    def _newline(self):
        self.lines.append([])
        self.line_quote.append(self.depth_quote)

    def handle_starttag(self, tag, attrs):
        if tag in SKIPPED_TAGS:
            self.skipping += 1
        elif tag == "blockquote":
            self.depth_quote += 1
            self._newline()
        elif tag in BLOCK_TAGS:
            self._newline()
            if tag == "li":
                self.lines[-1].append("- ")

    def handle_endtag(self, tag):
        if tag in SKIPPED_TAGS:
            self.skipping = max(0, self.skipping - 1)
        elif tag == "blockquote":
            self.depth_quote = max(0, self.depth_quote - 1)
            self._newline()
        elif tag in BLOCK_TAGS and tag != "li":
            self._newline()

    def handle_data(self, data):
        if not self.skipping:
            if self.line_quote[-1] != self.depth_quote and not "".join(self.lines[-1]).strip():
                self.line_quote[-1] = self.depth_quote
            self.lines[-1].append(data)

    def text(self) -> str:
        out = []
        for parts, depth in zip(self.lines, self.line_quote, strict=True):
            line = " ".join("".join(parts).split())
            out.append(("> " * depth + line).rstrip() if line else "")
        return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip()


def html_to_text(markup: str) -> str:
    """Readable plain text of an HTML mail body (never executed, never rendered)."""
    parser = _TextExtractor()
    try:
        parser.feed(markup)
        parser.close()
    except Exception:  # html.parser is lenient; this is a last line of defence
        return html.unescape(re.sub(r"<[^>]+>", " ", markup))
    return parser.text()
