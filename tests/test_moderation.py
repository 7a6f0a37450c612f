"""Profanity and improper submissions: the customer is warned before sending, what is
sent anyway is flagged, staff review a queue of flagged tickets, and an agent rejects
with a standard reason the customer reads in their own language.
"""

import re

import pytest
from django.utils.html import escape

from moderation import checks
from moderation.models import AllowedWord, BannedWord, Flag
from moderation.presets import PRESET_TEXTS, RejectPreset
from tests import factories, helpers
from tickets import services
from tickets.models import Channel, Comment, LinkKind, Status, Ticket


@pytest.fixture(autouse=True)
def _fresh_word_lists():
    """Each test reads the lists of its own database state (rolled back after it)."""
    checks._compiled.clear()
    yield
    checks._compiled.clear()


# --- improper_words: what it sees through, and what it leaves alone ----------------------

IMPROPER = [
    # (text, the word reported as written)
    ("This is FUCKING broken", "FUCKING"),
    ("f.u.c.k this update", "f.u.c.k"),
    ("f u c k", "f u c k"),
    ("fuuuuck", "fuuuuck"),
    ("what the f*ck", "f*ck"),
    ("sh1t happens", "sh1t"),
    ("$hit", "$hit"),
    ("you @ss", "@ss"),
    ("a$$hole", "a$$hole"),
    ("b1tch", "b1tch"),
    ("motherfucker", "motherfucker"),
    ("bullshit!", "bullshit"),
    ("fück", "fück"),
    ("fuсk with a Cyrillic с", "fuсk"),
    ("your support are idiots", "idiots"),
    ("хуй", "хуй"),
    ("ХУЙ", "ХУЙ"),
    ("х у й", "х у й"),
    ("хyй с латинской y", "хyй"),
    ("пи3да", "пи3да"),
    ("6ля, опять", "6ля"),
    ("бляяяядь", "бляяяядь"),
    ("полный пиздец", "пиздец"),
    ("вы там охуели", "охуели"),
    ("иди нахуй", "нахуй"),
    ("заебали уже", "заебали"),
    ("уёбок", "уёбок"),
    ("cyka", "cyka"),
    ("сука", "сука"),
    ("сууука", "сууука"),
    ("pizdec", "pizdec"),
    ("blyad", "blyad"),
    ("мудаки", "мудаки"),
    ("п.и.з.д.а", "п.и.з.д.а"),
    ("х*й", "х*й"),
    ("nu3дa", "nu3дa"),
    ("долбоёб", "долбоёб"),
    ("отъебись", "отъебись"),
    ("гoвнo с латинскими o", "гoвнo"),
    ("распиздяи", "распиздяи"),
    ("су\u200bка с невидимым пробелом", "сука"),
]

INNOCENT = [
    "Please assess the assessment of the class",
    "passport, bass, embassy, assistant, classic",
    "Scunthorpe office",
    "Dickens, cocktail, Matsushita",
    "скипидар и скипидаром",
    "лапидарный ответ",
    "бляха и бляшка",
    "сукно, сук, сучок",
    "себестоимость, ребалансировка, потребитель",
    "учебный стенд, дебет, дебиторская задолженность",
    "платёжный шлюз, сравнение, хлебный",
    "небо, художник, застрахуйте, страхуем",
    "гондола, идиома, мудрый",
    "требование, обеспечение, употреблять, убедиться",
    "hue, ebay, Huygens, debilitating, shiitake, gown",
    "отвар, утварь, Твардовский",
    "fire retardant",
    "ID 455, hash e6b3f0a55c, code a55",
    "I. A. Petrov, a b c, т. е. в",
    "2026-11-26 10:14:03 ERROR batch 7",
]


@pytest.mark.parametrize(("text", "word"), IMPROPER)
def test_improper_words_sees_through_disguises(db, text, word):
    assert checks.improper_words(text) == [word]


@pytest.mark.parametrize("text", INNOCENT)
def test_improper_words_leaves_innocent_words_alone(db, text):
    assert checks.improper_words(text) == []


def test_improper_words_names_each_word_once_in_order(db):
    assert checks.improper_words("Shit. Idiots! shit, fuck") == ["Shit", "Idiots", "shit", "fuck"]
    assert checks.improper_words("idiot idiot") == ["idiot"]


