"""The default word lists; staff change them in the admin (Moderation).

Short on purpose: the roots of common Russian mat and English swear words, and common
insults. "start" roots match at the start of a word (Russian ones also after a verbal
prefix: по-, за-, на-, от- …); "word" entries only whole; "anywhere" entries also
inside compound words ("motherfucker", "распиздяй").
"""

from django.db import migrations

BANNED = {
    "ru": {
        "start": [
            "хуй", "хуе", "хуя", "хую", "хуи", "еб", "долбоеб", "бля", "бляд", "блят",
            "мудак", "мудил", "залуп", "шлюх", "гандон", "гондон", "сучар", "ублюд", "говн",
            "дерьм", "жоп", "сран", "идиот", "дебил", "кретин", "придур", "мраз", "гнид",
        ],
        "word": [
            "сука", "суки", "суке", "суку", "сукой", "тварь", "твари", "тварью", "тварей",
            "тварям",
        ],
        "anywhere": ["пизд", "пидор", "пидар"],
    },
    "en": {
        "start": [
            "shit", "bullshit", "bitch", "bastard", "dumbass", "jackass", "dickhead", "wank",
            "twat", "piss", "crap", "idiot", "moron", "retard", "slut", "whore",
        ],
        "word": ["ass", "dick", "wtf", "stfu"],
        "anywhere": ["fuck", "cunt", "asshole"],
    },
}

# Innocent words that contain a banned root; a word starting with one is never flagged.
ALLOWED = [
    ("скипидар", "turpentine: contains “пидар”"),
    ("блях", "бляха: a badge or plate"),
    ("бляш", "бляшка: a plaque"),
    ("ебонит", "ebonite"),
    ("scunthorpe", "a town: contains “cunt”"),
    ("assess", "contains “ass”"),
    ("retarda", "retardant, retardation"),
    ("debilit", "debilitating: reads as “дебил” in transliteration"),
    ("shiitake", "a mushroom"),
    ("wankel", "an engine"),
    ("pissarro", "a painter"),
    ("retarding", "retarding torque"),
    ("ебрр", "ЕБРР, a bank"),
    ("лапидар", "лапидарный: contains “пидар”"),
    ("lapidar", "lapidary: reads as “лапидар” in transliteration"),
    ("gown", "reads as “говн” in transliteration"),
    ("shiite", "contains “shit”"),
    ("slutsk", "a town; Slutsky, a surname"),
]


def load(apps, schema_editor):
    BannedWord = apps.get_model("moderation", "BannedWord")
    AllowedWord = apps.get_model("moderation", "AllowedWord")
    BannedWord.objects.bulk_create(
        [
            BannedWord(word=word, language=language, match=match)
            for language, modes in BANNED.items()
            for match, words in modes.items()
            for word in words
        ],
        ignore_conflicts=True,
    )
    AllowedWord.objects.bulk_create(
        [AllowedWord(word=word, note=note) for word, note in ALLOWED], ignore_conflicts=True
    )


def unload(apps, schema_editor):
    BannedWord = apps.get_model("moderation", "BannedWord")
    AllowedWord = apps.get_model("moderation", "AllowedWord")
    for language, modes in BANNED.items():
        for words in modes.values():
            BannedWord.objects.filter(language=language, word__in=words).delete()
    AllowedWord.objects.filter(word__in=[word for word, _note in ALLOWED]).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("moderation", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(load, unload),
    ]
