"""The customer portal: thin views over ``tickets.services`` and ``tickets.selectors``."""

import collections
import re

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q, prefetch_related_objects
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing.models import OutOfHoursRequest
from core.markdown import ticket_numbers_in
from core.pagination import EstimatedCountPaginator
from core.submit import new_token, submit_once
from moderation.checks import improper_words
from moderation.presets import RejectPreset
from notifications.tokens import RatingLinkExpired, rating_from_token
from portal import pending, user_content
from portal.forms import CommentForm, RatingForm, TicketFilterForm, TicketForm, TransitionForm
from sla.display import sla_lines
from tickets import rules as ticket_rules
from tickets import search, selectors, services
from tickets.downloads import attachment_response
from tickets.models import (
    Attachment,
    RatingVia,
    RulesPage,
    SatisfactionRating,
    Status,
    known_without_duplicate_link,
)

TICKET_NUMBER = re.compile(r"[A-Za-z0-9-]{1,32}")


def _ticket_or_404(user, number: str):
    return get_object_or_404(selectors.tickets_visible_to(user), number=number)


@login_required
@require_GET
def dashboard(request):
    user = request.user
    customer_turn, others = selectors.open_tickets_for_dashboard(user)
    context = {
        "customer_turn": customer_turn,
        "others": others,
        "can_file": ticket_rules.can_file(user),
    }
    return render(request, "tickets/dashboard.html", context)


@login_required
@require_GET
def ticket_list(request):
    form = TicketFilterForm(request.GET or None)
    tickets = form.apply(selectors.tickets_visible_to(request.user))
    # Past EXACT_COUNT_LIMIT the count is PostgreSQL's estimate ("about"): counting all
    # of 100,000 tickets for the staff would cost more than the rest of the page.
    page = EstimatedCountPaginator(
        tickets.order_by("-created_at", "-id"), settings.PORTAL_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "tickets/ticket_list.html",
        {"form": form, "page": page, "querystring": query.urlencode()},
    )


@login_required
def ticket_new(request):
    user = request.user
    if not user.is_customer:
        messages.info(
            request, _("Contractor staff file tickets on a customer's behalf in the admin.")
        )
        return redirect("portal:dashboard")
    follows = _followed_ticket(user, request.GET.get("follows") or request.POST.get("follows"))
    similar = None
    kept = []
    if request.method == "POST":
        kept = pending.from_post(user=user, post=request.POST)
    if request.method == "POST" and "check_similar" in request.POST:
        # "Check for similar tickets" without JavaScript: nothing is filed, all typed is kept.
        form = TicketForm(initial=_typed(request.POST))
        similar = _similar_to(user, request.POST)
    elif request.method == "POST":
        form = TicketForm(request.POST, request.FILES, check_words=True)
        if form.is_valid() and not form.needs_confirmation:

            def file() -> str:
                ticket = services.ticket_file(
                    requester=user,
                    subject=form.cleaned_data["subject"],
                    body=form.cleaned_data["body"],
                    type=form.cleaned_data["type"],
                    priority=form.cleaned_data["priority"],
                    files=[*form.cleaned_data["files"], *pending.as_uploads(kept)],
                    follows=follows,
                )
                pending.discard(kept)
                messages.success(
                    request, _("Ticket %(number)s is filed.") % {"number": ticket.number}
                )
                _told_of_html(request, form)
                return reverse("portal:ticket_detail", args=[ticket.number])

            try:
                url, first = submit_once(
                    user=user, token=form.cleaned_data["submit_token"], action=file
                )
            except (services.ActionRefused, ValidationError) as exc:
                form.add_error(None, getattr(exc, "message", None) or "; ".join(exc.messages))
            else:
                if not first:
                    messages.info(request, _("This was sent already; here is the result."))
                return redirect(url)
        similar = _similar_to(user, request.POST)
    else:
        form = TicketForm(initial={**_follow_up_initial(follows), "submit_token": new_token()})
    if request.method == "POST":
        # The form comes back: the files chosen this time are kept, not lost.
        kept = pending.keep(user=user, files=request.FILES.getlist("files"), already=kept)
    return render(
        request,
        "tickets/ticket_new.html",
        {
            "form": form,
            "follows": follows,
            "can_file": ticket_rules.can_file(user),
            "similar": similar,
            "pending": kept,
        },
    )


