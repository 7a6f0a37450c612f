"""What the API reads and writes. Serializers only shape data: every rule is asked of
``tickets.rules`` / ``tickets.services`` (the portal's own), never decided here."""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.etags import ticket_etag
from api.models import ApiToken, TokenScope
from sla import services as sla
from sla.models import LiveClock, Priority, SlaState
from tickets import rules, selectors, services
from tickets.models import Attachment, Comment, Status, TicketEvent, TicketType

MAX_TEXT = 50_000
STATUS_FILTERS = ["open", *Status.values]


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="get_full_name")


class OrganisationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ClockSerializer(serializers.Serializer):
    due = serializers.DateTimeField(allow_null=True)
    state = serializers.ChoiceField(choices=SlaState.choices)
    met = serializers.BooleanField()
    breached = serializers.BooleanField()


class SlaSerializer(serializers.Serializer):
    reaction = ClockSerializer()
    resolution = ClockSerializer()
    paused = serializers.BooleanField(help_text=_("Waiting for the customer: the clock stands."))
    live_clock = serializers.ChoiceField(choices=LiveClock.choices, allow_null=True)
    reacted_in_business_seconds = serializers.IntegerField(allow_null=True)


def _clock(due, state) -> dict:
    return {
        "due": due,
        "state": state,
        "met": state == SlaState.MET,
        "breached": state == SlaState.BREACHED,
    }


def sla_of(ticket) -> dict:
    return {
        "reaction": _clock(ticket.reaction_due, ticket.reaction_state),
        "resolution": _clock(ticket.resolution_due, ticket.resolution_state),
        "paused": ticket.live_clock == LiveClock.PAUSED,
        "live_clock": ticket.live_clock,
        "reacted_in_business_seconds": ticket.reaction_business_seconds,
    }


class SlaDetailSerializer(SlaSerializer):
    business_seconds_left = serializers.IntegerField(
        allow_null=True,
        help_text=_(
            "Business time to the deadline the contractor works against now (negative: "
            "overdue); while paused, the time that was left. Null when no clock runs."
        ),
    )


def business_seconds_left(ticket) -> int | None:
    if ticket.live_clock == LiveClock.PAUSED:
        return ticket.resolution_left_seconds
    due = {LiveClock.REACTION: ticket.reaction_due, LiveClock.RESOLUTION: ticket.resolution_due}
    deadline = due.get(ticket.live_clock)
    if deadline is None:
        return None
    return int(sla.calendar_for(ticket).between(timezone.now(), deadline).total_seconds())


class TicketSerializer(serializers.Serializer):
    number = serializers.CharField(read_only=True)
    url = serializers.SerializerMethodField()
    subject = serializers.CharField()
    type = serializers.ChoiceField(choices=TicketType.choices)
    priority = serializers.ChoiceField(choices=Priority.choices)
    status = serializers.ChoiceField(choices=Status.choices)
    organisation = OrganisationSerializer()
    requester = PersonSerializer()
    assignee = PersonSerializer(allow_null=True)
    channel = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    resolved_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    sla = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, ticket) -> str:
        return self.context["request"].build_absolute_uri(
            reverse("api:ticket-detail", args=[ticket.number])
        )

    @extend_schema_field(SlaSerializer)
    def get_sla(self, ticket) -> dict:
        return sla_of(ticket)


class TransitionSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    needs = serializers.ChoiceField(
        choices=["message", "reason", "original"],
        allow_null=True,
        help_text=_("The field the transition requires in its body, if any."),
    )
    url = serializers.URLField()


class AttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="original_name")
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    comment = serializers.IntegerField(source="comment_id", allow_null=True)
    created_at = serializers.DateTimeField()
    download_url = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.URI)
    def get_download_url(self, attachment: Attachment) -> str:
        return self.context["request"].build_absolute_uri(
            reverse("api:attachment-download", args=[attachment.pk])
        )


class LinkSerializer(serializers.Serializer):
    label = serializers.CharField()
    number = serializers.CharField(source="other.number")
    subject = serializers.CharField(source="other.subject")
    status = serializers.ChoiceField(source="other.status", choices=Status.choices)


class RatingSerializer(serializers.Serializer):
    score = serializers.IntegerField(allow_null=True, help_text="1 to 5; null: asked, not rated")
    comment = serializers.CharField()
    asked_at = serializers.DateTimeField()
    rated_at = serializers.DateTimeField(allow_null=True)
    via = serializers.CharField()


