"""Organisations (the contractor's customers) and the people of both sides."""

import datetime

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from core.choices import TranslatedChoicesOnce


class Organisation(models.Model):
    """A customer company with a support and maintenance contract."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    contract_number = models.CharField(_("contract number"), max_length=100, blank=True)
    contract_start = models.DateField(_("contract start"), null=True, blank=True)
    contract_end = models.DateField(_("contract end"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name

    def has_active_contract(self, on: datetime.date) -> bool:
        """The contract covers the given day (open ends count as unlimited)."""
        if not self.contract_start or self.contract_start > on:
            return False
        return self.contract_end is None or self.contract_end >= on

    def can_file(self, on: datetime.date) -> bool:
        """A ticket may be filed only by an active organisation under contract."""
        return self.is_active and self.has_active_contract(on)


class Role(models.TextChoices):
    CUSTOMER_EMPLOYEE = "customer_employee", _("Customer employee")
    CUSTOMER_REPRESENTATIVE = "customer_representative", _("Customer representative")
    AGENT = "agent", _("Contractor agent")
    MANAGER = "manager", _("Contractor manager")


CUSTOMER_ROLES = frozenset({Role.CUSTOMER_EMPLOYEE, Role.CUSTOMER_REPRESENTATIVE})
CONTRACTOR_ROLES = frozenset({Role.AGENT, Role.MANAGER})


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_superuser", True)
        extra.setdefault("role", Role.MANAGER)
        return self._create_user(email, password, **extra)


class User(TranslatedChoicesOnce, AbstractUser):
    """A person who logs in by e-mail: a customer's employee or the contractor's staff.
    Its role is named with labels translated once per language (``core.choices``): the
    ticket page's list of staff names each one's role."""

    username = None
    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    role = models.CharField(
        _("role"), max_length=32, choices=Role.choices, default=Role.CUSTOMER_EMPLOYEE
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
        help_text=_("Customers belong to one organisation; contractor staff to none."),
    )
    language = models.CharField(
        _("language"), max_length=8, default="en", choices=[("en", "English"), ("ru", "Русский")]
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []
    objects = UserManager()

    class Meta:
        ordering = ["email"]
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                name="customer_has_organisation",
                condition=(
                    models.Q(role__in=[Role.AGENT, Role.MANAGER], organisation__isnull=True)
                    | models.Q(
                        role__in=[Role.CUSTOMER_EMPLOYEE, Role.CUSTOMER_REPRESENTATIVE],
                        organisation__isnull=False,
                    )
                ),
            )
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    def save(self, *args, **kwargs):
        # Admin access follows the role: only contractor staff enter the staff admin.
        self.email = self.email.lower()
        self.is_staff = self.role in CONTRACTOR_ROLES
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "is_staff", "email"}
        super().save(*args, **kwargs)

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def is_contractor(self) -> bool:
        return self.is_active and self.role in CONTRACTOR_ROLES

    @property
    def is_customer(self) -> bool:
        return self.is_active and self.role in CUSTOMER_ROLES

    @property
    def is_representative(self) -> bool:
        return self.is_customer and self.role == Role.CUSTOMER_REPRESENTATIVE

    @property
    def is_manager(self) -> bool:
        return self.is_active and (self.role == Role.MANAGER or self.is_superuser)


# --- account requests ------------------------------------------------------------------


class AccountRequestKind(models.TextChoices):
    NEW_ACCOUNT = "new_account", _("New account")
    DEACTIVATION = "deactivation", _("Deactivation")


class AccountRequestStatus(models.TextChoices):
    # By e-mail from a sender nobody proved: real only once the representative confirms.
    UNCONFIRMED = "unconfirmed", _("Awaiting the representative's confirmation")
    PENDING = "pending", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    DECLINED = "declined", _("Declined")
    # Refused on arrival (an e-mailed request that breaks a rule): no manager ever saw it.
    REFUSED = "refused", _("Refused")


class AccountRequestChannel(models.TextChoices):
    WEB = "web", _("Web portal")
    EMAIL = "email", _("E-mail")


# A representative may ask for these roles only; contractor staff are added by managers.
REQUESTABLE_ROLES = (Role.CUSTOMER_EMPLOYEE, Role.CUSTOMER_REPRESENTATIVE)


def by_manager(account_request: "AccountRequest", user) -> bool:
    return bool(user) and user.is_manager


def by_its_representative(account_request: "AccountRequest", user) -> bool:
    """The representative in whose name it was asked (by e-mail: unproven until now)."""
    return bool(user) and user.pk == account_request.requested_by_id and user.is_representative


class AccountRequest(ConcurrentTransitionMixin, models.Model):
    """A customer representative's request: an account for a new colleague, or the
    deactivation of a leaver. A contractor manager approves or declines it."""

    kind = models.CharField(_("kind"), max_length=16, choices=AccountRequestKind.choices)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="account_requests",
    )
    requested_by = models.ForeignKey(
        User,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="account_requests_made",
    )
    channel = models.CharField(
        _("channel"), max_length=8, choices=AccountRequestChannel.choices,
        default=AccountRequestChannel.WEB,
    )
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail address"), blank=True, help_text=_("Stored in lower case."))
    role = models.CharField(
        _("role"), max_length=32, blank=True,
        choices=[(role.value, role.label) for role in REQUESTABLE_ROLES],
    )
    language = models.CharField(
        _("language"), max_length=8, default="en", choices=[("en", "English"), ("ru", "Русский")],
        help_text=_("The language of the invitation and of the new account."),
    )
    user = models.ForeignKey(
        User,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="account_requests",
        help_text=_("The leaver to deactivate, or the account created on approval."),
    )
    note = models.TextField(_("note from the representative"), blank=True)
    status = FSMField(
        _("status"), max_length=16, choices=AccountRequestStatus.choices,
        default=AccountRequestStatus.PENDING, protected=True,
    )
    reason = models.TextField(
        _("reason"),
        blank=True,
        help_text=_("Why it was declined or refused; the customer sees it."),
    )
    created_at = models.DateTimeField(_("requested at"), default=timezone.now, db_index=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        User,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("account request")
        verbose_name_plural = _("account requests")
        constraints = [
            # One pending request per organisation and address: a request of another
            # organisation for the same address is a conflict for the managers, and
            # never blocks (nor reveals anything to) this one.
            models.UniqueConstraint(
                fields=["organisation", "email"],
                condition=models.Q(
                    kind=AccountRequestKind.NEW_ACCOUNT, status=AccountRequestStatus.PENDING
                ),
                name="one_pending_account_request_per_organisation_and_email",
            ),
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(
                    kind=AccountRequestKind.DEACTIVATION, status=AccountRequestStatus.PENDING
                ),
                name="one_pending_deactivation_per_user",
            ),
            models.CheckConstraint(
                name="account_request_names_its_person",
                condition=(
                    models.Q(kind=AccountRequestKind.NEW_ACCOUNT)
                    & ~models.Q(email="")
                    & ~models.Q(full_name="")
                    | models.Q(kind=AccountRequestKind.DEACTIVATION, user__isnull=False)
                ),
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="account_request_queue_idx")]

    def __str__(self) -> str:
        if self.kind == AccountRequestKind.DEACTIVATION and self.user_id:
            return _("Deactivate %(person)s") % {"person": self.user}
        return _("Account for %(name)s <%(email)s>") % {"name": self.full_name, "email": self.email}

    @property
    def person_name(self) -> str:
        if self.kind == AccountRequestKind.DEACTIVATION and self.user_id:
            return self.user.get_full_name()
        return self.full_name

    @property
    def person_email(self) -> str:
        if self.kind == AccountRequestKind.DEACTIVATION and self.user_id:
            return self.user.email
        return self.email

    # --- transitions -------------------------------------------------------------

    @transition(
        field=status,
        source=AccountRequestStatus.UNCONFIRMED,
        target=AccountRequestStatus.PENDING,
        permission=by_its_representative,
        custom={"label": _("Confirm")},
    )
    def confirm(self):
        """The representative confirms a request made in their name by e-mail."""

    @transition(
        field=status,
        source=AccountRequestStatus.PENDING,
        target=AccountRequestStatus.APPROVED,
        permission=by_manager,
        custom={
            "label": _("Approve"),
            "help_text": _("Create the account and invite the person, or deactivate the leaver."),
        },
    )
    def approve(self):
        """A contractor manager agrees: the account is created, or the leaver deactivated."""
        self.decided_at = timezone.now()

    @transition(
        field=status,
        source=AccountRequestStatus.PENDING,
        target=AccountRequestStatus.DECLINED,
        permission=by_manager,
        custom={
            "label": _("Decline"),
            "help_text": _("Decline, with a reason the representative reads."),
        },
    )
    def decline(self, reason: str = ""):
        """A contractor manager declines, with a reason the representative reads."""
        self.reason = reason
        self.decided_at = timezone.now()


# --- throttles -------------------------------------------------------------------------


class ThrottleCounter(models.Model):
    """How often something that costs a mail (a password reset) was asked for, per
    scope, key (a keyed hash of the address or client) and fixed time window. In the
    database, not the cache: a throttle of mail must hold while Redis is down."""

    scope = models.CharField(max_length=32)
    key = models.CharField(max_length=64)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "key", "window_start"], name="one_throttle_counter_per_window"
            )
        ]
        indexes = [models.Index(fields=["window_start"], name="throttle_counter_window_idx")]

    def __str__(self) -> str:
        return f"{self.scope} {self.window_start:%Y-%m-%d %H:%M}: {self.count}"