def _told_of_html(request, form) -> None:
    if getattr(form, "html_converted", False):
        messages.info(
            request,
            _("The text you pasted held web-page markup (HTML): it was kept as plain text. "
              "Use Markdown for formatting."),
        )


# Fields the no-script "check for similar tickets" step hands back to the form.
TYPED_FIELDS = ("type", "priority", "subject", "body", "follows")


def _typed(data) -> dict:
    return {name: data.get(name) for name in TYPED_FIELDS if data.get(name)}


def _similar_to(user, data) -> list:
    text = data.get("subject", "").strip() or data.get("body", "")
    return search.similar_open_tickets(user=user, text=text)


@login_required
@require_GET
def similar_tickets(request):
    """For the new-ticket form, as the customer types: open tickets that look alike."""
    found = search.similar_open_tickets(user=request.user, text=request.GET.get("q", "")[:300])
    return JsonResponse({"tickets": [_similar_row(ticket) for ticket in found]})


def _similar_row(ticket) -> dict:
    return {
        "number": ticket.number,
        "subject": ticket.subject,
        "status": ticket.status,
        "status_label": str(ticket.get_status_display()),
        "url": reverse("portal:ticket_detail", args=[ticket.number]),
    }


@login_required
@require_POST
def check_text(request):
    """For the live warning on the forms: the improper words of the text typed so far."""
    return JsonResponse({"words": improper_words(request.POST.get("text", "")[:20000])})


@login_required
@require_GET
def search_page(request):
    """Every ticket the user may see (a customer: their organisation's), best match first."""
    query = " ".join(request.GET.get("q", "").split())[:200]
    page = None
    if query:
        results = search.search_tickets(user=request.user, query=query)
        page = Paginator(results, settings.PORTAL_PAGE_SIZE).get_page(request.GET.get("page"))
        page.rows = [(ticket, search.excerpt(ticket)) for ticket in page.object_list]
        # Past the candidate cap, the count is the cap: say so rather than count them all.
        page.capped, page.cap = results.capped, search.SEARCH_CANDIDATES
    return render(request, "tickets/search.html", {"query": query, "page": page})


def _followed_ticket(user, number: str | None):
    if not number or not TICKET_NUMBER.fullmatch(number):
        return None
    return selectors.tickets_visible_to(user).filter(number=number).first()


def _follow_up_initial(follows) -> dict:
    if follows is None:
        return {}
    if follows.closed_at:
        intro = _("This continues %(number)s, closed on %(date)s.\n\n") % {
            "number": follows.number,
            "date": timezone.localtime(follows.closed_at).date(),
        }
    else:
        intro = _("This continues %(number)s.\n\n") % {"number": follows.number}
    return {
        "follows": follows.number,
        "type": follows.type,
        "priority": follows.priority,
        "subject": _("Follow-up to %(number)s: %(subject)s")
        % {"number": follows.number, "subject": follows.subject},
        "body": intro,
    }


