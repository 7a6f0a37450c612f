"""The Russian catalogue: complete, and covering every string the code uses.

Both tests are marked ``i18n_catalogue`` (run them with ``-m i18n_catalogue``); they fail
until the translators fill ``locale/ru/LC_MESSAGES/django.po``.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

PROJECT = Path(__file__).resolve().parent.parent
CATALOGUE = PROJECT / "locale" / "ru" / "LC_MESSAGES" / "django.po"

i18n_catalogue = pytest.mark.i18n_catalogue


def _load(path: Path) -> polib.POFile:
    if not path.exists():
        pytest.fail(
            f"{path.relative_to(PROJECT.parent)} does not exist: run "
            "`python manage.py makemessages -l ru` and translate it."
        )
    return polib.pofile(str(path))


def _live_entries(catalogue: polib.POFile) -> list:
    return [e for e in catalogue if not e.obsolete and e.msgid != ""]


def _describe(entries) -> str:
    return "\n".join(
        f"  {e.msgid!r} ({', '.join(f'{path}:{line}' for path, line in e.occurrences[:2])})"
        for e in entries[:40]
    ) + ("\n  …" if len(entries) > 40 else "")


@i18n_catalogue
def test_the_russian_catalogue_has_no_untranslated_or_fuzzy_entries():
    catalogue = _load(CATALOGUE)
    untranslated = [e for e in _live_entries(catalogue) if not e.translated() and not e.fuzzy]
    fuzzy = [e for e in _live_entries(catalogue) if e.fuzzy]
    assert not untranslated, f"{len(untranslated)} untranslated entries:\n{_describe(untranslated)}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy entries:\n{_describe(fuzzy)}"


def _copy_project(destination: Path) -> Path:
    # makemessages rewrites the catalogue; working on a copy leaves the real one alone
    # while others edit it.
    ignore = shutil.ignore_patterns(
        ".venv",
        ".git",
        "var",
        "tests",
        "test-results",
        "__pycache__",
        "*.pyc",
        ".ruff_cache",
        ".pytest_cache",
        "node_modules",
        "media",
    )
    copy = destination / "project"
    shutil.copytree(PROJECT, copy, ignore=ignore, symlinks=True)
    return copy


@i18n_catalogue
def test_every_message_used_in_the_code_is_in_the_russian_catalogue(tmp_path):
    original = _load(CATALOGUE)
    copy = _copy_project(tmp_path)
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-l",
            "ru",
            "--no-obsolete",
            "--ignore=.venv",
            "--ignore=tests",
            "--ignore=var",
        ],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=120,
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
            "HOME": str(tmp_path),
        },
    )
    assert result.returncode == 0, result.stderr
    regenerated = polib.pofile(str(copy / "locale" / "ru" / "LC_MESSAGES" / "django.po"))

    known = {(e.msgctxt, e.msgid) for e in _live_entries(original)}
    missing = [e for e in _live_entries(regenerated) if (e.msgctxt, e.msgid) not in known]
    assert not missing, (
        f"{len(missing)} messages in the code are not in {CATALOGUE.name}:\n{_describe(missing)}"
    )
    not_ready = [e for e in _live_entries(regenerated) if e.fuzzy or not e.translated()]
    assert not not_ready, f"{len(not_ready)} messages lack a translation:\n{_describe(not_ready)}"


@i18n_catalogue
def test_the_passkey_scripts_speak_russian():
    """django-otp-webauthn's scripts ship no Russian: ours (djangojs.po) has every message
    they show, translated, and the page's script catalogue serves it."""
    import json
    import re

    import django_otp_webauthn
    from django.test import Client

    scripts = Path(django_otp_webauthn.__file__).parent / "static" / "django_otp_webauthn"
    used = {
        message
        for script in scripts.glob("*.js")
        for message in re.findall(r'gettext\("([^"]+)"\)', script.read_text())
    }
    catalogue = _load(PROJECT / "locale" / "ru" / "LC_MESSAGES" / "djangojs.po")
    translated = {e.msgid for e in _live_entries(catalogue) if e.msgstr and "fuzzy" not in e.flags}
    assert used and used <= translated, sorted(used - translated)

    served = Client().get("/accounts/passkeys/jsi18n/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert json.dumps("Проверка пройдена.")[1:-1] in served  # as the catalogue escapes it


def test_unfolds_own_words_on_the_staff_side_speak_russian():
    """django-unfold ships no Russian catalogue: every word of its templates' ``trans``
    tags (either quotes, ``as`` or ``context`` after it) that Django's admin catalogue
    lacks is named in helpdesk.unfold_messages, and ours translates it. (Its
    ``blocktrans`` sentences are not read here.)"""
    import re

    import unfold
    from django.utils import translation

    from helpdesk.unfold_messages import UNFOLD_MESSAGES

    templates = Path(unfold.__file__).parent / "templates"
    shown = {
        message
        for page in templates.rglob("*.html")
        for _quote, message in re.findall(
            r"""{%\s*(?:trans|translate)\s+(["'])(.+?)\1""", page.read_text()
        )
    }
    with translation.override("ru"):
        english = sorted(m for m in shown if translation.gettext(m) == m)
        assert not english, f"unfold's words without Russian: {english}"
        untranslated = [m for m in UNFOLD_MESSAGES if translation.gettext(m) == m]
        assert not untranslated, untranslated
        assert translation.gettext("Reset filters") == "Сбросить фильтры"
