"""The representative's resources: the people of their organisation, account and
deactivation requests, and the monthly statements (as in the portal, representatives
only; staff decide in the admin)."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services as accounts
from api import serializers_org as s
from api.idempotency import idempotent
from billing import selectors as billing
from billing import statements

IDEMPOTENCY_KEY = OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)


class IsRepresentative(permissions.BasePermission):
    message = _("Only your organisation's representative can do that.")

    def has_permission(self, request, view) -> bool:
        return bool(request.user.is_authenticated and request.user.is_representative)


class RepresentativeView(APIView):
    permission_classes = [*APIView.permission_classes, IsRepresentative]


class People(RepresentativeView):
    @extend_schema(operation_id="people_list", responses=s.ColleagueSerializer(many=True))
    def get(self, request):
        """The people of your organisation, active ones first."""
        people = accounts.colleagues_of(request.user)
        return Response(s.ColleagueSerializer(people, many=True).data)


class DeactivationRequest(RepresentativeView):
    @extend_schema(
        operation_id="people_request_deactivation",
        parameters=[IDEMPOTENCY_KEY],
        request=s.DeactivationRequestSerializer,
        responses={201: s.AccountRequestSerializer},
    )
    @idempotent
    def post(self, request, pk: int):
        """Ask a contractor manager to deactivate a colleague who left."""
        person = get_object_or_404(accounts.colleagues_of(request.user), pk=pk)
        form = s.DeactivationRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        filed = accounts.account_deactivation_request_file(
            requested_by=request.user, user=person, note=form.validated_data["note"]
        )
        return Response(s.AccountRequestSerializer(filed).data, status=status.HTTP_201_CREATED)


class AccountRequests(RepresentativeView):
    @extend_schema(
        operation_id="account_requests_list", responses=s.AccountRequestSerializer(many=True)
    )
    def get(self, request):
        """Your organisation's account and deactivation requests, newest first."""
        rows = accounts.account_requests_visible_to(request.user).order_by("-created_at", "-id")
        return Response(s.AccountRequestSerializer(rows[:200], many=True).data)

    @extend_schema(
        operation_id="account_requests_create",
        parameters=[IDEMPOTENCY_KEY],
        request=s.AccountRequestCreateSerializer,
        responses={201: s.AccountRequestSerializer},
    )
    @idempotent
    def post(self, request):
        """Ask for an account for a new colleague; a contractor manager approves it and
        the colleague gets a link to set a password."""
        form = s.AccountRequestCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        filed = accounts.account_request_file(
            requested_by=request.user,
            full_name=data["full_name"],
            email=data["email"],
            role=data["role"],
            language=data.get("language", ""),
            note=data["note"],
        )
        return Response(s.AccountRequestSerializer(filed).data, status=status.HTTP_201_CREATED)


def _statements(request):
    return billing.statements_visible_to(request.user)


class Statements(RepresentativeView):
    @extend_schema(operation_id="statements_list", responses=s.StatementSerializer(many=True))
    def get(self, request):
        """Your organisation's monthly statements, the latest first."""
        rows = _statements(request).order_by("-month")
        return Response(s.StatementSerializer(rows, many=True).data)


class StatementDetail(RepresentativeView):
    @extend_schema(operation_id="statements_retrieve", responses=s.StatementDetailSerializer)
    def get(self, request, pk: int):
        """One statement with a line per ticket."""
        statement = get_object_or_404(_statements(request).prefetch_related("lines"), pk=pk)
        return Response(s.StatementDetailSerializer(statement).data)


ANSWERS = {"confirm": statements.statement_confirm, "dispute": statements.statement_dispute}


class StatementAnswer(RepresentativeView):
    answer = "confirm"

    @extend_schema(
        parameters=[IDEMPOTENCY_KEY],
        request=s.StatementAnswerSerializer,
        responses=s.StatementDetailSerializer,
    )
    @idempotent
    def post(self, request, pk: int):
        """Confirm the statement, or dispute it with a comment (the contractor is told)."""
        statement = get_object_or_404(_statements(request), pk=pk)
        form = s.StatementAnswerSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        service = ANSWERS[self.answer]
        service(statement=statement, actor=request.user, comment=form.validated_data["comment"])
        fresh = _statements(request).prefetch_related("lines").get(pk=pk)
        return Response(s.StatementDetailSerializer(fresh).data)
