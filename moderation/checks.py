"""Finding improper words (profanity, insults) in Russian and English text.

The word lists are rows of ``BannedWord`` and ``AllowedWord`` that staff edit in the
admin. They are compiled into a few regular expressions once per process and again after
any change: a version token in the database (``WordListsVersion``, one tiny query per
check, read once per web request) tells every process. No shared cache is involved, so
a check never needs Redis.

Each word of the text is tried in several readings, so the usual disguises are seen
through: case, repeated letters ("fuuuck"), separators between single letters
("f.u.c.k", "х у й"), digits and symbols for letters ("sh1t", "@ss", "пи3да", "6ля"),
look-alike letters of the other alphabet ("cyka", "хyй" with a Latin y), Latin
transliteration of Russian ("pizdec"), and "*" for a letter ("f*ck"). Innocent words
that merely contain a root are not flagged: roots match at the start of a word, short
words only whole, and the allow-list names known exceptions ("скипидар", "Scunthorpe").
"""

import itertools
import re
import unicodedata
import uuid
from dataclasses import dataclass, field

from asgiref.local import Local
from django.db import connection

# Verbal prefixes a Russian root may carry: за-ебать, на-хуй, по-хуй, от-ъ-ебись …
# Not "с": "с"+"еб" would be "себе".
RUSSIAN_PREFIXES = (
    "вы", "до", "за", "на", "недо", "ни", "о", "об", "объ", "от", "отъ", "пере", "по",
    "под", "подъ", "при", "про", "раз", "разъ", "рас", "съ", "у", "вз", "взъ",
)
# Look-alike letters.
CYRILLIC_TO_LATIN = dict(zip("аеорсухкмтнв", "aeopcyxkmthb", strict=True))
LATIN_TO_CYRILLIC = {latin: cyrillic for cyrillic, latin in CYRILLIC_TO_LATIN.items()}
# Only inside a word that already has Cyrillic letters ("nu3дa"): alone they would turn
# English words into Russian ones.
LATIN_TO_CYRILLIC_IN_MIXED = {**LATIN_TO_CYRILLIC, "n": "п", "u": "и", "r": "г"}
# Digits and symbols standing for letters; "1" (and "|", "!") reads as i or l.
SYMBOLS_TO_LATIN = {"0": "o", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "@": "a",
                    "$": "s", "€": "e"}
AMBIGUOUS_TO_LATIN = {"1": "il", "!": "il", "|": "li"}
SYMBOLS_TO_CYRILLIC = {"0": "о", "3": "з", "4": "ч", "6": "б", "8": "в", "@": "а", "$": "с",
                       "€": "е"}
TRANSLIT = (
    ("shch", "щ"), ("sch", "щ"), ("zh", "ж"), ("kh", "х"), ("ts", "ц"), ("ch", "ч"),
    ("sh", "ш"), ("yo", "е"), ("ye", "е"), ("yu", "ю"), ("ya", "я"), ("ja", "я"),
    ("ju", "ю"), ("a", "а"), ("b", "б"), ("v", "в"), ("w", "в"), ("g", "г"), ("d", "д"),
    ("e", "е"), ("z", "з"), ("i", "и"), ("j", "й"), ("k", "к"), ("q", "к"), ("c", "ц"),
    ("l", "л"), ("m", "м"), ("n", "н"), ("o", "о"), ("p", "п"), ("r", "р"), ("s", "с"),
    ("t", "т"), ("u", "у"), ("f", "ф"), ("h", "х"), ("x", "кс"), ("0", "о"), ("3", "з"),
    ("4", "ч"), ("6", "б"), ("@", "а"),
)
# A transliterated word is tried only against Russian roots this long ("ebay" must not
# read as "еб…", nor "hue" as "хуе"), and only at its start ("tepidarium").
TRANSLIT_MIN_ROOT = 4

LETTER = r"[^\W_]"
# Three or more single letters with the same kind of separator: "f.u.c.k", "х у й".
SPACED = rf"(?<!{LETTER})(?:{LETTER}[\W_]{{1,3}}){{2,}}{LETTER}(?!{LETTER})"
TOKEN = re.compile(rf"(?P<spaced>{SPACED})|(?:{LETTER}|[@$*!|€])+")
SEPARATORS = re.compile(r"[\W_]+")
CYRILLIC = re.compile(r"[а-яё]")
HEX_CODE = re.compile(r"(?=.*\d)[0-9a-f]+")
LATIN = re.compile(r"[a-z]")
STRIP = "*!|.'"

@dataclass(frozen=True)
class Entry:
    word: str
    language: str
    match: str


@dataclass(frozen=True)
class WordLists:
    """The compiled lists: one regular expression per way of matching."""

    whole: re.Pattern | None
    start: re.Pattern | None
    anywhere: re.Pattern | None
    translit: tuple  # (whole, start, anywhere) over long Russian roots
    entries: tuple[Entry, ...]
    allowed: tuple[str, ...]
    # Each word's verdict against these lists, kept with them (new lists, new verdicts):
    # most words of tickets repeat, and a word costs a dozen regular expressions.
    verdicts: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    def finds(self, form: str) -> bool:
        return _finds((self.whole, self.start, self.anywhere), form)

    def finds_transliterated(self, form: str) -> bool:
        return _finds(self.translit, form)


