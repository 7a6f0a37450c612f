"""Who is the contractor's staff, for every admin (any app may ask; it reads the user's
own attributes, so it needs no import of ``accounts``)."""


def is_contractor_staff(user) -> bool:
    """The contractor's agents and managers (and a superuser): who enters the staff admin."""
    return bool(user.is_active and (user.is_contractor or user.is_superuser))
