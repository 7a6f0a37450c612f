"""Account requests by e-mail: the rules let a representative ask for a colleague's
account by mail. The words and the colleague's name and address are read from the text;
the request then goes the way of one made in the portal (``accounts.services``)."""

import re

from django.conf import settings

from accounts.models import (
    AccountRequest,
    AccountRequestChannel,
    AccountRequestKind,
    AccountRequestStatus,
    Role,
    User,
)
from accounts.services import (
    AccountRequestRefused,
    _facts,
    _language,
    _mail_customer,
    account_request_file,
)

# Words that say "an account for a new colleague", in English and Russian.
ACCOUNT_REQUEST_WORDS = re.compile(
    r"\bnew\s+(?:user\s+|helpdesk\s+)?account"
    r"|\baccount\s+for\b"
    r"|\bcreate\s+(?:an?\s+)?(?:new\s+)?(?:helpdesk\s+|user\s+)?account"
    r"|\bnew\s+(?:employee|colleague|user|staff\s+member)"
    r"|уч[её]тн\w*\s+запис"
    r"|нов\w*\s+(?:сотрудник|коллег|пользовател)"
    r"|аккаунт"
    r"|зарегистрир\w*\s+(?:нов|сотрудник|коллег|пользовател)",
    re.IGNORECASE,
)
EMAIL_ADDRESS = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
NAME_LABEL = re.compile(
    r"^\s*(?:full\s+name|name|фио|ф\.и\.о\.|имя|сотрудник|employee|colleague)\s*[:\-–—]\s*(.+)$",
    re.IGNORECASE,
)
ROLE_LABEL = re.compile(r"^\s*(?:role|роль)\s*[:\-–—]\s*(.+)$", re.IGNORECASE)
REPRESENTATIVE_WORDS = re.compile(r"representative|представител|уполномоч", re.IGNORECASE)
# "…as our second representative", not "I, as the representative of ACME, …".
AS_REPRESENTATIVE = re.compile(
    r"\bas\s+(?:[\w-]+\s+){0,3}?representative(?!\s+of\b)"
    r"|с\s+правами\s+представител"
    r"|в\s+роли\s+представител",
    re.IGNORECASE,
)
NAME_WORD = re.compile(r"[^\W\d_][\w'’-]*", re.UNICODE)
NAME_PARTICLES = frozenset({"de", "da", "di", "du", "van", "von", "der", "den", "la", "le", "bin"})
LABEL_WORDS = frozenset(
    {"name", "email", "e-mail", "mail", "address", "фио", "имя", "почта", "адрес", "e-mail-адрес"}
)


def account_request_from_email(
    *, sender: User, subject: str, text: str, verified: bool = True
) -> AccountRequest | None:
    """An e-mail from a customer asking for an account for a new colleague.

    Returns None when the mail is not such a request (the caller goes on, e.g. opens a
    ticket): the sender is not an active customer, the subject and text do not speak of a
    new account or colleague, or they name no colleague's address and name. Otherwise
    returns the request it recorded: pending (managers alerted, the sender told it
    arrived) or refused (the sender is not a representative, or the address already has
    an account or a pending request; the sender gets the reason by mail).
    """
    found = _colleague_asked_for(sender=sender, subject=subject, text=text)
    if found is None:
        return None
    full_name, email, role = found
    try:
        request = account_request_file(
            requested_by=sender,
            full_name=full_name,
            email=email,
            role=role,
            channel=AccountRequestChannel.EMAIL,
            confirmed=verified,
        )
    except AccountRequestRefused as refusal:
        if not verified:
            return None  # an unproven sender is told nothing; the mail is held for review
        return _refused_by_email(sender, full_name, email, role, refusal)
    if verified:
        _mail_customer(event="account_request_received", user=sender, context=_facts(request))
    return request


