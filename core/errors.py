"""The error every rule of the helpdesk raises, whichever app the rule lives in."""


class ActionRefused(Exception):
    """A rule forbids what was asked; the message says why, in words for the user."""

    def __init__(self, message: str, *, code: str = "refused"):
        super().__init__(message)
        self.message = message
        self.code = code