def test_a_word_added_in_the_admin_counts_at_once_and_a_deactivated_one_stops(db):
    assert checks.improper_words("зараза") == []
    word = BannedWord.objects.create(word="Зараз", language="ru", match="start")
    assert checks.improper_words("вот заразы") == ["заразы"]
    word.is_active = False
    word.save()
    assert checks.improper_words("вот заразы") == []


def test_an_allowed_word_is_never_flagged(db):
    assert checks.improper_words("Ass-kicking") == ["Ass"]
    AllowedWord.objects.create(word="ass", note="for this test")
    assert checks.improper_words("Ass-kicking") == []


def test_other_processes_recompile_when_the_lists_change(db):
    from moderation.models import WordListsVersion

    checks.word_lists()
    before = WordListsVersion.objects.filter(pk=1).values_list("token", flat=True).first()
    BannedWord.objects.create(word="скотин", language="ru", match="start")
    # The token in the database changed with the word, so every process recompiles.
    after = WordListsVersion.objects.get(pk=1).token
    assert after and after != before
    checks._compiled.clear()  # as in another process: nothing compiled yet
    assert checks.improper_words("скотина") == ["скотина"]


def test_a_process_holding_old_lists_sees_the_new_token_and_recompiles(db):
    from moderation.models import WordListsVersion

    assert checks.improper_words("скотина") == []
    # Another process added the word: this one only sees the row and the new token.
    BannedWord.objects.bulk_create([BannedWord(word="скотин", language="ru", match="start")])
    WordListsVersion.objects.update_or_create(pk=1, defaults={"token": "from-elsewhere"})
    assert checks.improper_words("скотина") == ["скотина"]


# --- the customer is warned before sending ---------------------------------------------

NEW_TICKET = {
    "type": "incident",
    "priority": "3",
    "subject": "Invoice run is fucking broken again",
    "body": "Your idiots broke the invoice run. Batch 7 stops.",
}


def test_the_new_ticket_form_warns_and_keeps_everything_typed(client, customer):
    client.force_login(customer)
    response = client.post("/tickets/new/", NEW_TICKET)
    page = helpers.text(response)
    assert response.status_code == 200
    assert not Ticket.objects.filter(requester=customer).exists()
    warning = re.search(
        r'<div class="notice warning improper-warning"[^>]*>(.*?)</div>', page, re.S
    )
    assert warning and "hidden" not in warning.group(0).split(">")[0]
    assert "the contractor may ignore a request with profanity or insults" in warning.group(1)
    assert '<span class="improper-words">fucking, idiots</span>' in warning.group(1)
    assert 'name="send_anyway"' in warning.group(1)
    assert 'value="Invoice run is fucking broken again"' in page
    assert "Your idiots broke the invoice run. Batch 7 stops.</textarea>" in page


def test_the_warning_says_attachments_must_be_chosen_again(client, customer):
    client.force_login(customer)
    page = helpers.text(
        client.post("/tickets/new/", {**NEW_TICKET, "files": helpers.screenshot_upload()})
    )
    assert "browsers cannot keep attachments" in page


def test_send_anyway_files_the_ticket_and_flags_it(client, customer):
    client.force_login(customer)
    response = client.post("/tickets/new/", {**NEW_TICKET, "send_anyway": "on"})
    ticket = Ticket.objects.get(requester=customer)
    assert response.status_code == 302
    assert response["Location"] == f"/tickets/{ticket.number}/"
    flag = Flag.objects.get(ticket=ticket)
    assert flag.words == ["fucking", "idiots"]
    assert flag.comment is None and flag.reviewed_at is None


def test_a_clean_ticket_is_filed_at_once_and_not_flagged(client, customer):
    client.force_login(customer)
    response = client.post(
        "/tickets/new/", {**NEW_TICKET, "subject": "Invoice run stops", "body": "Batch 7."}
    )
    assert response.status_code == 302
    assert not Flag.objects.exists()


def test_the_comment_form_warns_and_send_anyway_adds_a_flagged_comment(client, customer, ticket):
    client.force_login(customer)
    url = f"/tickets/{ticket.number}/comment/"
    body = "Still broken, you morons."
    response = client.post(url, {"body": body, "expected_status": ticket.status})
    page = helpers.text(response)
    assert response.status_code == 200
    assert not Comment.objects.filter(ticket=ticket).exists()
    assert '<span class="improper-words">morons</span>' in page
    assert f"{body}</textarea>" in page

    response = client.post(
        url, {"body": body, "expected_status": ticket.status, "send_anyway": "on"}
    )
    assert response.status_code == 302
    comment = Comment.objects.get(ticket=ticket)
    assert Flag.objects.get(comment=comment).words == ["morons"]


