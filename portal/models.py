"""The portal keeps no tables of its own: its one-time submit tokens are
``core.models.SubmitToken`` (the table still has the portal's name)."""