def _finds(patterns, form: str) -> bool:
    whole, start, anywhere = patterns
    return bool(
        (whole and whole.fullmatch(form))
        or (start and start.match(form))
        or (anywhere and anywhere.search(form))
    )


# --- the check ----------------------------------------------------------------------


def improper_words(text: str) -> list[str]:
    """The improper words of ``text`` as written there ("f.u.c.k"), each once, in order."""
    if not text or not text.strip():
        return []
    lists = word_lists()
    if not lists.entries:
        return []
    found: list[str] = []
    verdicts = lists.verdicts
    if len(verdicts) > MAX_VERDICTS:
        verdicts.clear()
    for original, word in _tokens(text):
        verdict = verdicts.get(word)
        if verdict is None:
            verdict = verdicts[word] = _is_improper(word, lists)
        if verdict and original not in found:
            found.append(original)
    return found


MAX_VERDICTS = 50_000


LONG_RUNS = re.compile(r"(.)\1{3,}")
MAX_WORD = 64


def _tokens(text: str):
    """(as written, normalised) for each word; spaced-out letters are joined."""
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")  # zero-width
    text = unicodedata.normalize("NFKC", text)
    for match in TOKEN.finditer(text):
        original = match.group(0).strip(STRIP)
        word = SEPARATORS.sub("", original) if match.lastgroup == "spaced" else original
        # Runs of one letter shortened and words cut: the patterns allow repeats anyway,
        # and a 20,000-letter "word" must not cost seconds of regex work.
        word = LONG_RUNS.sub(r"\1\1\1", _fold(word).strip(STRIP))[:MAX_WORD]
        if len(word) >= 2:
            yield original[:MAX_WORD], word


def _fold(word: str) -> str:
    """Lower case, ё as е, accents off Latin letters ("fück")."""
    word = word.lower().replace("ё", "е")
    if word.isascii():
        return word
    return "".join(
        unicodedata.normalize("NFKD", ch)[0] if "LATIN" in unicodedata.name(ch, "") else ch
        for ch in word
    )


def _is_improper(word: str, lists: WordLists) -> bool:
    if not any(ch.isalpha() for ch in word):  # "455" is a number, not "ass"
        return False
    if any(word.startswith(allowed) for allowed in lists.allowed):
        return False
    if any(lists.finds(form) for form in _readings(word)):
        return True
    if "*" in word:
        return _wildcard_match(word, lists)
    translit = _transliterated(word)
    return bool(translit) and lists.finds_transliterated(translit)


def _readings(word: str) -> set[str]:
    """The word as is, all-Latin and all-Cyrillic (look-alikes, digits, symbols)."""
    readings = {word}
    if HEX_CODE.fullmatch(word):  # "a55", "e6b3f0": codes and hashes, not disguises
        return readings
    readings.update(_latin_readings(word))
    cyrillic = _cyrillic_reading(word)
    if cyrillic:
        readings.add(cyrillic)
    return readings


def _latin_readings(word: str) -> list[str]:
    chars = []
    for ch in word:
        if ch in AMBIGUOUS_TO_LATIN:
            chars.append(AMBIGUOUS_TO_LATIN[ch])
        else:
            chars.append(CYRILLIC_TO_LATIN.get(ch) or SYMBOLS_TO_LATIN.get(ch) or ch)
    ambiguous = sum(1 for ch in word if ch in AMBIGUOUS_TO_LATIN)
    if ambiguous > 3:  # keep it small: the first reading only
        return ["".join(options[0] for options in chars)]
    return ["".join(combo) for combo in itertools.product(*chars)]


def _cyrillic_reading(word: str) -> str | None:
    """Latin look-alikes read as Cyrillic: in a word that has Cyrillic letters, or one
    made only of Latin letters that have a Cyrillic twin ("cyka"; not "e6", a code)."""
    if CYRILLIC.search(word):
        table = LATIN_TO_CYRILLIC_IN_MIXED
    elif all(ch in LATIN_TO_CYRILLIC for ch in word):
        table = LATIN_TO_CYRILLIC
    else:
        return None
    return "".join(table.get(ch) or SYMBOLS_TO_CYRILLIC.get(ch) or ch for ch in word)


def _transliterated(word: str) -> str | None:
    """"pizdec" as "пиздец"; only for words written in Latin letters (and digits)."""
    if CYRILLIC.search(word) or not LATIN.search(word):
        return None
    result, rest = [], word
    while rest:
        for latin, cyrillic in TRANSLIT:
            if rest.startswith(latin):
                result.append(cyrillic)
                rest = rest[len(latin):]
                break
        else:
            if rest[0] == "y":  # й after a vowel ("huy"), ы after a consonant
                result.append("й" if result and result[-1] in "аеиоуыэюя" else "ы")
            else:
                result.append(rest[0])
            rest = rest[1:]
    return "".join(result)


