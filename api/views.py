"""The API's views: parse the input, call one service (the portal's), render the result.

Visibility is ``tickets.selectors`` (a customer sees their organisation's tickets, staff
all); every write is a ``tickets.services`` use case, which checks who may.
"""

from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from api import serializers as s
from api.errors import problem
from api.etags import check_if_match, ticket_etag
from api.filters import filter_tickets
from api.idempotency import idempotent
from api.pagination import EventCursor, TicketCursor
from api.permissions import IsContractor
from sla import services as sla
from sla.models import Priority
from tickets import selectors, services
from tickets.downloads import attachment_response
from tickets.models import TicketEvent, TicketType

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="The ticket's ETag as read; a stale one is refused with 412.",
)
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Any unique string: a retry with the same key and body gets the first answer.",
)
TRANSITION_NAMES = list(services.TRANSITION_SERVICES)


def ticket_of(request, number: str):
    """The ticket, if this caller may see it; a 404 otherwise (nothing is revealed)."""
    return get_object_or_404(selectors.tickets_visible_to(request.user), number=number)


def ticket_response(request, ticket, status_code=status.HTTP_200_OK, **headers) -> Response:
    ticket = ticket_of(request, ticket.number)  # fresh, with its relations
    data = s.TicketDetailSerializer(ticket, context={"request": request}).data
    return Response(data, status=status_code, headers={"ETag": ticket_etag(ticket), **headers})


def visible_ticket_by_number(request, number: str | None, field: str):
    if not number:
        return None
    found = selectors.tickets_visible_to(request.user).filter(number=number).first()
    if found is None:
        message = _("No ticket %(number)s that you may see.") % {"number": number}
        raise ValidationError({field: [message]})
    return found


@csrf_exempt  # a 404 whatever the method: the CSRF check has nothing to protect here
def not_found(request, *args, **kwargs):
    return problem(404, "not_found", _("There is nothing at this address."), request)


class TicketList(generics.GenericAPIView):
    pagination_class = TicketCursor
    serializer_class = s.TicketSerializer
    @extend_schema(
        operation_id="tickets_list",
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, enum=s.STATUS_FILTERS),
            OpenApiParameter("type", OpenApiTypes.STR, enum=TicketType.values),
            OpenApiParameter("priority", OpenApiTypes.INT, enum=Priority.values),
            OpenApiParameter(
                "assignee", OpenApiTypes.STR, description="A user id, `me` or `none`."
            ),
            OpenApiParameter("requester", OpenApiTypes.STR, description="A user id or `me`."),
            OpenApiParameter("updated_since", OpenApiTypes.DATETIME),
            OpenApiParameter("q", OpenApiTypes.STR, description="Words or a ticket number."),
        ],
        responses=s.TicketSerializer(many=True),
    )
    def get(self, request):
        """Tickets you may see, newest first (a customer: their organisation's)."""
        tickets = filter_tickets(request, selectors.tickets_visible_to(request.user))
        page = self.paginate_queryset(tickets)
        data = s.TicketSerializer(page, many=True, context={"request": request}).data
        return self.get_paginated_response(data)

    @extend_schema(
        operation_id="tickets_create",
        parameters=[IDEMPOTENCY_KEY],
        request={
            "application/json": s.TicketCreateSerializer,
            "multipart/form-data": s.TicketCreateSerializer,
        },
        responses={201: s.TicketDetailSerializer},
    )
    @idempotent
    def post(self, request):
        """File a ticket for your organisation (customers), with attachments (multipart)."""
        form = s.TicketCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        follows = visible_ticket_by_number(request, data.get("follows"), "follows")
        ticket = services.ticket_file(
            requester=request.user,
            subject=data["subject"],
            body=data["body"],
            type=data["type"],
            priority=data.get("priority"),
            channel="api",
            files=data["files"],
            follows=follows,
        )
        location = request.build_absolute_uri(reverse("api:ticket-detail", args=[ticket.number]))
        return ticket_response(request, ticket, status.HTTP_201_CREATED, Location=location)


class TicketDetail(APIView):
    @extend_schema(operation_id="tickets_retrieve", responses=s.TicketDetailSerializer)
    def get(self, request, number: str):
        """One ticket: SLA deadlines and time left, the transitions you may fire now."""
        return ticket_response(request, ticket_of(request, number))