def _detail_context(request, ticket, *, comment_form=None) -> dict:
    user = request.user
    transitions = ticket_rules.portal_transitions(ticket, user)
    refusal = ticket_rules.comment_refusal(user, ticket)
    ticket_files, comments = _files_and_comments(user, ticket)
    return {
        "ticket": ticket,
        "comments": comments,
        "number_links": _number_links(user, ticket.body, *(c.body for c in comments)),
        "ticket_files": ticket_files,
        "links": (
            selectors.links_of(user, ticket)
            if getattr(ticket, "has_links_out", True) or getattr(ticket, "has_links_in", True)
            else []
        ),
        "history": selectors.history_of(ticket).only(
            *EVENT_FIELDS, *(f"actor__{name}" for name in PERSON_SHOWN)
        ),
        # Read with the ticket on its page (``ticket_detail``): the panel skips the query.
        "out_of_hours_none": getattr(ticket, "has_out_of_hours_requests", None) is False,
        "transitions": transitions,
        "comment_form": comment_form
        or CommentForm(
            initial={
                "expected_status": ticket.status,
                "shown_at": timezone.now().isoformat(),
                "submit_token": new_token(),
            }
        ),
        "transition_form": TransitionForm(
            initial={"expected_status": ticket.status, "submit_token": new_token()}
        ),
        "can_comment": refusal is None,
        "comment_refusal": refusal.message if refusal is not None and user.is_customer else "",
        **_watchers(user, ticket),
        "sla_lines": sla_lines(ticket),
        "offer_split": _offer_split(user, ticket),
        **_rating_context(user, ticket),
    }


def _rating_context(user, ticket, form=None) -> dict:
    """The rating given to the current resolution, or the form to give it."""
    if ticket.status not in ticket_rules.RATED_STATUSES:
        return {"rating": None, "rating_form": None}
    rating = ticket_rules.current_rating(ticket)
    can_rate = ticket_rules.rating_refusal(user, ticket, rating=rating) is None
    return {"rating": rating, "rating_form": (form or RatingForm()) if can_rate else None}


# What the ticket page shows of a comment's author or an event's actor (a name, and
# whether they are support), and the fields of the rows it shows: fewer columns to read.
PERSON_SHOWN = ("full_name", "email", "role", "is_active")
COMMENT_FIELDS = ("ticket", "author", "body", "is_internal", "created_at", "merged_from")
EVENT_FIELDS = ("ticket", "actor", "kind", "old_value", "new_value", "reason", "created_at")


def _files_and_comments(user, ticket) -> tuple[list, list]:
    """The ticket's own files and its comments (each with ``files``), as this user may
    see them: the files of the ticket and of all its comments in one query."""
    comments = list(
        selectors.comments_visible_to(user, ticket)
        .prefetch_related(None)
        .only(*COMMENT_FIELDS, *(f"author__{name}" for name in PERSON_SHOWN))
    )
    if any(comment.merged_from_id for comment in comments):  # rare: read only then
        prefetch_related_objects(comments, "merged_from")
    files = collections.defaultdict(list)
    # The ticket's page read whether it has files at all (``ticket_detail``).
    if getattr(ticket, "has_files", True):
        for attachment in selectors.ticket_attachments_visible_to(user, ticket):
            files[attachment.comment_id].append(attachment)
    for comment in comments:
        comment.files = files.get(comment.pk, [])
    return files.get(None, []), comments


def _watchers(user, ticket) -> dict:
    """Whether this user watches the ticket, and how many do: read with the ticket on
    its page (``selectors.page_flags``), else one query."""
    if hasattr(ticket, "watcher_count"):
        return {"watcher_count": ticket.watcher_count, "watching": ticket.watching}
    counts = ticket.watchers.aggregate(
        watcher_count=Count("pk"), mine=Count("pk", filter=Q(pk=user.pk))
    )
    return {"watcher_count": counts["watcher_count"], "watching": bool(counts["mine"])}


def _offer_split(user, ticket) -> bool:
    """A ticket rejected as several tasks in one: the customer may file them one by one."""
    return (
        user.is_customer
        and ticket.status == Status.REJECTED
        and ticket.reject_preset == RejectPreset.SEVERAL_TASKS
    )


@login_required
@require_GET
def ticket_detail(request, number: str):
    user = request.user
    flags = {
        **selectors.page_flags(user),
        "has_out_of_hours_requests": Exists(
            OutOfHoursRequest.objects.filter(ticket_id=OuterRef("pk"))
        ),
    }
    ticket = get_object_or_404(
        selectors.tickets_visible_to(user).annotate(**flags), number=number
    )
    if not ticket.has_links_out:
        known_without_duplicate_link(ticket)
    return render(request, "tickets/ticket_detail.html", _detail_context(request, ticket))


