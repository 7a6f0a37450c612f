"""Reading mail text: quotes and signatures of real clients, charsets without labels."""

import pytest

from mailin.loops import is_own_address
from mailin.parsing import decode_bytes
from mailin.replies import html_to_text, reply_text


@pytest.mark.parametrize(
    ("client", "quote_header"),
    [
        ("Thunderbird ru", "23.11.2026 18:02, Helpdesk пишет:"),
        ("Apple Mail ru", "23 нояб. 2026 г., в 18:02, Helpdesk <support@x.ru> написал(а):"),
        ("Gmail ru", "пн, 23 нояб. 2026 г. в 18:02, Helpdesk <support@helpdesk.localhost>:"),
        ("Mail.ru", "Понедельник, 23 ноября 2026, 18:02 +03:00 от Helpdesk <support@x.ru>:"),
        ("Yandex", "23.11.2026, 18:02, \"Helpdesk\" <support@helpdesk.localhost>:"),
        ("Gmail en", "On Mon, 23 Nov 2026 at 18:02, Helpdesk <support@helpdesk.localhost> wrote:"),
        ("Outlook en", "-----Original Message-----"),
    ],
)
def test_the_quoted_thread_is_cut_at_each_clients_quote_header(client, quote_header):
    mail = f"Всё заработало, спасибо.\n\n{quote_header}\n> Перезапустите клиент.\n> Helpdesk\n"

    assert reply_text(mail) == "Всё заработало, спасибо."


def test_russian_outlook_header_block_without_quote_marks_is_cut():
    mail = (
        "Проверили, ошибка ушла.\n\n"
        "От: Helpdesk [mailto:support@helpdesk.localhost]\n"
        "Отправлено: 23 ноября 2026 г. 18:02\n"
        "Кому: Иван Петров\n"
        "Тема: RE: [HD-2026-00001] Отчёт\n\n"
        "Перезапустите клиент.\n"
    )

    assert reply_text(mail) == "Проверили, ошибка ушла."


def test_signature_after_the_dash_dash_line_is_cut_and_indentation_is_kept():
    mail = "Traceback:\n    File \"app.py\", line 3\n\n-- \nIvan Petrov\n+7 495 000-00-00\n"

    assert reply_text(mail) == "Traceback:\n    File \"app.py\", line 3"


def test_a_reply_without_any_quote_is_kept_whole():
    mail = "Первая строка.\n\n- пункт один\n- пункт два\n"

    assert reply_text(mail) == "Первая строка.\n\n- пункт один\n- пункт два"


@pytest.mark.parametrize("encoding", ["koi8-r", "cp1251", "utf-8"])
def test_unlabelled_russian_bytes_are_read_in_their_charset(encoding):
    text = "Здравствуйте, не формируется отчёт"

    assert decode_bytes(text.encode(encoding)) == text
    assert decode_bytes(text.encode(encoding), "no-such-charset") == text


def test_utf8_bytes_mislabelled_as_cp1251_are_read_as_utf8():
    assert decode_bytes("Отчёт".encode(), "windows-1251") == "Отчёт"


def test_html_blockquotes_become_quoted_lines_and_scripts_vanish():
    markup = "<p>Ответ</p><script>x()</script><blockquote><p>Вопрос</p></blockquote>"

    assert html_to_text(markup) == "Ответ\n\n> Вопрос"


@pytest.mark.parametrize(
    ("address", "own"),
    [
        ("support@helpdesk.localhost", True),
        ("support+hd-2026-00001.abcdef0123456789@helpdesk.localhost", True),
        ("support@customer.example", False),
        ("employee1@customer.example", False),
    ],
)
def test_our_own_addresses_are_recognised(address, own, settings):
    settings.SUPPORT_EMAIL = "support@helpdesk.localhost"

    assert is_own_address(address) is own
