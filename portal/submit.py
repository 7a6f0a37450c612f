"""The portal's forms use the one-time submit tokens of ``core.submit`` (the staff admin
uses them too)."""

from core.submit import SubmitTokenField, new_token, submit_once

__all__ = ["SubmitTokenField", "new_token", "submit_once"]
