"""Personas shared by every test: Northwind's staff and a few customers from the stories.

Tom is an agent (web hosting), Priya a team lead, Nadia a policy admin, Ada the admin; Victor has a
login but no agent profile. Sam Walker is the blogger from story S1. The fixtures of the same names
(conftest.py) make them for one test; a module that builds its data once calls these directly.
"""

import datetime

from django.contrib.auth import get_user_model

from frontline.agents import services as agents
from frontline.agents.models import Role, Skill, Team
from frontline.customers import services as customers


def team() -> Team:
    return Team.objects.create(name="Hosting", holiday_country="GB")


def web_hosting() -> Skill:
    return Skill.objects.create(slug="web-hosting", name="Web hosting")


def tom(team: Team):
    return agents.create_agent(
        username="tom",
        display_name="Tom Becker",
        email="tom@northwind.example",
        password="pw-tom-123",
        role=Role.AGENT,
        team=team,
        skills={"web-hosting": 4},
    )


def priya(team: Team):
    return agents.create_agent(
        username="priya",
        display_name="Priya Raman",
        email="priya@northwind.example",
        password="pw-priya-123",
        role=Role.TEAM_LEAD,
        team=team,
        skills={"web-hosting": 5},
    )


def nadia(team: Team):
    return agents.create_agent(
        username="nadia",
        display_name="Nadia Kowalska",
        email="nadia@northwind.example",
        password="pw-nadia-123",
        role=Role.POLICY_ADMIN,
        team=team,
    )


def ada(team: Team):
    return agents.create_agent(
        username="ada",
        display_name="Ada Admin",
        email="ada@northwind.example",
        password="pw-ada-123",
        role=Role.ADMIN,
        team=team,
    )


def victor():
    return get_user_model().objects.create_user(username="victor", password="pw-victor-123")


def sam():
    """Sam Walker: customer since 2009, a blog on web-07, a verified email address."""
    customer = customers.create_customer(
        name="Sam Walker", plan="starter", customer_since=datetime.date(2009, 4, 2), monthly_value="6.99"
    )
    account = customers.add_unit(customer, kind="account", name="acct-walker")
    customers.add_unit(customer, kind="site", name="walkerblog.example", parent=account, hostname="web-07")
    person = customers.add_person(customer, name="Sam Walker")
    email = customers.add_contact_point(person=person, kind="email", value="Sam@WalkerBlog.example")
    customers.verify_contact_point(email)
    customers.add_contact_point(person=person, kind="phone", value="+44 7700 900456", label="mobile")
    return customer