@login_required
@require_POST
def ticket_comment(request, number: str):
    ticket = _ticket_or_404(request.user, number)
    form = CommentForm(request.POST, request.FILES, check_words=request.user.is_customer)
    changed = None
    kept = pending.from_post(user=request.user, post=request.POST)
    if form.is_valid() and not form.needs_confirmation:

        def comment() -> str:
            refusal = ticket_rules.comment_stale(
                request.user, ticket, form.cleaned_data["expected_status"]
            )
            if refusal is not None:
                raise refusal
            services.comment_add(
                ticket=ticket,
                author=request.user,
                body=form.cleaned_data["body"],
                files=[*form.cleaned_data["files"], *pending.as_uploads(kept)],
            )
            pending.discard(kept)
            messages.success(request, _("Your comment is added."))
            _told_of_html(request, form)
            return reverse("portal:ticket_detail", args=[ticket.number])

        try:
            url, first = submit_once(
                user=request.user, token=form.cleaned_data["submit_token"], action=comment
            )
        except (services.ActionRefused, ValidationError) as exc:
            message = getattr(exc, "message", None) or "; ".join(exc.messages)
            if getattr(exc, "code", "") == "concurrent":
                changed = _changes_since(request.user, ticket, form.cleaned_data["shown_at"])
                form = form.rearmed(_fresh(ticket))
                form.is_valid()
            form.add_error(None, message)
        else:
            if not first:
                messages.info(request, _("This was sent already; here is the result."))
            return redirect(url)
    ticket.refresh_from_db()
    context = _detail_context(request, ticket, comment_form=form)
    context["changed_comments"] = changed
    # The form comes back: the files chosen this time are kept, not lost.
    context["pending"] = pending.keep(
        user=request.user, files=request.FILES.getlist("files"), already=kept
    )
    status = 400 if form.errors else 200
    return render(request, "tickets/ticket_detail.html", context, status=status)


def _number_links(user, *texts: str) -> dict[str, str]:
    """Number → URL of the tickets named in the texts that this user may see (one query);
    the others stay plain text and reveal nothing."""
    numbers = ticket_numbers_in(*texts)
    if not numbers:
        return {}
    visible = selectors.tickets_visible_to(user).filter(number__in=numbers)
    return {
        number: reverse("portal:ticket_detail", args=[number])
        for number in visible.values_list("number", flat=True)
    }


def _fresh(ticket):
    ticket.refresh_from_db()
    return ticket


def _changes_since(user, ticket, shown_at) -> list:
    """The comments the user has not seen: written since their page was shown."""
    if shown_at is None:
        return []
    return list(selectors.comments_visible_to(user, ticket).filter(created_at__gt=shown_at))


@login_required
@require_POST
def ticket_watch(request, number: str):
    """Start or stop getting the ticket's mail."""
    ticket = _ticket_or_404(request.user, number)
    watching = request.POST.get("watch") == "1"
    try:
        services.ticket_watch(ticket=ticket, user=request.user, watching=watching)
    except services.ActionRefused as exc:
        messages.error(request, exc.message)
    else:
        done = _("You will get this ticket's mail.") if watching else _("You stopped watching.")
        messages.success(request, done)
    return redirect("portal:ticket_detail", number=ticket.number)


@login_required
@require_POST
def ticket_transition(request, number: str, transition: str):
    ticket = _ticket_or_404(request.user, number)
    if not ticket_rules.is_portal_transition(transition):
        raise Http404
    form = TransitionForm(request.POST)
    form.is_valid()
    message = form.cleaned_data.get("message", "")
    done = {"close": _("%(number)s is closed."), "reopen": _("%(number)s is reopened.")}

    def act() -> str:
        services.check_unchanged(ticket, form.cleaned_data.get("expected_status"))
        if transition == "reopen":
            services.ticket_reopen(ticket=ticket, actor=request.user, message=message)
        else:
            services.ticket_close(ticket=ticket, actor=request.user, message=message)
        messages.success(request, done[transition] % {"number": ticket.number})
        return reverse("portal:ticket_detail", args=[ticket.number])

    try:
        url, first = submit_once(
            user=request.user, token=form.cleaned_data.get("submit_token", ""), action=act
        )
    except services.ActionRefused as exc:
        messages.error(request, exc.message)
        if exc.code == "reopen_window_passed":
            return redirect(f"{_new_ticket_url()}?follows={ticket.number}")
        return redirect("portal:ticket_detail", number=ticket.number)
    if not first:
        messages.info(request, _("This was sent already; here is the result."))
    return redirect(url)


