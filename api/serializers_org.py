"""What the representative's resources read and write: people, account requests,
statements. Shapes only; the rules are ``accounts.services`` and ``billing.statements``."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import AccountRequest, Role
from billing.models import Statement, StatementLine

CUSTOMER_ROLE_CHOICES = [
    (Role.CUSTOMER_EMPLOYEE.value, Role.CUSTOMER_EMPLOYEE.label),
    (Role.CUSTOMER_REPRESENTATIVE.value, Role.CUSTOMER_REPRESENTATIVE.label),
]


class ColleagueSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="get_full_name")
    email = serializers.EmailField()
    role = serializers.CharField()
    is_active = serializers.BooleanField()
    deactivation_pending = serializers.BooleanField()


class AccountRequestSerializer(serializers.ModelSerializer):
    person = serializers.IntegerField(source="user_id", allow_null=True)

    class Meta:
        model = AccountRequest
        fields = [
            "id", "kind", "status", "full_name", "email", "role", "person", "note", "reason",
            "created_at", "decided_at",
        ]


class AccountRequestCreateSerializer(serializers.Serializer):
    full_name = serializers.CharField(max_length=200)
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=CUSTOMER_ROLE_CHOICES, default=Role.CUSTOMER_EMPLOYEE)
    language = serializers.ChoiceField(choices=["en", "ru"], required=False)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class DeactivationRequestSerializer(serializers.Serializer):
    note = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default="",
        help_text=_("Why, for the manager who decides."),
    )


class StatementLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = StatementLine
        fields = [
            "ticket_number", "ticket_subject", "ticket_type", "entries_count",
            "business_seconds", "approved_ooh_seconds", "unapproved_ooh_seconds",
            "billable_seconds", "non_billable_seconds",
        ]


class StatementSerializer(serializers.ModelSerializer):
    organisation = serializers.CharField(source="organisation.name")

    class Meta:
        model = Statement
        fields = [
            "id", "organisation", "month", "period_start", "period_end", "status", "revision",
            "generated_at", "tickets_count", "business_seconds", "approved_ooh_seconds",
            "unapproved_ooh_seconds", "billable_seconds", "non_billable_seconds",
            "responded_at", "response_comment",
        ]


class StatementDetailSerializer(StatementSerializer):
    lines = StatementLineSerializer(many=True)

    class Meta(StatementSerializer.Meta):
        fields = [*StatementSerializer.Meta.fields, "lines"]


class StatementAnswerSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
