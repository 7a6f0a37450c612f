"""Accounts for new colleagues, and the deactivation of leavers.

The rule (Helpdesk Ticketing Rules, last paragraph): an authorised employee of the
customer (the customer representative) asks for an account for a new colleague, with
the colleague's full name and e-mail address, in the portal or by e-mail to support. A
contractor manager approves or declines. Representatives also ask to deactivate leavers.

On approval the colleague's account is created *active with an unusable password*: they
cannot log in until they set one through the invitation link, and ``is_active`` keeps one
meaning in the whole project ("may use the helpdesk"; False is a deactivated leaver). The
link carries an ``InvitationTokenGenerator`` token, which is bound to the password hash,
the last login, the active flag and the e-mail address, so it works once, dies with a
deactivation, and expires after ``ACCOUNT_INVITATION_DAYS`` days.
"""


from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, can_proceed, has_transition_perm

from accounts.models import (
    CUSTOMER_ROLES,
    REQUESTABLE_ROLES,
    AccountRequest,
    AccountRequestChannel,
    AccountRequestKind,
    AccountRequestStatus,
    Role,
    User,
)
from core.errors import ActionRefused
from notifications.api import notify_address, notify_people

DEFAULT_INVITATION_DAYS = 7


class AccountRequestRefused(ActionRefused):
    """A rule of account requests forbids what was asked; ``field`` names the form field
    the message belongs to, if any."""

    def __init__(self, message: str, *, code: str = "refused", field: str | None = None):
        super().__init__(message, code=code)
        self.field = field


# --- the invitation token --------------------------------------------------------------


