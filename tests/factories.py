"""factory_boy factories. Tickets are filed through the real service, so their numbers,
history rows and signals are what production makes."""

import datetime

import factory

from accounts.models import Organisation, Role, User
from tickets import services
from tickets.models import Priority, Ticket, TicketType

PASSWORD = "correct-horse-battery-staple"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Customer Company {n}")
    contract_number = factory.Sequence(lambda n: f"SMC-{n:04d}")
    contract_start = datetime.date(2025, 1, 1)
    contract_end = datetime.date(2030, 12, 31)
    is_active = True


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    full_name = factory.Sequence(lambda n: f"Person {n}")
    password = factory.django.Password(PASSWORD)
    is_active = True


class CustomerFactory(UserFactory):
    role = Role.CUSTOMER_EMPLOYEE
    organisation = factory.SubFactory(OrganisationFactory)
    email = factory.Sequence(lambda n: f"employee{n}@customer.example")
    full_name = factory.Sequence(lambda n: f"Employee {n}")


class RepresentativeFactory(CustomerFactory):
    role = Role.CUSTOMER_REPRESENTATIVE
    email = factory.Sequence(lambda n: f"representative{n}@customer.example")
    full_name = factory.Sequence(lambda n: f"Representative {n}")


class AgentFactory(UserFactory):
    role = Role.AGENT
    organisation = None
    email = factory.Sequence(lambda n: f"agent{n}@vendor.example")
    full_name = factory.Sequence(lambda n: f"Agent {n}")


class ManagerFactory(AgentFactory):
    role = Role.MANAGER
    email = factory.Sequence(lambda n: f"manager{n}@vendor.example")
    full_name = factory.Sequence(lambda n: f"Manager {n}")


class TicketFactory(factory.Factory):
    """Files a ticket via ``services.ticket_file``: real number, FILED event, signals."""

    class Meta:
        model = Ticket

    requester = factory.SubFactory(CustomerFactory)
    subject = factory.Sequence(lambda n: f"Report export fails for batch {n}")
    body = "Steps:\n\n1. Open *Reports*\n2. Export\n\nExpected a file, got an error."
    type = TicketType.INCIDENT
    priority = Priority.NORMAL
    files = ()
    follows = None

    @classmethod
    def _create(cls, model_class, **kwargs):
        return services.ticket_file(**kwargs)

    @classmethod
    def _build(cls, model_class, **kwargs):
        raise NotImplementedError("Tickets exist only once filed: use TicketFactory().")