@login_required
@require_POST
def ticket_rate(request, number: str):
    """The portal's rating of a resolved or closed ticket."""
    ticket = _ticket_or_404(request.user, number)
    form = RatingForm(request.POST)
    if form.is_valid():
        try:
            services.ticket_rate(
                ticket=ticket,
                actor=request.user,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
                via=RatingVia.PORTAL,
            )
        except services.ActionRefused as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Thank you for rating %(number)s.") % {"number": number})
        return redirect("portal:ticket_detail", number=ticket.number)
    context = _detail_context(request, ticket)
    context.update(_rating_context(request.user, ticket, form))
    return render(request, "tickets/ticket_detail.html", context, status=400)


@require_http_methods(["GET", "POST"])
def rating_link(request, token: str):
    """The satisfaction link of a mail, without a login: it rates one resolution of one
    ticket, once. A GET only shows the chosen score with a comment box (mail scanners
    open every link); the button's POST records it. The page shows the ticket's number
    and subject, nothing else of it."""
    try:
        found = rating_from_token(token, max_age_days=settings.SATISFACTION_LINK_DAYS)
    except RatingLinkExpired:
        return render(request, "tickets/rating_link.html", {"state": "expired"}, status=410)
    rating = None
    if found is not None:
        rating_id, ticket_id = found
        rating = (
            SatisfactionRating.objects.select_related("ticket__requester")
            .filter(pk=rating_id, ticket_id=ticket_id)
            .first()
        )
    if rating is None:
        raise Http404
    ticket = rating.ticket
    context = {"ticket": ticket, "rating": rating, "token": token, "state": "ask"}
    if rating.is_rated:
        return render(request, "tickets/rating_link.html", {**context, "state": "rated"})
    form = RatingForm(request.POST or None, initial={"score": request.GET.get("score")})
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.ticket_rate(
                ticket=ticket,
                actor=ticket.requester,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
                via=RatingVia.MAIL,
                rating=rating,
            )
        except services.ActionRefused as exc:
            state = "rated" if exc.code == "already_rated" else "refused"
            context.update(state=state, refusal=exc.message)
            status = 200 if state == "rated" else 409
        else:
            context["state"] = "thanks"
    elif request.method == "POST":
        status = 400
    context["form"] = form
    return render(request, "tickets/rating_link.html", context, status=status)


def _new_ticket_url() -> str:
    from django.urls import reverse

    return reverse("portal:ticket_new")


@login_required
@require_GET
def attachment_download(request, pk: int):
    """Files leave only through here: permission-checked, as a download, never sniffed.
    With a separate origin for user content, the file itself comes from there."""
    attachment = get_object_or_404(selectors.attachments_visible_to(request.user), pk=pk)
    preview = request.GET.get("preview") == "1" and attachment.is_image
    if user_content.enabled():
        return redirect(user_content.signed_url(attachment, preview=preview))
    return attachment_response(attachment, preview=preview, same_origin=True)


@require_GET
def user_content_file(request, token: str):
    """A file on the content origin, by the signed address the download view gave."""
    if not user_content.on_content_host(request):
        raise Http404
    pk, preview = user_content.unsign(token)
    attachment = get_object_or_404(Attachment, pk=pk)
    return attachment_response(attachment, preview=preview, same_origin=False)


@require_GET
def rules(request):
    """The ticketing rules: the managers' text in the reader's language, if they wrote one."""
    page = RulesPage.objects.filter(language=get_language()).first()
    return render(request, "tickets/rules.html", {"custom_rules": page})