def invitation_days() -> int:
    return int(getattr(settings, "ACCOUNT_INVITATION_DAYS", DEFAULT_INVITATION_DAYS))


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    """Django's password-reset token, with its own salt and the invitation's lifetime.

    The hash covers the password (unusable until the colleague sets one), the last login,
    the active flag and the address: setting the password, logging in, a deactivation
    or a changed address each make the link stop working.
    """

    key_salt = "accounts.services.InvitationTokenGenerator"

    def _make_hash_value(self, user, timestamp):
        last = user.last_login
        login = "" if last is None else last.replace(microsecond=0, tzinfo=None)
        return f"{user.pk}{user.password}{login}{timestamp}{user.is_active}{user.email}"

    def check_token(self, user, token) -> bool:
        if not (user and token):
            return False
        try:
            ts_b36, _hash = token.split("-")
            timestamp = base36_to_int(ts_b36)
        except ValueError:
            return False
        signed = any(
            constant_time_compare(self._make_token_with_timestamp(user, timestamp, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        )
        age = self._num_seconds(self._now()) - timestamp
        return signed and age <= invitation_days() * 24 * 3600


invitation_token = InvitationTokenGenerator()


def invitation_url(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = invitation_token.make_token(user)
    path = reverse("invitation_accept", kwargs={"uidb64": uid, "token": token})
    return settings.SITE_URL.rstrip("/") + path


# --- who may ---------------------------------------------------------------------------


def _require_representative(user: User) -> None:
    if not user.is_representative:
        raise AccountRequestRefused(
            _("Only your organisation's representative can request or deactivate accounts."),
            code="not_representative",
        )
    if not user.organisation.is_active:
        raise AccountRequestRefused(
            _("Your organisation is not active in the helpdesk."), code="inactive_organisation"
        )


def _require_manager(user: User) -> None:
    if not user.is_manager:
        raise AccountRequestRefused(
            _("Only a contractor manager can decide on account requests."), code="forbidden"
        )


# --- reads -----------------------------------------------------------------------------


def colleagues_of(user: User) -> QuerySet[User]:
    """The people of the representative's organisation (none for anyone else)."""
    if not user.is_representative:
        return User.objects.none()
    pending = AccountRequest.objects.filter(
        user=OuterRef("pk"),
        kind=AccountRequestKind.DEACTIVATION,
        status=AccountRequestStatus.PENDING,
    )
    return (
        User.objects.filter(organisation_id=user.organisation_id, role__in=CUSTOMER_ROLES)
        .annotate(deactivation_pending=Exists(pending))
        .order_by("-is_active", "full_name", "email")
    )


def account_requests_visible_to(user: User) -> QuerySet[AccountRequest]:
    """A representative sees their organisation's requests; contractor staff see all."""
    requests = AccountRequest.objects.select_related(
        "organisation", "requested_by", "user", "decided_by"
    )
    if user.is_contractor or (user.is_active and user.is_superuser):
        return requests
    if user.is_representative:
        return requests.filter(organisation_id=user.organisation_id)
    return requests.none()


def account_request_conflicts(account_request: AccountRequest) -> list[str]:
    """What a manager must know before approving a new account: the address already has
    an account (in which organisation), or other organisations asked for it too."""
    if account_request.kind != AccountRequestKind.NEW_ACCOUNT or not account_request.email:
        return []
    found = []
    for user in User.objects.filter(email__iexact=account_request.email).select_related(
        "organisation"
    ):
        where = user.organisation.name if user.organisation_id else _("contractor staff")
        message = (
            _("An account with this address exists: %(person)s, %(where)s.")
            if user.is_active
            else _("A deactivated account with this address exists: %(person)s, %(where)s.")
        )
        found.append(message % {"person": user.get_full_name(), "where": where})
    others = (
        AccountRequest.objects.filter(
            kind=AccountRequestKind.NEW_ACCOUNT,
            status=AccountRequestStatus.PENDING,
            email=account_request.email,
        )
        .exclude(pk=account_request.pk)
        .select_related("organisation")
    )
    for other in others:
        found.append(
            _("%(organisation)s also asks for an account for this address.")
            % {"organisation": other.organisation.name}
        )
    return found


# --- filing ----------------------------------------------------------------------------


def _address_refusal(email: str) -> AccountRequestRefused | None:
    if email == settings.SUPPORT_EMAIL.strip().lower():
        return AccountRequestRefused(
            _("This is the helpdesk's own address; give your colleague's address."),
            code="own_address", field="email",
        )
    return None


def _colleague_refusal(email: str, organisation_id: int) -> AccountRequestRefused | None:
    """An address that is already a colleague's account: the representative sees their
    colleagues anyway. Whether an address is known anywhere else is never said (it would
    let a representative probe other organisations' people): such a request is filed
    like any other and the managers see the conflict when deciding."""
    colleague = User.objects.filter(
        email__iexact=email, organisation_id=organisation_id, role__in=CUSTOMER_ROLES
    )
    if colleague.exists():
        return AccountRequestRefused(
            _(
                "This e-mail address already has a helpdesk account. If it belonged to a "
                "colleague who left, ask the support team to reactivate it."
            ),
            code="duplicate_user", field="email",
        )
    return None


def _pending_duplicate() -> AccountRequestRefused:
    return AccountRequestRefused(
        _("An account for this e-mail address has already been requested and awaits approval."),
        code="duplicate_request", field="email",
    )


def _clean_new_account(
    *, full_name: str, email: str, role: str, organisation_id: int
) -> tuple[str, str]:
    full_name, email = " ".join(full_name.split()), email.strip().lower()
    if not full_name:
        raise AccountRequestRefused(
            _("Give your colleague's full name."), code="no_name", field="full_name"
        )
    try:
        if len(email) > 254:  # what an address column holds (RFC 5321)
            raise ValidationError("too long")
        validate_email(email)
    except ValidationError:
        raise AccountRequestRefused(
            _("Enter a valid e-mail address."), code="bad_email", field="email"
        )
    if role not in REQUESTABLE_ROLES:
        raise AccountRequestRefused(
            _("Choose employee or representative."), code="bad_role", field="role"
        )
    refusal = _address_refusal(email) or _colleague_refusal(email, organisation_id)
    if refusal is not None:
        raise refusal
    return full_name[:200], email


def account_request_file(
    *,
    requested_by: User,
    full_name: str,
    email: str,
    role: str = Role.CUSTOMER_EMPLOYEE,
    language: str = "",
    note: str = "",
    channel: str = AccountRequestChannel.WEB,
    confirmed: bool = True,
) -> AccountRequest:
    """A customer representative asks for a helpdesk account for a new colleague.

    ``confirmed=False`` (an e-mail whose sender nobody proved): the request is only
    written as unconfirmed, and the representative gets a single-use link at their own
    address; the managers hear of it once it is confirmed (``account_request_confirm``).

    Refused (AccountRequestRefused) for anyone but an active representative, and for an
    address that is already a colleague's account or already requested by the same
    organisation (a pending request, one per organisation and address). An address known
    elsewhere is filed all the same: the answer must not tell the representative about
    other organisations' people; the managers see the conflict (``account_request_conflicts``).
    """
    _require_representative(requested_by)
    full_name, email = _clean_new_account(
        full_name=full_name, email=email, role=role,
        organisation_id=requested_by.organisation_id,
    )
    request = AccountRequest(
        status=AccountRequestStatus.PENDING if confirmed else AccountRequestStatus.UNCONFIRMED,
        kind=AccountRequestKind.NEW_ACCOUNT,
        organisation=requested_by.organisation,
        requested_by=requested_by,
        channel=channel,
        full_name=full_name,
        email=email,
        role=role,
        language=_language(language or requested_by.language),
        note=note.strip(),
    )
    if not confirmed:
        request.save()
        _mail_customer(
            event="account_request_confirm",
            user=requested_by,
            context={**_facts(request), "confirm_url": confirmation_url(request)},
        )
        return request
    return _file(request, duplicate=_pending_duplicate)


_CONFIRM_SALT = "accounts.account_request_confirm"
CONFIRM_DAYS = 7


def confirmation_url(request: AccountRequest) -> str:
    """The single-use link that makes an e-mailed request real (it works until the
    request is confirmed, for CONFIRM_DAYS days)."""
    path = reverse("account_request_confirm", args=[confirmation_token(request)])
    return settings.SITE_URL.rstrip("/") + path


def confirmation_token(request: AccountRequest) -> str:
    return signing.dumps(request.pk, salt=_CONFIRM_SALT)


def request_from_confirmation_token(token: str) -> AccountRequest | None:
    try:
        pk = signing.loads(token, salt=_CONFIRM_SALT, max_age=CONFIRM_DAYS * 86400)
    except signing.BadSignature:
        return None
    return AccountRequest.objects.filter(pk=pk).select_related("requested_by").first()


def account_request_confirm(*, account_request: AccountRequest, actor: User) -> AccountRequest:
    """The representative confirms a request made in their name by e-mail: it becomes a
    pending request, the managers are alerted, and the representative is told."""
    with transaction.atomic():
        locked = AccountRequest.objects.select_for_update().get(pk=account_request.pk)
        method = locked.confirm
        if not can_proceed(method):
            raise AccountRequestRefused(
                _("This request is already “%(status)s”.")
                % {"status": locked.get_status_display()},
                code="decided",
            )
        if not has_transition_perm(method, actor):
            raise AccountRequestRefused(
                _("Only the representative in whose name it was asked can confirm it."),
                code="forbidden",
            )
        method()
        try:
            with transaction.atomic():
                locked.save()
        except IntegrityError:
            raise _pending_duplicate() from None
        _alert_managers(locked)
        _mail_customer(event="account_request_received", user=actor, context=_facts(locked))
    account_request.refresh_from_db()
    return locked


def account_deactivation_request_file(
    *,
    requested_by: User,
    user: User,
    note: str = "",
    channel: str = AccountRequestChannel.WEB,
) -> AccountRequest:
    """A customer representative asks to deactivate a leaver of their own organisation."""
    _require_representative(requested_by)
    if user.pk == requested_by.pk:
        raise AccountRequestRefused(
            _("You cannot ask to deactivate your own account; write to the support team."),
            code="self",
        )
    if user.organisation_id != requested_by.organisation_id or user.role not in CUSTOMER_ROLES:
        raise AccountRequestRefused(
            _("You can ask to deactivate your own organisation's people only."),
            code="not_colleague",
        )
    if not user.is_active:
        raise AccountRequestRefused(_("This account is already deactivated."), code="inactive")
    request = AccountRequest(
        kind=AccountRequestKind.DEACTIVATION,
        organisation=requested_by.organisation,
        requested_by=requested_by,
        channel=channel,
        user=user,
        language=_language(user.language),
        note=note.strip(),
    )
    return _file(request, duplicate=_pending_deactivation)


def _pending_deactivation() -> AccountRequestRefused:
    return AccountRequestRefused(
        _("The deactivation of this account has already been requested and awaits approval."),
        code="duplicate_request",
    )


def _file(request: AccountRequest, *, duplicate) -> AccountRequest:
    """Save a new pending request and alert the managers, in one transaction."""
    try:
        with transaction.atomic():
            request.save()
            _alert_managers(request)
    except IntegrityError:  # the same request a moment ago (the partial unique indexes)
        raise duplicate() from None
    return request


def _language(code: str) -> str:
    known = {code for code, _name in settings.LANGUAGES}
    return code if code in known else settings.LANGUAGE_CODE


# --- deciding --------------------------------------------------------------------------


def _fire(account_request: AccountRequest, name: str, actor: User, **kwargs) -> AccountRequest:
    """Fire a transition under a row lock; refuse a request decided a moment ago."""
    locked = AccountRequest.objects.select_for_update().get(pk=account_request.pk)
    method = getattr(locked, name)
    if not can_proceed(method):
        raise AccountRequestRefused(
            _("This request is already “%(status)s”.") % {"status": locked.get_status_display()},
            code="decided",
        )
    if not has_transition_perm(method, actor):
        raise AccountRequestRefused(
            _("Only a contractor manager can decide on account requests."), code="forbidden"
        )
    method(**kwargs)
    locked.decided_by = actor
    return locked


def _save(locked: AccountRequest) -> None:
    try:
        locked.save()
    except ConcurrentTransition:
        raise AccountRequestRefused(
            _("Someone decided on this request a moment ago; please look at it again."),
            code="concurrent",
        ) from None


def account_request_approve(*, account_request: AccountRequest, actor: User) -> AccountRequest:
    """A contractor manager approves: the colleague's account is created and they are
    invited to set a password, or the leaver is deactivated; the representative is told."""
    _require_manager(actor)
    with transaction.atomic():
        locked = _fire(account_request, "approve", actor)
        if locked.kind == AccountRequestKind.NEW_ACCOUNT:
            locked.user = _create_invited(locked)
            _invite(locked.user, locked)
        else:
            _deactivate(locked)
        _save(locked)
        _mail_customer(
            event="account_request_approved", user=locked.requested_by, context=_facts(locked)
        )
    account_request.refresh_from_db()
    return locked


def _create_invited(request: AccountRequest) -> User:
    """The colleague's account: active, in the representative's organisation, no password."""
    if User.objects.filter(email__iexact=request.email).exists():
        raise AccountRequestRefused(
            _("A user with this e-mail address exists now; decline the request instead."),
            code="duplicate_user",
        )
    user = User(
        email=request.email,
        full_name=request.full_name,
        role=request.role,
        organisation_id=request.organisation_id,
        language=request.language,
        is_active=True,
    )
    user.set_unusable_password()
    user.save()
    return user


def _invite(user: User, request: AccountRequest) -> None:
    notify_address(
        event="account_invitation",
        email=user.email,
        language=user.language,
        context={
            **_facts(request),
            "invitation_url": invitation_url(user),
            "days": invitation_days(),
            "login_url": settings.SITE_URL.rstrip("/") + reverse("login"),
        },
    )


def _deactivate(request: AccountRequest) -> None:
    """The leaver can no longer log in; their open sessions stop working at once."""
    leaver = User.objects.select_for_update().get(pk=request.user_id)
    if not leaver.is_active:
        return
    leaver.is_active = False
    leaver.save(update_fields=["is_active"])
    # The backend refuses an inactive user on every request, so their sessions end here.
    notify_address(
        event="account_deactivated", email=leaver.email, language=leaver.language,
        context=_facts(request),
    )


def account_request_decline(
    *, account_request: AccountRequest, actor: User, reason: str
) -> AccountRequest:
    """A contractor manager declines, with a reason the representative is mailed."""
    _require_manager(actor)
    reason = reason.strip()
    if not reason:
        raise AccountRequestRefused(
            _("Say why the request is declined; the representative reads it."),
            code="no_reason", field="reason",
        )
    with transaction.atomic():
        locked = _fire(account_request, "decline", actor, reason=reason)
        _save(locked)
        _mail_customer(
            event="account_request_declined", user=locked.requested_by, context=_facts(locked)
        )
    account_request.refresh_from_db()
    return locked


def account_invitation_resend(*, account_request: AccountRequest, actor: User) -> bool:
    """A manager sends a new invitation to a colleague who has not set a password yet
    (the first link expired or was lost). False when there is nothing to resend."""
    _require_manager(actor)
    user = account_request.user
    waiting = (
        account_request.kind == AccountRequestKind.NEW_ACCOUNT
        and account_request.status == AccountRequestStatus.APPROVED
        and user is not None
        and user.is_active
        and not user.has_usable_password()
    )
    if not waiting:
        return False
    with transaction.atomic():
        _invite(user, account_request)
    return True


# --- mail ------------------------------------------------------------------------------


def _facts(request: AccountRequest) -> dict:
    """What the account mails say: JSON-serialisable, nothing of another organisation."""
    return {
        "request_id": request.pk,
        "kind": request.kind,
        "full_name": request.person_name,
        "email": request.person_email,
        "role": request.role or (request.user.role if request.user_id else ""),
        "organisation": request.organisation.name,
        "requested_by": request.requested_by.get_full_name(),
        "channel": request.channel,
        "note": request.note,
        "reason": request.reason,
        "requests_url": settings.SITE_URL.rstrip("/") + reverse("account_requests"),
    }


def _alert_managers(request: AccountRequest) -> None:
    managers = User.objects.filter(role=Role.MANAGER, is_active=True)
    admin_url = reverse("admin:accounts_accountrequest_change", args=[request.pk])
    notify_people(
        event="account_request_new",
        users=managers,
        actor=request.requested_by,
        context={**_facts(request), "admin_url": settings.SITE_URL.rstrip("/") + admin_url},
    )


def _mail_customer(*, event: str, user: User, context: dict) -> None:
    """Mail a customer about their organisation's account request.

    No ticket is involved, and the outbox keeps customer-side mail to a ticket's
    organisation; so the person is mailed at their own address, in their language, with
    facts of their own organisation only (as billing does for statements).
    """
    if user.is_active:
        notify_address(event=event, email=user.email, language=user.language, context=context)
