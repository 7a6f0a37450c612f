"""The words of seeded tickets: support-desk phrasing in English and Russian.

Topics carry weights; only the invoice topics use the word "invoice", so its share of
tickets (about 15 %, with the English share of 70 %) is the weight of those topics.
"""

import random

# Topics: (weight, subjects, sentences) per language.
EN_TOPICS = (
    (21, (
        "Invoice {n} shows the wrong amount",
        "Duplicate invoice for {month}",
        "Invoice not sent to the customer",
        "Cannot print invoice {n}",
        "Invoice totals differ from the report",
    ), (
        "Invoice {n} for {month} shows {amount} instead of the tariff amount.",
        "The invoice was generated twice for the same account.",
        "Customers say they did not receive the invoice by e-mail.",
        "Please check the invoice run of {date}.",
    )),
    (12, (
        "Card payment declined",
        "Card payments are not posted to accounts",
        "Payment of {amount} charged twice",
        "Refund for a card payment",
    ), (
        "A customer paid {amount} by card on {date} but the balance did not change.",
        "The payment gateway answers with code {code}.",
        "The payment appears in the bank statement but not in the system.",
    )),
    (12, (
        "Error 502 when opening the portal",
        "Error 502 Bad Gateway after the update",
        "Timeout on the accounts page",
        "Server error 500 when saving a tariff",
    ), (
        "Since {date} users get error 502 every few minutes.",
        "The page loads for a minute and then fails with a gateway error.",
        "The error happens for all operators of branch {n}.",
    )),
    (10, (
        "Monthly report is empty",
        "Report on debts is too slow",
        "Wrong totals in the consumption report",
        "Report for {month} cannot be generated",
    ), (
        "The report for {month} shows no rows although there were payments.",
        "Generating the report takes more than an hour.",
        "The totals in the report differ by {amount}.",
    )),
    (8, (
        "Cannot log in",
        "Password reset mail does not arrive",
        "Operator account locked",
        "Login page keeps reloading",
    ), (
        "Operator {n} cannot log in since this morning.",
        "The password reset link says it has expired.",
        "After entering the password the login page opens again.",
    )),
    (8, (
        "Export to Excel fails",
        "Export of accounts to CSV is cut off",
        "Data export to the bank takes too long",
        "Export file has the wrong encoding",
    ), (
        "The export stops after {n} rows.",
        "The exported file cannot be opened: the letters are broken.",
        "We need the export for the bank before {date}.",
    )),
    (6, (
        "Install update {version}",
        "Update {version} on the test server",
        "Schedule the installation of release {version}",
    ), (
        "Please install release {version} on the production server.",
        "We agreed to install the update on {date} after hours.",
    )),
    (6, (
        "New tariff for {month}",
        "Add a field to the account card",
        "Change the meter reading form",
    ), (
        "From {month} a new tariff applies to private customers.",
        "We would like an extra field for the contract number.",
    )),
)
EN_FILLER = (
    "Please help as soon as possible.",
    "Screenshot attached.",
    "This affects about {n} customers.",
    "It worked fine last week.",
    "Thank you in advance.",
    "We have not changed any settings.",
)
RU_TOPICS = (
    (8, (
        "Неверная сумма в счёте {n}",
        "Счета за {month_ru} не сформированы",
        "Двойной счёт абоненту",
    ), (
        "В счёте {n} за {month_ru} сумма {amount} вместо суммы по тарифу.",
        "Счета не были отправлены абонентам по почте.",
    )),
    (6, (
        "Не проходит оплата картой",
        "Платёж не отражён на лицевом счёте",
        "Двойное списание {amount}",
    ), (
        "Абонент оплатил {amount} картой {date}, но баланс не изменился.",
        "Платёжный шлюз возвращает код {code}.",
    )),
    (6, (
        "Ошибка 502 при входе",
        "Ошибка 502 после обновления",
        "Страница лицевых счетов не открывается",
    ), (
        "С {date} операторы получают ошибку 502.",
        "Страница долго грузится и падает с ошибкой шлюза.",
    )),
    (5, (
        "Пустой отчёт за {month_ru}",
        "Отчёт по задолженности формируется очень долго",
        "Неверные итоги в отчёте",
    ), (
        "Отчёт за {month_ru} пустой, хотя платежи были.",
        "Итоги отчёта расходятся на {amount}.",
    )),
    (5, (
        "Не удаётся войти в систему",
        "Не приходит письмо для сброса пароля",
        "Выгрузка в Excel не работает",
        "Установить обновление {version}",
    ), (
        "Оператор {n} не может войти с утра.",
        "Выгрузка обрывается после {n} строк.",
        "Просим установить релиз {version} на рабочий сервер.",
    )),
)
RU_FILLER = (
    "Просим помочь как можно скорее.",
    "Скриншот во вложении.",
    "Затронуто около {n} абонентов.",
    "На прошлой неделе всё работало.",
    "Заранее спасибо.",
)
EN_REPLIES = (
    "Thank you, we are looking into it.",
    "Could you send a screenshot and the account number?",
    "The fix is installed, please check.",
    "It works now, thank you.",
    "The problem is still there.",
    "We need the log of the server for {date}.",
    "Here is the file you asked for.",
)
RU_REPLIES = (
    "Спасибо, разбираемся.",
    "Пришлите, пожалуйста, скриншот и номер лицевого счёта.",
    "Исправление установлено, проверьте.",
    "Теперь работает, спасибо.",
    "Проблема осталась.",
)
INTERNAL_NOTES = (
    "Looks like the nightly job failed; checking the scheduler.",
    "Same as last month, see the runbook.",
    "Asked the developers for a patch.",
    "Проверил логи, ошибка в обработчике платежей.",
)
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
MONTHS_RU = ("январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август",
             "сентябрь", "октябрь", "ноябрь", "декабрь")


class Words:
    """Subjects, descriptions and replies drawn from the vocabulary above."""

    def __init__(self, rnd: random.Random):
        self.rnd = rnd
        self.en = self._weighted(EN_TOPICS)
        self.ru = self._weighted(RU_TOPICS)

    @staticmethod
    def _weighted(topics):
        return [t[1:] for t in topics for _ in range(t[0])]

    def _fill(self, text: str) -> str:
        rnd = self.rnd
        month = rnd.randrange(12)
        return text.format(
            n=rnd.randint(100, 99999),
            month=MONTHS[month],
            month_ru=MONTHS_RU[month],
            amount=f"{rnd.randint(100, 99999)}.{rnd.randint(0, 99):02d}",
            date=f"{rnd.randint(1, 28):02d}.{month + 1:02d}",
            code=rnd.choice(("05", "51", "54", "91", "96")),
            version=f"{rnd.randint(3, 5)}.{rnd.randint(0, 12)}.{rnd.randint(0, 30)}",
        )

    def ticket(self) -> tuple[str, str, str]:
        """(language, subject, body) of a new ticket: 70 % English."""
        rnd = self.rnd
        russian = rnd.random() < 0.3
        subjects, sentences = rnd.choice(self.ru if russian else self.en)
        filler = RU_FILLER if russian else EN_FILLER
        parts = rnd.sample(sentences, min(len(sentences), rnd.randint(1, 2)))
        parts += rnd.sample(filler, rnd.randint(1, 2))
        body = " ".join(self._fill(p) for p in parts)
        return ("ru" if russian else "en"), self._fill(rnd.choice(subjects)), body

    def reply(self, language: str) -> str:
        return self._fill(self.rnd.choice(RU_REPLIES if language == "ru" else EN_REPLIES))

    def note(self) -> str:
        return self.rnd.choice(INTERNAL_NOTES)