def _own_lines(text: str) -> list[str]:
    """The sender's own words: up to the signature or the quoted mail, without quotes."""
    lines = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped in ("--", "-- ") or line.startswith("-- "):
            break
        if re.match(r"^(?:on .+ wrote:|.+ пишет:|-{2,}\s*(?:original|исходное))", stripped, re.I):
            break
        if not stripped.startswith(">"):
            lines.append(line)
    return lines


def _colleague_in(text: str, *, sender: User) -> tuple[str, str, str] | None:
    """(full name, address, role) of the colleague the mail asks for, or None."""
    lines = _own_lines(text)
    ours = {sender.email.lower(), settings.SUPPORT_EMAIL.strip().lower()}
    for number, line in enumerate(lines):
        for match in EMAIL_ADDRESS.finditer(line):
            email = match.group(0).strip(".'").lower()
            if email in ours:
                continue
            before = line[: match.start()]
            name = _labelled(lines, NAME_LABEL) or _name_beside(before, lines[:number])
            if name:
                return name[:200], email, _role_in(lines)
    return None


def _labelled(lines: list[str], label: re.Pattern) -> str:
    for line in lines:
        match = label.match(line)
        if match and not EMAIL_ADDRESS.search(match.group(1)):
            return " ".join(match.group(1).strip(" \t<>\"'()[],;:.").split())
    return ""


def _name_beside(prefix: str, before: list[str]) -> str:
    """The capitalised words just before the address ("… for Ivan Petrov <ivan@…>"), or
    at the end of the line above ("Please add Lena Koval" / "E-mail: lena@…")."""
    words = NAME_WORD.findall(prefix)
    run = _trailing_name(words)
    if len(run) >= 2 or (run and len(words) == 1):
        return " ".join(run)
    previous = next((line for line in reversed(before) if line.strip()), "")
    run = _trailing_name(NAME_WORD.findall(previous))
    return " ".join(run) if len(run) >= 2 else ""


def _trailing_name(words: list[str]) -> list[str]:
    """The last run of capitalised words (with "de", "van" … inside), at most five."""
    run: list[str] = []
    for word in reversed(words):
        particle = word.lower() in NAME_PARTICLES and bool(run)
        label = word.lower() in LABEL_WORDS
        if label or not (word[0].isupper() or particle) or len(run) == 5:
            break
        run.insert(0, word)
    while run and run[0].lower() in NAME_PARTICLES:
        run.pop(0)
    return run


def _role_in(lines: list[str]) -> str:
    role = _labelled(lines, ROLE_LABEL)
    if (role and REPRESENTATIVE_WORDS.search(role)) or AS_REPRESENTATIVE.search("\n".join(lines)):
        return Role.CUSTOMER_REPRESENTATIVE
    return Role.CUSTOMER_EMPLOYEE


def _refused_by_email(
    sender: User, full_name: str, email: str, role: str, refusal: AccountRequestRefused
) -> AccountRequest:
    """Record an e-mailed request that breaks a rule, and tell its sender why."""
    request = AccountRequest.objects.create(
        kind=AccountRequestKind.NEW_ACCOUNT,
        organisation=sender.organisation,
        requested_by=sender,
        channel=AccountRequestChannel.EMAIL,
        full_name=full_name[:200],
        email=email,
        role=role,
        language=_language(sender.language),
        status=AccountRequestStatus.REFUSED,
        reason=refusal.message,
    )
    _mail_customer(event="account_request_refused", user=sender, context=_facts(request))
    return request


def asks_for_an_account(*, sender: User, subject: str, text: str) -> bool:
    """Whether a customer's mail is an account request for a colleague (without filing
    one): mail in holds such a request when its sender is not verified."""
    return _colleague_asked_for(sender=sender, subject=subject, text=text) is not None


def _colleague_asked_for(*, sender: User, subject: str, text: str) -> tuple[str, str, str] | None:
    """(full name, address, role) of the colleague a customer's mail asks an account for."""
    if sender is None or not sender.is_customer:
        return None
    if not ACCOUNT_REQUEST_WORDS.search(f"{subject}\n{text}"):
        return None
    return _colleague_in(text, sender=sender)