def _wildcard_match(word: str, lists: WordLists) -> bool:
    """"f*ck", "sh*t", "х*й": a "*" stands for one letter, for at most half of a root."""
    forms = {form for form in _readings(word) if "*" in form and form[0] != "*"}
    for form in forms:
        for entry in lists.entries:
            if _wild_entry_match(form, entry):
                return True
    return False


def _wild_entry_match(form: str, entry: Entry) -> bool:
    size = len(entry.word)
    if entry.match == "word":
        offsets = [0] if len(form) == size else []
    elif entry.match == "start":
        offsets = [0]
        if entry.language == "ru":
            offsets += [len(p) for p in RUSSIAN_PREFIXES if form.startswith(p)]
    else:
        offsets = range(len(form) - size + 1)
    return any(_wild_equal(form[i:i + size], entry.word) for i in offsets)


def _wild_equal(part: str, root: str) -> bool:
    if len(part) != len(root) or part[0] == "*":
        return False
    if part.count("*") * 2 > len(root):
        return False
    return all(p == "*" or p == r for p, r in zip(part, root, strict=True))


# --- the compiled lists --------------------------------------------------------------

_compiled: dict[str, tuple[str, WordLists]] = {}
# Within one request the version is read once: the form's check and the flag of the
# ticket it files look at the same lists (``request_started`` / ``request_finished``).
_request = Local()


def word_lists() -> WordLists:
    """The active lists, compiled; recompiled when any process changed them."""
    key = connection.settings_dict.get("NAME") or ""
    version = _version(key)
    held = _compiled.get(key)
    if held is not None and held[0] == version:
        return held[1]
    lists = compile_lists(*_load())
    _compiled[key] = (version, lists)
    return lists


def _version(key: str) -> str:
    from moderation.models import WordListsVersion

    read = getattr(_request, "versions", None)
    if read is not None and key in read:
        return read[key]
    version = WordListsVersion.objects.filter(pk=1).values_list("token", flat=True).first() or ""
    if read is not None:
        read[key] = version
    return version


def improper_words_if_read(text: str) -> list[str] | None:
    """``improper_words`` without a query: None when this request has not read the lists'
    version yet, or the check failed, so that the caller checks in a savepoint instead."""
    key = connection.settings_dict.get("NAME") or ""
    read = getattr(_request, "versions", None)
    held = _compiled.get(key)
    if read is None or key not in read or held is None or held[0] != read[key]:
        return None
    try:
        return improper_words(text)
    except Exception:  # the savepoint's check will log it
        return None


def request_started(**kwargs) -> None:
    _request.versions = {}


def request_finished(**kwargs) -> None:
    _request.versions = None


def lists_changed() -> None:
    """A word was added, changed or removed: this process recompiles on its next check,
    and the new token (written in the change's transaction) tells the others."""
    from moderation.models import WordListsVersion

    _compiled.clear()
    if getattr(_request, "versions", None) is not None:
        _request.versions = {}
    WordListsVersion.objects.update_or_create(pk=1, defaults={"token": uuid.uuid4().hex})


def _load() -> tuple[list[Entry], list[str]]:
    from moderation.models import AllowedWord, BannedWord

    entries = [
        Entry(word=word, language=language, match=match)
        for word, language, match in BannedWord.objects.filter(is_active=True).values_list(
            "word", "language", "match"
        )
    ]
    allowed = list(AllowedWord.objects.values_list("word", flat=True))
    return entries, allowed


def compile_lists(entries: list[Entry], allowed: list[str]) -> WordLists:
    entries = [e for e in entries if e.word]
    long_russian = [
        Entry(e.word, e.language, "start" if e.match == "anywhere" else e.match)
        for e in entries
        if e.language == "ru" and len(e.word) >= TRANSLIT_MIN_ROOT
    ]
    return WordLists(
        *_patterns(entries),
        translit=_patterns(long_russian),
        entries=tuple(entries),
        allowed=tuple(sorted({_fold(word) for word in allowed if word})),
    )


def _patterns(entries: list[Entry]) -> tuple:
    whole = [_letters(e.word) for e in entries if e.match == "word"]
    russian_start = [_letters(e.word) for e in entries if e.match == "start" and e.language == "ru"]
    other_start = [_letters(e.word) for e in entries if e.match == "start" and e.language != "ru"]
    anywhere = [_letters(e.word) for e in entries if e.match == "anywhere"]
    prefixes = "|".join(sorted(RUSSIAN_PREFIXES, key=len, reverse=True))
    starts = []
    if russian_start:
        starts.append(f"(?:{prefixes})?(?:{'|'.join(russian_start)})")
    if other_start:
        starts.append(f"(?:{'|'.join(other_start)})")
    return (
        re.compile(f"(?:{'|'.join(whole)})") if whole else None,
        re.compile(f"(?:{'|'.join(starts)})") if starts else None,
        re.compile(f"(?:{'|'.join(anywhere)})") if anywhere else None,
    )


def _letters(word: str) -> str:
    """A root as a pattern where any letter may repeat: "ass" finds "asss", not "as"."""
    parts = []
    for letter, run in itertools.groupby(_fold(word)):
        count = len(list(run))
        parts.append(re.escape(letter) + ("+" if count == 1 else f"{{{count},}}"))
    return "".join(parts)