def _transition_kwargs(request, name: str, data: dict) -> dict:
    """The message or reason each transition's service takes (the rule needs it)."""
    if name in ("request_info", "resolve", "close", "reopen"):
        return {"message": data["message"]}
    if name == "reject":
        return {"reason": data["reason"], "preset": data["preset"]}
    if name == "mark_duplicate":
        original = visible_ticket_by_number(request, data.get("original"), "original")
        if original is None:
            raise ValidationError({"original": [_("Give the number of the original ticket.")]})
        return {"original": original}
    return {}


class TicketTransition(APIView):
    @extend_schema(
        operation_id="tickets_transition",
        parameters=[
            OpenApiParameter(
                "name", OpenApiTypes.STR, OpenApiParameter.PATH, enum=TRANSITION_NAMES
            ),
            IF_MATCH,
            IDEMPOTENCY_KEY,
        ],
        request=s.TransitionInputSerializer,
        responses=s.TicketDetailSerializer,
    )
    @idempotent
    def post(self, request, number: str, name: str):
        """Fire a transition of the state machine (see each ticket's `transitions`)."""
        service = services.TRANSITION_SERVICES.get(name)
        if service is None:
            raise NotFound(_("There is no transition %(name)s.") % {"name": name})
        ticket = ticket_of(request, number)
        check_if_match(request, ticket)
        form = s.TransitionInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        kwargs = _transition_kwargs(request, name, form.validated_data)
        service(ticket=ticket, actor=request.user, **kwargs)
        return ticket_response(request, ticket)


class TicketComments(APIView):
    @extend_schema(operation_id="tickets_comments_list", responses=s.CommentSerializer(many=True))
    def get(self, request, number: str):
        """The conversation (internal notes for contractor staff only)."""
        ticket = ticket_of(request, number)
        comments = selectors.comments_visible_to(request.user, ticket)
        return Response(s.CommentSerializer(comments, many=True, context={"request": request}).data)

    @extend_schema(
        operation_id="tickets_comments_create",
        parameters=[IF_MATCH, IDEMPOTENCY_KEY],
        request={
            "application/json": s.CommentCreateSerializer,
            "multipart/form-data": s.CommentCreateSerializer,
        },
        responses={201: s.CommentSerializer},
    )
    @idempotent
    def post(self, request, number: str):
        """Write on the ticket; a customer's reply resumes a waiting ticket or reopens a
        resolved one, as in the portal."""
        ticket = ticket_of(request, number)
        check_if_match(request, ticket)
        form = s.CommentCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        comment = services.comment_add(
            ticket=ticket,
            author=request.user,
            body=data["body"],
            internal=data["internal"],
            files=data["files"],
        )
        fresh = ticket_of(request, number)
        body = s.CommentSerializer(comment, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED, headers={"ETag": ticket_etag(fresh)})


class TicketAttachments(APIView):
    @extend_schema(
        operation_id="tickets_attachments_list", responses=s.AttachmentSerializer(many=True)
    )
    def get(self, request, number: str):
        """Every file of the ticket you may see (of the ticket and of its comments)."""
        ticket = ticket_of(request, number)
        files = selectors.attachments_visible_to(request.user).filter(ticket=ticket)
        return Response(s.AttachmentSerializer(files, many=True, context={"request": request}).data)


class AttachmentDownload(APIView):
    @extend_schema(
        operation_id="attachments_download",
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
    )
    def get(self, request, pk: int):
        """The file, as a download: permission-checked, never sniffed (as the portal)."""
        attachment = get_object_or_404(selectors.attachments_visible_to(request.user), pk=pk)
        return attachment_response(attachment, content_type="application/octet-stream")


class TicketEvents(APIView):
    @extend_schema(operation_id="tickets_events_list", responses=s.EventSerializer(many=True))
    def get(self, request, number: str):
        """The ticket's history: who changed what, when and why."""
        ticket = ticket_of(request, number)
        events = selectors.history_of(ticket).select_related("ticket")
        return Response(s.EventSerializer(events, many=True).data)


class EventExport(generics.GenericAPIView):
    pagination_class = EventCursor
    serializer_class = s.EventSerializer
    @extend_schema(
        operation_id="events_list",
        responses=s.EventSerializer(many=True),
    )
    def get(self, request):
        """Every history event of the tickets you may see, oldest first, from a cursor:
        follow `next` while `has_more`, then keep polling the last `next` to stay in sync."""
        visible = selectors.tickets_visible_to(request.user).values("pk")
        events = TicketEvent.objects.filter(ticket__in=visible).select_related("ticket", "actor")
        page = self.paginate_queryset(events)
        return self.get_paginated_response(s.EventSerializer(page, many=True).data)


