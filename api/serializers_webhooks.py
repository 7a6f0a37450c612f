"""What the webhook endpoints read and write: shapes only; the rules are
``webhooks.services``."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from webhooks.models import Delivery, DeliveryAttempt, Subscription, WebhookEvent


class SubscriptionSerializer(serializers.ModelSerializer):
    events = serializers.ListField(child=serializers.ChoiceField(choices=WebhookEvent.choices))
    owner = serializers.EmailField(source="owner.email", read_only=True)

    class Meta:
        model = Subscription
        fields = ["id", "target_url", "events", "organisation", "owner", "is_active",
                  "failure_count", "disabled_reason", "disabled_at", "created_at"]
        read_only_fields = fields


class SubscriptionCreatedSerializer(SubscriptionSerializer):
    secret = serializers.CharField(
        read_only=True, help_text=_("The signing secret: shown only now, keep it.")
    )

    class Meta(SubscriptionSerializer.Meta):
        fields = [*SubscriptionSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class SubscriptionCreateSerializer(serializers.Serializer):
    target_url = serializers.URLField(max_length=500)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEvent.choices), min_length=1
    )
    organisation = serializers.IntegerField(
        required=False, allow_null=True, default=None,
        help_text=_("Staff: one organisation's tickets only (empty: every ticket). "
                    "Representatives: your own organisation, always."),
    )


class SubscriptionUpdateSerializer(serializers.Serializer):
    target_url = serializers.URLField(max_length=500, required=False)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEvent.choices), min_length=1, required=False
    )
    is_active = serializers.BooleanField(required=False)


class SecretSerializer(serializers.Serializer):
    secret = serializers.CharField()


class AttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeliveryAttempt
        fields = ["number", "at", "status_code", "error", "duration_ms"]


class DeliverySerializer(serializers.ModelSerializer):
    log = AttemptSerializer(many=True, read_only=True)

    class Meta:
        model = Delivery
        fields = ["id", "event_id", "event_type", "status", "attempts", "last_status_code",
                  "last_error", "created_at", "next_attempt_at", "delivered_at", "payload", "log"]
