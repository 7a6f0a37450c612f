"""The provider's inbound webhook: Mailgun's route "forward to URL".

Thin: anymail checks the request and parses the mail, then sends its ``inbound``
signal, which ``mailin.receivers`` hands to ``mailin.services.inbound_receive``.
"""

from anymail.exceptions import AnymailWebhookValidationFailure
from anymail.webhooks.mailgun import MailgunInboundWebhookView


class InboundWebhookView(MailgunInboundWebhookView):
    """Mailgun inbound, secured twice: anymail's WEBHOOK_SECRET (HTTP basic auth), which
    this view insists on, and Mailgun's signature (MAILGUN_WEBHOOK_SIGNING_KEY)."""

    def validate_request(self, request):
        if not self.basic_auth:
            raise AnymailWebhookValidationFailure(
                "The inbound webhook is closed until ANYMAIL_WEBHOOK_SECRET is set."
            )
