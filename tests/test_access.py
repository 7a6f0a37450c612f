"""Who sees what: every portal URL for every kind of visitor, and what never leaks."""

import io

import pytest

from tests import factories, helpers
from tests.helpers import text
from tickets import services
from tickets.models import Status

pytestmark = pytest.mark.django_db

ANONYMOUS, OUTSIDER, EMPLOYEE, REPRESENTATIVE, AGENT = (
    "anonymous",
    "other_org_employee",
    "same_org_employee",
    "representative",
    "agent",
)
VISITORS = [ANONYMOUS, OUTSIDER, EMPLOYEE, REPRESENTATIVE, AGENT]

SUBJECT = "Payroll export drops the last employee"
INTERNAL_NOTE = "Internal: the customer's DBA deleted the index again"


@pytest.fixture
def world(organisation, customer, agent):
    """A resolved ticket of one organisation with a screenshot and a log, and its people."""
    ticket = factories.TicketFactory(
        requester=customer,
        subject=SUBJECT,
        files=[helpers.screenshot_upload("screenshot.png"), helpers.log_upload("server.log")],
    )
    helpers.drive_to(ticket, Status.RESOLVED, agent=agent, customer=customer)
    files = {a.original_name: a for a in ticket.attachments.all()}
    return {
        "ticket": ticket,
        "png": files["screenshot.png"],
        "log": files["server.log"],
        EMPLOYEE: factories.CustomerFactory(organisation=organisation),
        REPRESENTATIVE: factories.RepresentativeFactory(organisation=organisation),
        OUTSIDER: factories.CustomerFactory(),
        AGENT: agent,
    }


def _body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("latin-1")
    return response.content.decode()


# What each visitor gets: a status code, or a path for a 302 redirect there.
# LOGIN is the login page with ?next=<the path>; DETAIL is the ticket's own page.
LOGIN = "/accounts/login/?next="
DETAIL = "/tickets/{number}/"
# fmt: off
MATRIX = {
    # method, path                            anonymous outsider employee representative agent
    ("get", "/"):                              (LOGIN,   200,     200,     200,           200),
    ("get", "/tickets/"):                      (LOGIN,   200,     200,     200,           200),
    ("get", "/tickets/new/"):                  (LOGIN,   200,     200,     200,           "/"),
    ("get", DETAIL):                           (LOGIN,   404,     200,     200,           200),
    ("post", "/tickets/{number}/comment/"):    (LOGIN,   404,     DETAIL,  DETAIL,        DETAIL),
    ("post", "/tickets/{number}/do/close/"):   (LOGIN,   404,     DETAIL,  DETAIL,        DETAIL),
    ("post", "/tickets/{number}/do/reopen/"):  (LOGIN,   404,     DETAIL,  DETAIL,        DETAIL),
    ("get", "/attachments/{png}/"):            (LOGIN,   404,     200,     200,           200),
    ("get", "/attachments/{png}/?preview=1"):  (LOGIN,   404,     200,     200,           200),
}
# fmt: on
# What a POST leaves behind: the status of the ticket afterwards.
# Anything not listed (the outsider, the agent, the anonymous) leaves it resolved.
CUSTOMERS_MAKE = {
    "/tickets/{number}/comment/": Status.IN_PROGRESS,
    "/tickets/{number}/do/close/": Status.CLOSED,
    "/tickets/{number}/do/reopen/": Status.IN_PROGRESS,
}
POST_DATA = {"body": "Thanks, checking now.", "expected_status": Status.RESOLVED}


@pytest.mark.parametrize("visitor", VISITORS)
@pytest.mark.parametrize(("method", "template"), list(MATRIX), ids=[f"{m} {p}" for m, p in MATRIX])
def test_portal_url_answers_each_visitor_as_the_access_matrix_says(
    client, world, method, template, visitor
):
    ticket = world["ticket"]
    path = template.format(number=ticket.number, png=world["png"].pk)
    if visitor != ANONYMOUS:
        client.force_login(world[visitor])

    response = getattr(client, method)(path, POST_DATA if method == "post" else None)

    expected = MATRIX[(method, template)][VISITORS.index(visitor)]
    if isinstance(expected, int):
        assert response.status_code == expected
    else:
        assert response.status_code == 302
        if expected == LOGIN:
            assert response["Location"].startswith(LOGIN)
        else:
            assert response["Location"] == expected.format(number=ticket.number)
    ticket.refresh_from_db()
    if method == "post":
        changed = visitor in (EMPLOYEE, REPRESENTATIVE)
        assert ticket.status == (CUSTOMERS_MAKE[template] if changed else Status.RESOLVED)
    if visitor == OUTSIDER:
        page = _body(response).replace(path, "")
        assert SUBJECT not in page
        assert ticket.number not in page
    shows_ticket = "attachments" not in path and path != "/tickets/new/"
    if expected == 200 and visitor != OUTSIDER and shows_ticket:
        assert SUBJECT in _body(response)


@pytest.mark.parametrize("path", ["/tickets/{number}/do/close/", "/tickets/{number}/do/reopen/"])
def test_transitions_are_not_fired_by_get(client, world, path):
    client.force_login(world[EMPLOYEE])
    response = client.get(path.format(number=world["ticket"].number))
    assert response.status_code == 405
    world["ticket"].refresh_from_db()
    assert world["ticket"].status == Status.RESOLVED