def test_the_live_check_names_the_words(client, customer):
    client.force_login(customer)
    response = client.post("/tickets/check-text/", {"text": "What the f*ck, сука"})
    assert response.json() == {"words": ["f*ck", "сука"]}
    assert client.get("/tickets/check-text/", {"text": "x"}).status_code == 405


def test_the_live_check_needs_a_login(client):
    assert client.post("/tickets/check-text/", {"text": "shit"}).status_code == 302


def test_the_forms_are_ready_for_the_live_warning(client, customer, ticket):
    client.force_login(customer)
    new = helpers.text(client.get("/tickets/new/"))
    assert 'data-check-url="/tickets/check-text/"' in new
    assert len(re.findall(r"data-check-words", new)) == 2  # subject and description
    detail = helpers.text(client.get(f"/tickets/{ticket.number}/"))
    assert 'data-check-url="/tickets/check-text/"' in detail
    assert re.search(r'<div class="notice warning improper-warning"[^>]*hidden', detail)


# --- flags, whatever the way in ---------------------------------------------------------


def test_a_ticket_from_an_e_mail_or_the_admin_is_flagged_too(customer, agent):
    ticket = services.ticket_file(
        requester=customer,
        subject="Где, блять, счета?",
        body="Письмом.",
        type="incident",
        channel=Channel.EMAIL,
    )
    assert Flag.objects.get(ticket=ticket).words == ["блять"]
    by_staff = services.ticket_file(
        requester=customer, actor=agent, subject="Idiot-proof?", body="By phone.",
        type="consultation", channel=Channel.PHONE,
    )
    assert Flag.objects.get(ticket=by_staff).words == ["Idiot"]


def test_staff_comments_and_internal_notes_are_not_flagged(ticket, agent):
    services.comment_add(ticket=ticket, author=agent, body="The shit hit the fan.", internal=True)
    services.comment_add(ticket=ticket, author=agent, body="Quoting: 'idiots'.")
    assert not Flag.objects.exists()


# --- staff: column, queue, warning line, review ----------------------------------------


@pytest.fixture
def flagged(customer):
    ticket = factories.TicketFactory(requester=customer, subject="Fucking invoices")
    clean = factories.TicketFactory(requester=customer, subject="Invoice run stops")
    return ticket, clean


def test_staff_see_the_flag_in_the_ticket_list_and_the_queue(client, agent, flagged):
    ticket, clean = flagged
    client.force_login(agent)
    page = helpers.text(client.get("/admin/tickets/ticket/"))
    assert '<span class="flagged" title="Flagged for review">⚑ Fucking</span>' in page
    filter_link = r'<a href="\?flagged=yes"[^>]*>\s*Flagged for review\s*</a>'
    assert re.search(filter_link, page)

    queue = helpers.text(client.get("/admin/tickets/ticket/?flagged=yes"))
    assert ticket.number in queue
    assert clean.number not in queue


def test_the_ticket_page_shows_the_warning_line(client, agent, flagged):
    ticket, clean = flagged
    client.force_login(agent)
    page = helpers.text(client.get(f"/admin/tickets/ticket/{ticket.pk}/change/"))
    assert "⚠ Flagged for review: improper words</strong> Fucking" in page
    assert f'href="/admin/moderation/flag/?ticket__exact={ticket.pk}"' in page
    clean_page = helpers.text(client.get(f"/admin/tickets/ticket/{clean.pk}/change/"))
    assert "Flagged for review: improper words" not in clean_page


def test_marking_flags_reviewed_empties_the_queue(client, agent, flagged):
    ticket, _clean = flagged
    client.force_login(agent)
    flags = helpers.text(client.get(f"/admin/moderation/flag/?ticket__exact={ticket.pk}"))
    assert "Fucking" in flags
    assert 'href="/admin/tickets/ticket/?flagged=yes"' in flags
    flag = Flag.objects.get(ticket=ticket)
    response = client.post(
        "/admin/moderation/flag/",
        {"action": "mark_reviewed", "_selected_action": [flag.pk]},
        follow=True,
    )
    assert "1 flag marked reviewed." in helpers.text(response)
    flag.refresh_from_db()
    assert flag.reviewed_by == agent and flag.reviewed_at is not None
    assert ticket.number not in helpers.text(client.get("/admin/tickets/ticket/?flagged=yes"))