class TicketDetailSerializer(TicketSerializer):
    body = serializers.CharField()
    reject_reason = serializers.CharField()
    etag = serializers.SerializerMethodField()
    transitions = serializers.SerializerMethodField()
    attachments = serializers.SerializerMethodField()
    links = serializers.SerializerMethodField()
    satisfaction = serializers.SerializerMethodField()

    @extend_schema_field(SlaDetailSerializer)
    def get_sla(self, ticket) -> dict:
        return {**sla_of(ticket), "business_seconds_left": business_seconds_left(ticket)}

    def get_etag(self, ticket) -> str:
        return ticket_etag(ticket)

    @extend_schema_field(TransitionSerializer(many=True))
    def get_transitions(self, ticket) -> list:
        """Straight from the state machine: what this caller may fire now."""
        request = self.context["request"]
        return [
            {
                "name": t.name,
                "label": str(t.custom.get("label", t.name)),
                "needs": t.custom.get("needs"),
                "url": request.build_absolute_uri(
                    reverse("api:ticket-transition", args=[ticket.number, t.name])
                ),
            }
            for t in services.available_transitions(ticket, request.user)
        ]

    @extend_schema_field(AttachmentSerializer(many=True))
    def get_attachments(self, ticket) -> list:
        files = selectors.attachments_visible_to(self.context["request"].user).filter(
            ticket=ticket, comment=None
        )
        return AttachmentSerializer(files, many=True, context=self.context).data

    @extend_schema_field(LinkSerializer(many=True))
    def get_links(self, ticket) -> list:
        rows = selectors.links_of(self.context["request"].user, ticket)
        return LinkSerializer(rows, many=True).data

    @extend_schema_field(RatingSerializer(allow_null=True))
    def get_satisfaction(self, ticket) -> dict | None:
        """The rating asked for the current resolution (null while it is open)."""
        rating = rules.current_rating(ticket)
        return None if rating is None else RatingSerializer(rating).data


class TicketCreateSerializer(serializers.Serializer):
    subject = serializers.CharField(max_length=200)
    body = serializers.CharField(max_length=MAX_TEXT)
    type = serializers.ChoiceField(choices=TicketType.choices, default=TicketType.INCIDENT)
    priority = serializers.ChoiceField(
        choices=Priority.choices,
        required=False,
        allow_null=True,
        help_text=_("Only for incidents; other types are always Normal."),
    )
    follows = serializers.CharField(
        required=False,
        max_length=32,
        help_text=_("The number of a ticket of your organisation that this one continues."),
    )
    files = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True), required=False, default=list
    )


class CommentSerializer(serializers.ModelSerializer):
    author = PersonSerializer()
    internal = serializers.BooleanField(source="is_internal")
    attachments = AttachmentSerializer(many=True)
    merged_from = serializers.SlugRelatedField(
        slug_field="number",
        read_only=True,
        allow_null=True,
        help_text=_("The ticket a merge moved this comment from, if any."),
    )

    class Meta:
        model = Comment
        fields = ["id", "author", "body", "internal", "created_at", "attachments", "merged_from"]


class CommentCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=MAX_TEXT)
    internal = serializers.BooleanField(
        default=False, help_text=_("An internal note: contractor staff only.")
    )
    files = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True), required=False, default=list
    )


class TransitionInputSerializer(serializers.Serializer):
    message = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_TEXT, default=""
    )
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_TEXT, default=""
    )
    preset = serializers.CharField(required=False, allow_blank=True, max_length=16, default="")
    original = serializers.CharField(
        required=False, max_length=32, help_text=_("mark_duplicate: the original's number.")
    )


class AssignSerializer(serializers.Serializer):
    assignee = serializers.IntegerField(allow_null=True, help_text=_("A staff member's id."))


class MergeSerializer(serializers.Serializer):
    original = serializers.CharField(
        max_length=32, help_text=_("The number of the open ticket this one is merged into.")
    )


class PriorityChangeSerializer(serializers.Serializer):
    priority = serializers.ChoiceField(choices=Priority.choices)
    reason = serializers.CharField(max_length=MAX_TEXT)


class TypeChangeSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=TicketType.choices)
    reason = serializers.CharField(max_length=MAX_TEXT)


class EventSerializer(serializers.ModelSerializer):
    ticket = serializers.CharField(source="ticket.number")
    actor = PersonSerializer(allow_null=True)
    old = serializers.CharField(source="old_value")
    new = serializers.CharField(source="new_value")

    class Meta:
        model = TicketEvent
        fields = ["id", "ticket", "kind", "old", "new", "reason", "actor", "created_at"]


class SlaPolicySerializer(serializers.Serializer):
    priority = serializers.ChoiceField(choices=Priority.choices)
    reaction_business_hours = serializers.FloatField()
    resolution_business_hours = serializers.FloatField()


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    name = serializers.CharField(source="get_full_name")
    role = serializers.CharField()
    organisation = OrganisationSerializer(allow_null=True)
    token_scope = serializers.SerializerMethodField()

    @extend_schema_field(
        serializers.ChoiceField(choices=TokenScope.choices, allow_null=True)
    )
    def get_token_scope(self, user) -> str | None:
        token = self.context["request"].auth
        return token.scope if isinstance(token, ApiToken) else None


class ApiTokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "scope", "prefix", "created_at", "expires_at", "last_used_at"]