def test_the_portal_offers_no_transitions_of_the_contractor(client, world):
    client.force_login(world[EMPLOYEE])
    response = client.post(f"/tickets/{world['ticket'].number}/do/resolve/", POST_DATA)
    assert response.status_code == 404


@pytest.fixture
def internal_note(world):
    return services.comment_add(
        ticket=world["ticket"],
        author=world[AGENT],
        body=INTERNAL_NOTE,
        internal=True,
        files=[helpers.log_upload("dba-session.log")],
    )


@pytest.mark.parametrize("visitor", [EMPLOYEE, REPRESENTATIVE])
def test_an_attachment_on_an_internal_note_is_not_found_for_customers(
    client, world, internal_note, visitor
):
    attachment = internal_note.attachments.get()
    client.force_login(world[visitor])
    assert client.get(f"/attachments/{attachment.pk}/").status_code == 404
    assert client.get(f"/attachments/{attachment.pk}/?preview=1").status_code == 404


def test_an_attachment_on_an_internal_note_is_downloadable_by_the_contractor(
    client, world, internal_note
):
    client.force_login(world[AGENT])
    response = client.get(f"/attachments/{internal_note.attachments.get().pk}/")
    assert response.status_code == 200


@pytest.mark.parametrize("visitor", [EMPLOYEE, REPRESENTATIVE])
@pytest.mark.parametrize("path", ["/", "/tickets/", "/tickets/?q=DBA", DETAIL])
def test_internal_notes_never_reach_a_customer_page(client, world, internal_note, visitor, path):
    client.force_login(world[visitor])
    response = client.get(path.format(number=world["ticket"].number))
    page = text(response)
    assert response.status_code == 200
    assert "deleted the index" not in page
    assert "dba-session.log" not in page


def test_the_contractor_sees_internal_notes_on_the_ticket_page(client, world, internal_note):
    client.force_login(world[AGENT])
    page = text(client.get(f"/tickets/{world['ticket'].number}/"))
    assert "deleted the index" in page
    assert "dba-session.log" in page


@pytest.mark.parametrize("query", ["{number}", "{digits}", "#{digits}", "Payroll export"])
def test_searching_for_another_organisations_ticket_finds_nothing(client, world, query):
    outsider = world[OUTSIDER]
    own = factories.TicketFactory(requester=outsider, subject="Our own printer queue")
    number = world["ticket"].number
    client.force_login(outsider)
    response = client.get(
        "/tickets/", {"q": query.format(number=number, digits=int(number.rsplit("-", 1)[1]))}
    )
    page = text(response)
    assert response.status_code == 200
    assert SUBJECT not in page
    assert f'href="/tickets/{number}/"' not in page
    if query in ("{number}", "Payroll export"):
        assert "0 tickets" in page
        assert own.number not in page


def test_another_organisations_ticket_is_not_offered_as_a_follow_up(client, world):
    client.force_login(world[OUTSIDER])
    page = text(client.get(f"/tickets/new/?follows={world['ticket'].number}"))
    assert SUBJECT not in page
    assert f'value="{world["ticket"].number}"' not in page


# --- safe downloads ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "query", "disposition"),
    [
        ("server.log", "", "attachment"),
        ("server.log", "?preview=1", "attachment"),
        ("screenshot.png", "", "attachment"),
    ],
)
def test_downloads_are_never_sniffed_and_only_images_preview_inline(
    client, world, name, query, disposition
):
    attachment = world["png"] if name.endswith(".png") else world["log"]
    client.force_login(world[EMPLOYEE])
    response = client.get(f"/attachments/{attachment.pk}/{query}")
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == f'{disposition}; filename="{name}"'
    assert response["Content-Type"].startswith(attachment.content_type)
    expected = helpers.screenshot_bytes() if name.endswith(".png") else helpers.log_bytes()
    assert b"".join(response.streaming_content) == expected


def test_an_image_preview_is_a_thumbnail_made_here_never_the_uploaded_bytes(client, world):
    from PIL import Image

    client.force_login(world[EMPLOYEE])
    response = client.get(f"/attachments/{world['png'].pk}/?preview=1")
    assert response.status_code == 200
    assert response["Content-Disposition"] == "inline"
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.content != helpers.screenshot_bytes()
    with Image.open(io.BytesIO(response.content)) as preview:
        original = Image.open(io.BytesIO(helpers.screenshot_bytes()))
        assert preview.format == "PNG" and preview.size == original.size


def test_the_ticket_page_shows_an_image_preview_and_a_download_link(client, world):
    client.force_login(world[EMPLOYEE])
    page = text(client.get(f"/tickets/{world['ticket'].number}/"))
    assert f'src="/attachments/{world["png"].pk}/?preview=1"' in page
    assert f'href="/attachments/{world["log"].pk}/"' in page
    assert f'src="/attachments/{world["log"].pk}/?preview=1"' not in page


# --- list pages stay cheap -----------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/tickets/"])
def test_list_pages_use_a_fixed_number_of_queries(
    client, customer, agent, path, django_assert_max_num_queries
):
    for _ in range(30):
        factories.TicketFactory(requester=customer)
    client.force_login(customer)
    with django_assert_max_num_queries(10):
        response = client.get(path)
    assert response.status_code == 200