def test_customers_cannot_open_the_moderation_admin(client, customer):
    client.force_login(customer)
    assert client.get("/admin/moderation/flag/").status_code == 302
    assert client.get("/admin/moderation/bannedword/").status_code == 302


def test_managers_edit_the_word_lists_and_agents_only_look(client, agent, manager):
    client.force_login(agent)
    assert client.get("/admin/moderation/bannedword/").status_code == 200
    assert client.get("/admin/moderation/bannedword/add/").status_code == 403
    client.force_login(manager)
    response = client.post(
        "/admin/moderation/bannedword/add/",
        {"word": "Негодяй", "language": "ru", "match": "start", "is_active": "on"},
    )
    assert response.status_code == 302
    assert checks.improper_words("негодяи") == []  # root "негодяй" is not "негодяи"
    assert checks.improper_words("негодяйка") == ["негодяйка"]


# --- rejecting with a standard reason ---------------------------------------------------


def _reject(client, ticket, **data):
    return client.post(
        f"/admin/tickets/ticket/{ticket.pk}/transition/reject/",
        {"expected_status": ticket.status, **data},
    )


def test_reject_with_the_profanity_reason_shows_it_to_the_customer(
    client, agent, customer, flagged
):
    ticket, _clean = flagged
    client.force_login(agent)
    response = _reject(client, ticket, preset=RejectPreset.PROFANITY, reason="")
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.REJECTED
    assert ticket.reject_reason == str(PRESET_TEXTS[RejectPreset.PROFANITY])
    # Rejecting a flagged ticket is its review.
    assert not Flag.objects.filter(ticket=ticket, reviewed_at__isnull=True).exists()

    client.force_login(customer)
    page = helpers.text(client.get(f"/tickets/{ticket.number}/"))
    assert "The ticket contains profanity or insults." in page
    assert "File the tasks as separate tickets" not in page


def test_the_standard_reason_is_in_the_customers_language_with_the_agents_words(
    client, agent, organisation
):
    russian = factories.CustomerFactory(organisation=organisation, language="ru")
    ticket = factories.TicketFactory(requester=russian, subject="Три задачи сразу")
    client.force_login(agent)
    _reject(client, ticket, preset=RejectPreset.SEVERAL_TASKS, reason="Tasks: A, B, C.")
    ticket.refresh_from_db()
    assert ticket.reject_reason.startswith("Заявка оформлена неправильно")
    assert ticket.reject_reason.endswith("\n\nTasks: A, B, C.")


def test_improperly_submitted_offers_to_file_the_tasks_separately(
    client, agent, customer, ticket
):
    client.force_login(agent)
    _reject(client, ticket, preset=RejectPreset.SEVERAL_TASKS, reason="Three tasks here.")
    client.force_login(customer)
    page = helpers.text(client.get(f"/tickets/{ticket.number}/"))
    assert "it contains several separate tasks" in page
    assert "Three tasks here." in page
    split = f'href="/tickets/new/?follows={ticket.number}"'
    assert f'<a class="button small" {split}>File the tasks as separate tickets</a>' in page

    form = helpers.text(client.get(f"/tickets/new/?follows={ticket.number}"))
    assert f"This ticket will be linked to {ticket.number}" in form
    client.post(
        f"/tickets/new/?follows={ticket.number}",
        {"type": "consultation", "subject": "Task A", "body": "Only task A.",
         "follows": ticket.number},
    )
    task = Ticket.objects.get(subject="Task A")
    assert task.links_out.filter(target=ticket, kind=LinkKind.FOLLOWS).exists()


def test_a_rejection_needs_a_standard_reason_or_a_written_one(client, agent, ticket):
    client.force_login(agent)
    response = _reject(client, ticket, preset="", reason="  ")
    assert response.status_code == 200
    assert "Write the reason or choose a standard one." in helpers.text(response)
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW

    _reject(client, ticket, preset=RejectPreset.OTHER, reason="Spam.")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.reject_reason) == (Status.REJECTED, "Spam.")


def test_the_reject_form_offers_the_standard_reasons(client, agent, ticket):
    client.force_login(agent)
    page = helpers.text(client.get(f"/admin/tickets/ticket/{ticket.pk}/transition/reject/"))
    for preset in RejectPreset:
        assert f'<option value="{preset.value}">{escape(preset.label)}</option>' in page
