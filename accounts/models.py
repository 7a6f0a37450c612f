"""Organisations (the contractor's customers) and the people of both sides."""

import datetime

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils.translation import gettext_lazy as _


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


class User(AbstractUser):
    """A person who logs in by e-mail: a customer's employee or the contractor's staff."""

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
