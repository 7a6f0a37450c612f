"""The demo's mail sink: each message is an .eml file a mail client opens."""

import email
from email import policy

from django.core.mail import EmailMessage, get_connection


def test_each_message_is_its_own_eml_file(tmp_path):
    connection = get_connection("notifications.file_backend.EmailBackend", file_path=tmp_path)
    messages = [
        EmailMessage("Ticket HD-2026-00001 filed", "We have your ticket.", to=["anna@x.example"]),
        EmailMessage("Ticket HD-2026-00002 filed", "Счёт готов.", to=["boris@x.example"]),
    ]

    assert connection.send_messages(messages) == 2

    files = sorted(tmp_path.iterdir())
    assert [path.suffix for path in files] == [".eml", ".eml"]
    parsed = [email.message_from_bytes(path.read_bytes(), policy=policy.default) for path in files]
    assert sorted(message["Subject"] for message in parsed) == [
        "Ticket HD-2026-00001 filed",
        "Ticket HD-2026-00002 filed",
    ]
    bodies = {message["To"]: message.get_content().strip() for message in parsed}
    assert bodies["boris@x.example"] == "Счёт готов."


def test_a_message_without_recipients_writes_nothing(tmp_path):
    connection = get_connection("notifications.file_backend.EmailBackend", file_path=tmp_path)

    assert connection.send_messages([EmailMessage("No one", "Nobody reads this.")]) == 0
    assert list(tmp_path.iterdir()) == []