class _StaffChange(APIView):
    permission_classes = [*APIView.permission_classes, IsContractor]
    form_class = s.AssignSerializer

    def change(self, request, ticket, data):
        raise NotImplementedError

    def post(self, request, number: str):
        ticket = ticket_of(request, number)
        check_if_match(request, ticket)
        form = self.form_class(data=request.data)
        form.is_valid(raise_exception=True)
        self.change(request, ticket, form.validated_data)
        return ticket_response(request, ticket)


class TicketAssign(_StaffChange):
    form_class = s.AssignSerializer

    def change(self, request, ticket, data):
        assignee = None
        if data["assignee"] is not None:
            assignee = get_user_model().objects.filter(pk=data["assignee"]).first()
            if assignee is None:
                raise ValidationError({"assignee": [_("No such person.")]})
        services.ticket_assign(ticket=ticket, actor=request.user, assignee=assignee)

    @extend_schema(
        operation_id="tickets_assign",
        parameters=[IF_MATCH, IDEMPOTENCY_KEY],
        request=s.AssignSerializer,
        responses=s.TicketDetailSerializer,
    )
    @idempotent
    def post(self, request, number: str):
        """Staff: assign the ticket to a staff member, or to nobody (`null`)."""
        return super().post(request, number)


class TicketMerge(_StaffChange):
    form_class = s.MergeSerializer

    def change(self, request, ticket, data):
        original = visible_ticket_by_number(request, data["original"], "original")
        services.ticket_merge(ticket=ticket, actor=request.user, original=original)

    @extend_schema(
        operation_id="tickets_merge",
        parameters=[IF_MATCH, IDEMPOTENCY_KEY],
        request=s.MergeSerializer,
        responses=s.TicketDetailSerializer,
    )
    @idempotent
    def post(self, request, number: str):
        """Staff: merge this duplicate into an open ticket of its organisation: its
        comments and files move there, its watchers and requester follow it, and it
        closes as a duplicate (the answer is this ticket, now closed)."""
        return super().post(request, number)


class TicketPriority(_StaffChange):
    form_class = s.PriorityChangeSerializer

    def change(self, request, ticket, data):
        services.ticket_change_priority(
            ticket=ticket, actor=request.user, priority=data["priority"], reason=data["reason"]
        )

    @extend_schema(
        operation_id="tickets_change_priority",
        parameters=[IF_MATCH, IDEMPOTENCY_KEY],
        request=s.PriorityChangeSerializer,
        responses=s.TicketDetailSerializer,
    )
    @idempotent
    def post(self, request, number: str):
        """Staff: change an Incident's priority, with the reason the customer is told."""
        return super().post(request, number)


class TicketChangeType(_StaffChange):
    form_class = s.TypeChangeSerializer

    def change(self, request, ticket, data):
        services.ticket_change_type(
            ticket=ticket, actor=request.user, type=data["type"], reason=data["reason"]
        )

    @extend_schema(
        operation_id="tickets_change_type",
        parameters=[IF_MATCH, IDEMPOTENCY_KEY],
        request=s.TypeChangeSerializer,
        responses=s.TicketDetailSerializer,
    )
    @idempotent
    def post(self, request, number: str):
        """Staff: reclassify the ticket, with a reason (leaving Incident makes it Normal)."""
        return super().post(request, number)


class SlaPolicies(APIView):
    permission_classes = [*APIView.permission_classes, IsContractor]

    @extend_schema(operation_id="sla_policies_list", responses=s.SlaPolicySerializer(many=True))
    def get(self, request):
        """Staff: the reaction and resolution targets per priority, in business hours."""
        rows = []
        for priority in Priority.values:
            targets = sla.targets_for(priority)
            rows.append(
                {
                    "priority": priority,
                    "reaction_business_hours": targets.reaction.total_seconds() / 3600,
                    "resolution_business_hours": targets.resolution.total_seconds() / 3600,
                }
            )
        return Response(s.SlaPolicySerializer(rows, many=True).data)


class Me(APIView):
    @extend_schema(operation_id="me_retrieve", responses=s.MeSerializer)
    def get(self, request):
        """Who the token (or session) acts as."""
        return Response(s.MeSerializer(request.user, context={"request": request}).data)
