"""Outbound webhooks: a representative subscribes for the organisation's tickets, staff
for every ticket; each subscriber reads the delivery log and redelivers. Thin views over
``webhooks.services``."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from api import serializers_webhooks as s
from api.idempotency import idempotent
from webhooks import services
from webhooks.targets import TargetRefused

IDEMPOTENCY_KEY = OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)
DELIVERIES_SHOWN = 100


class MaySubscribe(permissions.BasePermission):
    message = _("Only your organisation's representative or the contractor's staff can "
                "manage webhooks.")

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user.is_authenticated and (user.is_contractor or user.is_representative))


class WebhookView(APIView):
    permission_classes = [*APIView.permission_classes, MaySubscribe]

    def subscription(self, request, pk: int):
        return get_object_or_404(services.subscriptions_visible_to(request.user), pk=pk)


def _target_checked(call):
    """A refused target is a 400 on ``target_url``, like any invalid field."""
    try:
        return call()
    except TargetRefused as exc:
        raise ValidationError({"target_url": [exc.message]}, code=exc.code) from exc


class WebhookList(WebhookView):
    @extend_schema(operation_id="webhooks_list", responses=s.SubscriptionSerializer(many=True))
    def get(self, request):
        """Your subscriptions (staff: every subscription), newest first."""
        rows = services.subscriptions_visible_to(request.user).select_related("owner")
        return Response(s.SubscriptionSerializer(rows[:200], many=True).data)

    @extend_schema(
        operation_id="webhooks_create",
        parameters=[IDEMPOTENCY_KEY],
        request=s.SubscriptionCreateSerializer,
        responses={201: s.SubscriptionCreatedSerializer},
    )
    @idempotent
    def post(self, request):
        """Subscribe an endpoint to ticket events; the answer carries its signing secret,
        shown only this once."""
        form = s.SubscriptionCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        subscription, secret = _target_checked(
            lambda: services.subscription_create(
                user=request.user, target_url=data["target_url"], events=data["events"],
                organisation_id=data["organisation"],
            )
        )
        subscription.secret = secret
        return Response(
            s.SubscriptionCreatedSerializer(subscription).data, status=status.HTTP_201_CREATED
        )


class WebhookDetail(WebhookView):
    @extend_schema(operation_id="webhooks_retrieve", responses=s.SubscriptionSerializer)
    def get(self, request, pk: int):
        return Response(s.SubscriptionSerializer(self.subscription(request, pk)).data)

    @extend_schema(
        operation_id="webhooks_update",
        request=s.SubscriptionUpdateSerializer,
        responses=s.SubscriptionSerializer,
    )
    def patch(self, request, pk: int):
        """Change the target or the events, or (re)activate: that clears the failures."""
        subscription = self.subscription(request, pk)
        form = s.SubscriptionUpdateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        subscription = _target_checked(
            lambda: services.subscription_update(subscription=subscription, **form.validated_data)
        )
        return Response(s.SubscriptionSerializer(subscription).data)

    @extend_schema(operation_id="webhooks_destroy", responses={204: None})
    def delete(self, request, pk: int):
        services.subscription_delete(subscription=self.subscription(request, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookRotateSecret(WebhookView):
    @extend_schema(
        operation_id="webhooks_rotate_secret", parameters=[IDEMPOTENCY_KEY], request=None,
        responses=s.SecretSerializer,
    )
    @idempotent
    def post(self, request, pk: int):
        """A new signing secret, shown only now; the old one stops at once."""
        secret = services.subscription_rotate_secret(subscription=self.subscription(request, pk))
        return Response({"secret": secret})


class WebhookDeliveries(WebhookView):
    @extend_schema(operation_id="webhooks_deliveries", responses=s.DeliverySerializer(many=True))
    def get(self, request, pk: int):
        """The endpoint's latest deliveries, newest first, each with its attempts."""
        subscription = self.subscription(request, pk)
        rows = subscription.deliveries.prefetch_related("log")[:DELIVERIES_SHOWN]
        return Response(s.DeliverySerializer(rows, many=True).data)


class WebhookRedeliver(WebhookView):
    @extend_schema(
        operation_id="webhooks_redeliver", parameters=[IDEMPOTENCY_KEY], request=None,
        responses={202: s.DeliverySerializer},
    )
    @idempotent
    def post(self, request, pk: int, delivery: str):
        """Send a delivered or failed event again (same event id, fresh attempts)."""
        subscription = self.subscription(request, pk)
        row = get_object_or_404(subscription.deliveries, pk=delivery)
        services.delivery_redeliver(delivery=row)
        row.refresh_from_db()
        return Response(s.DeliverySerializer(row).data, status=status.HTTP_202_ACCEPTED)
