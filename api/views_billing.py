"""Out-of-hours requests (either party asks; the representative and a manager decide)
and time entries (contractor staff), through ``billing.services``."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from api.idempotency import idempotent
from api.permissions import IsContractor
from api.serializers import PersonSerializer
from api.views import ticket_of
from billing import selectors, services
from billing.models import Activity, OutOfHoursRequest, TimeEntry
from tickets.selectors import tickets_visible_to

IDEMPOTENCY_KEY = OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)


class OutOfHoursSerializer(serializers.ModelSerializer):
    ticket = serializers.CharField(source="ticket.number")
    requested_by = PersonSerializer()

    class Meta:
        model = OutOfHoursRequest
        fields = [
            "id", "ticket", "requested_by", "requested_at", "start", "end", "reason", "status",
            "customer_decision", "customer_decided_at", "customer_comment",
            "contractor_decision", "contractor_decided_at", "contractor_comment",
        ]


class OutOfHoursCreateSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    reason = serializers.CharField(max_length=5000)


class DecisionSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class TimeEntrySerializer(serializers.ModelSerializer):
    agent = PersonSerializer()

    class Meta:
        model = TimeEntry
        fields = [
            "id", "agent", "started_at", "duration", "description", "billable", "activity",
            "business_seconds", "approved_ooh_seconds", "unapproved_ooh_seconds", "ooh_flagged",
        ]


class TimeEntryCreateSerializer(serializers.Serializer):
    started_at = serializers.DateTimeField()
    duration = serializers.DurationField(help_text=_("e.g. `01:30:00`"))
    description = serializers.CharField(max_length=5000)
    billable = serializers.BooleanField(default=True)
    activity = serializers.ChoiceField(choices=Activity.choices, required=False)


class TicketOutOfHours(APIView):
    @extend_schema(
        operation_id="tickets_out_of_hours_list", responses=OutOfHoursSerializer(many=True)
    )
    def get(self, request, number: str):
        """The ticket's requests for out-of-hours work, the latest first."""
        ticket = ticket_of(request, number)
        rows = selectors.out_of_hours_requests_of(ticket).select_related("ticket")
        return Response(OutOfHoursSerializer(rows, many=True).data)

    @extend_schema(
        operation_id="tickets_out_of_hours_create",
        parameters=[IDEMPOTENCY_KEY],
        request=OutOfHoursCreateSerializer,
        responses={201: OutOfHoursSerializer},
    )
    @idempotent
    def post(self, request, number: str):
        """Ask for out-of-hours work in a window (either party of an open ticket); the
        asker's side approves at once if the asker decides for it."""
        ticket = ticket_of(request, number)
        form = OutOfHoursCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        ooh = services.ooh_request_create(ticket=ticket, actor=request.user, **form.validated_data)
        return Response(OutOfHoursSerializer(ooh).data, status=status.HTTP_201_CREATED)


DECISIONS = {"approve": services.ooh_request_approve, "decline": services.ooh_request_decline}


class OutOfHoursDecision(APIView):
    decision = "approve"

    @extend_schema(
        parameters=[IDEMPOTENCY_KEY], request=DecisionSerializer, responses=OutOfHoursSerializer
    )
    @idempotent
    def post(self, request, pk: int):
        """Decide on your side: the representative for the customer, a manager for the
        contractor; approved by both, the window counts double and the SLA clock runs."""
        visible = OutOfHoursRequest.objects.filter(ticket__in=tickets_visible_to(request.user))
        ooh = get_object_or_404(visible.select_related("ticket"), pk=pk)
        form = DecisionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        DECISIONS[self.decision](request=ooh, actor=request.user, **form.validated_data)
        fresh = OutOfHoursRequest.objects.select_related("ticket", "requested_by").get(pk=pk)
        return Response(OutOfHoursSerializer(fresh).data)


class TicketTimeEntries(APIView):
    permission_classes = [*APIView.permission_classes, IsContractor]

    @extend_schema(
        operation_id="tickets_time_entries_list", responses=TimeEntrySerializer(many=True)
    )
    def get(self, request, number: str):
        """Staff: the time logged on the ticket, split into business and out-of-hours time."""
        rows = selectors.time_entries_of(ticket_of(request, number))
        return Response(TimeEntrySerializer(rows, many=True).data)

    @extend_schema(
        operation_id="tickets_time_entries_create",
        parameters=[IDEMPOTENCY_KEY],
        request=TimeEntryCreateSerializer,
        responses={201: TimeEntrySerializer},
    )
    @idempotent
    def post(self, request, number: str):
        """Staff: log time on the ticket (split by the calendar and the approved windows)."""
        ticket = ticket_of(request, number)
        form = TimeEntryCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        entry = TimeEntry(ticket=ticket, **form.validated_data)
        entry = services.time_entry_save(entry=entry, actor=request.user)
        return Response(TimeEntrySerializer(entry).data, status=status.HTTP_201_CREATED)
