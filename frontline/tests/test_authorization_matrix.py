"""The authorization matrix: every page and endpoint, called as anonymous, a signed-in user who is not staff,
each role, an integration's token, a customer signed in to the portal and a customer let in by a link about
one case, answers as frontline/access.py declares. A route without a line there
fails here, so a new page cannot ship without saying who may use it.

"Let in" means the request got past authentication and the role check: any answer but 401, 403 or a
redirect to a sign-in page (a 404 for a made-up id, or a 400 for a missing field, is a request let in).
"""

import copy
import json
from datetime import timedelta

import pytest
from django.db import transaction
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from frontline import access
from frontline.agents import services as agents
from frontline.agents.models import ROLE_CAPABILITIES, Role
from frontline.cases import services as cases
from frontline.intake import public
from frontline.notifications import services as notifications
from frontline.notifications import verification
from frontline.policy import services as policy
from frontline.portal.visitor import Visitor
from frontline.tests import personas
from frontline.tests.helpers import held_for_module, portal_client

pytestmark = pytest.mark.django_db

MADE_UP = 987654
SESSIONS = ("anonymous", "victor", "tom", "priya", "nadia", "ada", "customer", "linked")
TOKENS = ("anonymous", "victor", "tom", "priya", "nadia", "ada", "integration", "customer")
CUSTOMERS = {"customer": (access.CUSTOMER, access.CUSTOMER_LINK), "linked": (access.CUSTOMER_LINK,)}
ROLE_OF = {
    "tom": Role.AGENT,
    "priya": Role.TEAM_LEAD,
    "nadia": Role.POLICY_ADMIN,
    "ada": Role.ADMIN,
    "integration": Role.INTEGRATION,
}


def page_routes():
    def walk(patterns, namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if str(pattern.pattern).startswith(("api/", "admin/")):
                    continue
                yield from walk(pattern.url_patterns, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern):
                yield f"{namespace}:{pattern.name}"

    return sorted(set(walk(get_resolver().url_patterns)))


def api_operations():
    from frontline.api import api

    schema = api.get_openapi_schema()
    found = {f"{method.upper()} {path}" for path, ops in schema["paths"].items() for method in ops}
    return sorted(found | {"GET /api/v1/openapi.json"})


def test_every_page_and_endpoint_declares_who_may_use_it():
    routes, operations = page_routes(), api_operations()  # once: the schema takes a third of a second
    undeclared = [r for r in routes if r not in access.PAGES] + [
        op for op in operations if op not in access.API
    ]
    assert undeclared == [], f"declare who may use these in frontline/access.py: {undeclared}"
    stale = [r for r in access.PAGES if r != "admin" and r not in routes] + [
        op for op in access.API if op not in operations
    ]
    assert stale == [], f"frontline/access.py names routes that no longer exist: {stale}"


@pytest.fixture(scope="module")
def built_world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The world is built once for the module's 250 tests (a third of a second a build); what a test's
    requests change is rolled back after each request."""
    with held_for_module(django_db_blocker, tmp_path_factory.mktemp("world")):
        yield build_world()


@pytest.fixture
def world(built_world, db):
    """The built world, with clients of their own for this test carrying the principals' session cookies
    (a request to sign out, say, changes its client's cookies, not the next test's)."""
    sessions = {}
    for who, built in built_world["sessions"].items():
        sessions[who] = Client()
        sessions[who].cookies = copy.deepcopy(built.cookies)
    return {**built_world, "sessions": sessions}


def build_world() -> dict:
    """One of everything a route can name, and a client for each principal."""
    team = personas.team()
    personas.web_hosting()
    tom, priya, nadia, ada = (
        personas.tom(team),
        personas.priya(team),
        personas.nadia(team),
        personas.ada(team),
    )
    victor, sam = personas.victor(), personas.sam()
    sam_person, blog = sam.people.get(), sam.units.get(kind="site")
    bot = agents.create_agent(
        username="cert-feed", display_name="CERT feed", email="", password=None, role=Role.INTEGRATION
    )
    staff = {"tom": tom, "priya": priya, "nadia": nadia, "ada": ada, "integration": bot}
    for agent in staff.values():
        agent.goodwill_allowance = 100
        agent.save(update_fields=["goodwill_allowance"])
    case = cases.open_case(
        customer=sam, requester=sam_person, channel="email", subject="Blog down", body="503 since 10:00"
    )
    rule = policy.save_rule(
        by=nadia,
        name="Contain infected sites",
        trigger="malware_scan",
        condition="event.infected",
        action="contain",
        severity="standard",
    )
    policy.receive_events(
        [{"trigger": "malware_scan", "facts": {"infected": True}, "unit": {"unit_id": blog.pk}}],
        source="scanner",
    )
    decision = rule.decisions.get()
    override = policy.override_decision(
        decision,
        by=priya,
        kind="delay",
        reason="they are cleaning",
        until=decision.due_at + timedelta(hours=6),
    )
    notification = notifications.notify(sam, subject_kind="case", subject_id=case.ref, title="t", body="b")
    fanout = notifications.fan_out(
        subject_kind="incident", subject_id="INC-1", title="t", body="b", customers=[sam]
    )
    point = sam_person.contacts.get(kind="email")
    chat, _ = public.start_chat(name="Visitor", email="visitor@example.net", body="hello")
    sessions = {"anonymous": Client(), "victor": Client()}
    sessions["victor"].force_login(victor)
    sessions["customer"] = portal_client(
        Visitor(account_ids=[sam.pk], account_id=sam.pk, person_id=sam_person.pk)
    )
    sessions["linked"] = portal_client(
        Visitor(
            account_ids=[sam.pk],
            account_id=sam.pk,
            grants=[
                ["case", case.pk],
                ["notification", notification.pk],
                ["contacts", sam.pk],
                ["services", sam.pk],
            ],
        )
    )
    for name in ("tom", "priya", "nadia", "ada"):
        sessions[name] = Client()
        sessions[name].force_login(staff[name].user)
    tokens = {
        name: agents.issue_api_token(agent, f"{name}'s integration")[1] for name, agent in staff.items()
    }
    return {
        "sam": sam,
        "case": case,
        "message": case.messages.get(),
        "rule": rule,
        "decision": decision,
        "override": override,
        "notification": notification,
        "fanout": fanout,
        "point": point,
        "chat": chat,
        "blog": blog,
        "sessions": sessions,
        "tokens": tokens,
    }


def page_request(name: str, w: dict) -> tuple[str, str, dict]:
    """(method, path, form) for a page: real objects where a role check needs one, else made-up ids."""
    kwargs = {
        "cases:split": {"ref": w["case"].ref, "message_pk": w["message"].pk},
        "cases:attachment": {"ref": w["case"].ref, "pk": MADE_UP},
        "cases:detach_unit": {"ref": w["case"].ref, "unit_pk": w["blog"].pk},
        "intake:chat_messages": {"token": w["chat"].token},
        "intake:contact_confirm": {"token": "not-a-token"},
        "intake:chat_confirm": {"token": "not-a-token"},
        "notifications:acknowledge": {"token": notifications.ack_link(w["notification"]).split("/")[-2]},
        "notifications:verify": {"token": verification.verify_link(w["point"]).split("/")[-2]},
        "notifications:fanout": {"pk": w["fanout"].pk},
        "notifications:fanout_progress": {"pk": w["fanout"].pk},
        "notifications:phone_confirmation": {"pk": w["notification"].pk},
        "notifications:send_verification": {"pk": w["point"].pk},
        "notifications:confirm_code": {"pk": w["point"].pk},
        "notifications:customer": {"pk": w["sam"].pk},
        "notifications:notify": {"pk": w["sam"].pk},
        "notifications:evidence": {"pk": w["sam"].pk, "fmt": "csv"},
        "customers:detail": {"pk": w["sam"].pk},
        "customers:set_role": {"pk": w["sam"].pk, "person_pk": w["case"].requester_id},
        "customers:unlink_person": {"pk": w["sam"].pk, "person_pk": w["case"].requester_id},
        "notifications:contact": {"pk": w["point"].pk},
        "notifications:contact_correct": {"pk": w["point"].pk},
        "notifications:contact_retire": {"pk": w["point"].pk},
        "notifications:contact_add": {"pk": w["point"].pk},
        "policy:override": {"pk": w["decision"].pk},
        "policy:widen": {"pk": w["decision"].pk},
        "policy:decide": {"pk": w["decision"].pk},
        "policy:end": {"pk": w["decision"].pk},
        "policy:reverse": {"pk": w["override"].pk},
        "monitoring:hook": {"source": "matrix"},
        "cases:confirm": {"token": "not-a-token"},
        "incidents:subscription_confirm": {"token": "not-a-token"},
        "portal:enter": {"token": "not-a-token"},
        "portal:open": {"token": "not-a-token"},
        "portal:feed": {"token": "not-a-token"},
        "portal:calendar": {"token": "not-a-token"},
        "portal:case": {"ref": w["case"].ref},
        "portal:reply": {"ref": w["case"].ref},
        "portal:confirm": {"ref": w["case"].ref},
        "portal:attachment": {"ref": w["case"].ref, "pk": MADE_UP},
        "portal:acknowledge": {"pk": w["notification"].pk},
        "portal:rescan": {"pk": w["decision"].pk},
        "portal:ask": {"pk": w["decision"].pk},
        "portal:contact_correct": {"pk": w["point"].pk},
        "portal:contact_retire": {"pk": w["point"].pk},
        "portal:contact_verify": {"pk": w["point"].pk},
        "incidents:unsubscribe": {"token": "not-a-token"},
        "measures:chart_data": {"measure": "failure_share"},
        "measures:correct": {"ref": w["case"].ref, "message_id": w["message"].pk},
        "measures:customer": {"customer_id": w["sam"].pk},
        "measures:improvement": {"improvement_id": MADE_UP},
        "measures:finish_improvement": {"improvement_id": MADE_UP},
    }.get(name)
    if kwargs is None:  # the route takes nothing, a case, or an id that may as well be made up
        kwargs = next(k for k in ({}, {"ref": w["case"].ref}, {"pk": MADE_UP}) if _reverses(name, k))
    path = reverse(name, kwargs=kwargs)
    form = {
        "policy:override": {"kind": "do_less", "action": "notify", "reason": "matrix"},
        "policy:widen": {"reason": "matrix"},
        "policy:decide": {"approve": "no", "reason": "matrix"},
        "policy:end": {"reason": "matrix"},
        "policy:reverse": {"reason": "matrix"},
        "policy:save_rule": {"name": "r", "trigger": "malware_scan", "condition": "true", "action": "notify"},
        "policy:goodwill": {"customer": w["sam"].pk, "goodwill": "credit", "value": "5", "reason": "matrix"},
        "cases:assign": {"assignee": "me"},
        "monitoring:save_matcher": {"label": "site", "looks_up": "unit_name"},
        "incidents:open": {"title": "matrix", "impact": "down"},
        "incidents:update": {"state": "identified", "body": "matrix"},
        "incidents:link": {"case": "C-0"},
        "incidents:detach": {"case": "C-0"},
        "correlation:save_rule": {"name": "r", "condition": "true", "min_count": "5", "window_minutes": "9"},
        "incidents:maintenance_schedule": {"title": "m", "body": "m", "impact": "OUTAGE"},
        "incidents:subscribe": {"kind": "email", "address": "matrix@example.com"},
        "portal:reply": {"body": "matrix"},
        "portal:confirm": {"answer": "yes"},
        "portal:switch": {"account": str(w["sam"].pk)},
        "portal:contact_add": {"kind": "email", "value": "matrix@walkerblog.example"},
        "portal:contact_correct": {"value": "matrix-2@walkerblog.example"},
        "portal:ask": {"words": "matrix"},
        "saved_replies:save": {"title": "matrix", "body": "matrix"},
        "measures:correct": {"failure_type": "chasing"},
        "measures:save_rule": {"name": "r", "condition": "contact.chaser", "failure_type": "chasing"},
        "measures:baseline": {
            "chart": "failure_share|all",
            "first_week": "2026-01-05",
            "last_week": "2026-03-02",
        },
        "measures:open_improvement": {"measure": "failure_share", "week": "2026-01-05"},
    }.get(name, {})
    posts = {
        "chat_start",
        "reply",
        "note",
        "assign",
        "status",
        "merge",
        "vouch",
        "split",
        "call",
        "callback",
        "override",
        "topic",
        "attach_units",
        "detach_unit",
        "match_sender",
        "add_person",
        "link_person",
        "set_role",
        "unlink_person",
        "add_contact",
        "save",
        "reprocess",
        "finish",
        "phone_confirmation",
        "send_verification",
        "confirm_code",
        "notify",
        "save_rule",
        "widen",
        "decide",
        "end",
        "reverse",
        "goodwill",
        "logout",
        "sms_inbound",
        "hook",
        "save_matcher",
        "open",
        "update",
        "link",
        "maintenance_schedule",
        "maintenance_cancel",
        "subscribe",
        "detach",
        "postmortem",
        "add_action",
        "action_done",
        "summary",
        "sign_out",
        "language",
        "switch",
        "confirm",
        "acknowledge",
        "rescan",
        "ask",
        "contact_add",
        "contact_correct",
        "contact_retire",
        "contact_verify",
        "correct",
        "baseline",
        "open_improvement",
        "finish_improvement",
    }
    return ("post" if name.split(":")[1] in posts else "get"), path, form


def _reverses(name: str, kwargs: dict) -> bool:
    try:
        reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return False
    return True


def api_request(op: str, w: dict) -> tuple[str, str, dict]:
    method, template = op.split(" ", 1)
    values = {
        "customer_id": w["sam"].pk,
        "person_id": w["case"].requester_id,
        "unit_id": w["blog"].pk,
        "contact_id": w["point"].pk,
        "reply_id": MADE_UP,
        "agent_id": MADE_UP,
        "token_id": MADE_UP,
        "todo_id": MADE_UP,
        "webhook_id": MADE_UP,
        "ref": w["case"].ref,
        "case_ref": w["case"].ref,
        "notification_id": w["notification"].pk,
        "fanout_id": w["fanout"].pk,
        "rule_id": w["rule"].pk,
        "decision_id": w["decision"].pk,
        "override_id": w["override"].pk,
        "matcher_id": MADE_UP,
        "component_id": MADE_UP,
        "incident_id": MADE_UP,
        "maintenance_id": MADE_UP,
        "action_id": MADE_UP,
        "proposal_id": MADE_UP,
        "measure": "failure_share",
        "message_id": w["message"].pk,
    }
    path = template.format(**values)
    unit = {"unit_id": w["blog"].pk}
    body = {
        "POST /api/v1/correlation/rules": {"name": "r", "condition": "true"},
        "POST /api/v1/measures/rules": {
            "name": "r",
            "condition": "contact.chaser",
            "failure_type": "chasing",
        },
        "PUT /api/v1/measures/rules/{rule_id}": {"name": "r", "condition": "true", "failure_type": "chasing"},
        "POST /api/v1/cases/{ref}/contacts/{message_id}/demand": {"failure_type": "chasing"},
        "PUT /api/v1/correlation/rules/{rule_id}": {"name": "r", "condition": "true"},
        "POST /api/v1/correlation/proposals/{proposal_id}/decision": {"accept": True},
        "PUT /api/v1/incidents/{incident_id}/postmortem": {"root_cause": "r", "cause_class": "change"},
        "POST /api/v1/incidents/{incident_id}/postmortem/actions": {
            "kind": "prevent",
            "description": "d",
            "owner_id": MADE_UP,
            "priority": "high",
        },
        "POST /api/v1/incidents/{incident_id}/postmortem/summary": {"body": "b"},
        "POST /api/v1/incidents/actions/{action_id}/done": {"verification_kind": "test", "verification": "t"},
        "POST /api/v1/changes": {
            "kind": "configuration",
            "summary": "relay access list",
            "targets": ["smtp-2"],
            "changed_by": "ci",
        },
        "POST /api/v1/policy/rules": {
            "name": "r",
            "trigger": "malware_scan",
            "condition": "true",
            "action": "notify",
        },
        "PUT /api/v1/policy/rules/{rule_id}": {
            "name": "r",
            "trigger": "malware_scan",
            "condition": "true",
            "action": "notify",
            "reason": "matrix",
        },
        "POST /api/v1/policy/events": {
            "events": [{"trigger": "malware_scan", "facts": {"infected": False}, "unit": unit}]
        },
        "POST /api/v1/policy/abuse-reports": {"source_ip": "192.0.2.99"},
        "POST /api/v1/policy/scans": {
            "scanner": "m",
            "scan_id": "matrix",
            "results": [{"unit": unit, "infected": False}],
        },
        "POST /api/v1/policy/billing": {
            "kind": "payment_received",
            "customer_id": w["sam"].pk,
            "invoice": "I-1",
        },
        "POST /api/v1/policy/decisions/{decision_id}/override": {
            "kind": "do_less",
            "action": "notify",
            "reason": "m",
        },
        "POST /api/v1/policy/decisions/{decision_id}/widen": {"reason": "matrix"},
        "POST /api/v1/policy/decisions/{decision_id}/decide": {"approve": False, "reason": "matrix"},
        "POST /api/v1/policy/decisions/{decision_id}/end": {"reason": "matrix"},
        "POST /api/v1/policy/overrides/{override_id}/reverse": {"reason": "matrix"},
        "POST /api/v1/monitoring/matchers": {"label": "site", "looks_up": "unit_name"},
        "PUT /api/v1/monitoring/matchers/{matcher_id}": {"label": "site", "looks_up": "unit_name"},
        "POST /api/v1/monitoring/components": {"name": "matrix-1", "kind": "server", "group": "Web"},
        "PUT /api/v1/monitoring/components/{component_id}/state": {"state": "down", "reason": "matrix"},
        "POST /api/v1/incidents": {"title": "matrix", "components": ["nothing"]},
        "POST /api/v1/incidents/{incident_id}/updates": {"state": "identified", "body": "matrix"},
        "POST /api/v1/incidents/{incident_id}/cases": {"case": "C-1"},
        "POST /api/v1/cases/{ref}/units": {"unit_ids": [w["blog"].pk]},
        "POST /api/v1/saved-replies": {"title": "matrix", "body": "matrix"},
        "POST /api/v1/agents": {"username": "matrix", "display_name": "matrix"},
        "POST /api/v1/teams": {"name": "matrix"},
        "POST /api/v1/webhooks": {"name": "matrix", "url": "http://127.0.0.1:9/", "kinds": ["case.opened"]},
        "POST /api/v1/skills": {"slug": "matrix"},
        "POST /api/v1/agents/{agent_id}/tokens": {"name": "matrix"},
        "POST /api/v1/todos/{todo_id}/finish": {"outcome": "matrix"},
        "POST /api/v1/notifications/fanouts": {
            "subject_kind": "incident",
            "subject_id": "matrix",
            "title": "matrix",
            "body": "matrix",
            "customer_ids": [w["sam"].pk],
        },
        "PATCH /api/v1/saved-replies/{reply_id}": {"title": "matrix"},
        "POST /api/v1/maintenance": {
            "title": "m",
            "body": "m",
            "impact": "OUTAGE",
            "starts_at": "2030-01-01T00:00:00Z",
            "ends_at": "2030-01-01T01:00:00Z",
        },
        "PATCH /api/v1/maintenance/{maintenance_id}": {"title": "m"},
        "POST /api/v1/policy/goodwill": {
            "customer_id": w["sam"].pk,
            "goodwill": "credit",
            "value": "5",
            "reason": "m",
        },
    }.get(op, {})
    return method.lower(), path, body


def may(principal: str, expected: str) -> bool:
    if expected == access.PUBLIC:
        return True
    if principal in CUSTOMERS or expected in (access.CUSTOMER, access.CUSTOMER_LINK):
        return expected in CUSTOMERS.get(principal, ())
    if expected == access.SHARED_SECRET or principal not in ROLE_OF:
        return False
    return expected in ROLE_CAPABILITIES[ROLE_OF[principal]]


def let_in(response) -> bool:
    if response.status_code in (401, 403):
        return False
    # login_required and the admin send a stranger to sign in, naming where they wanted to go
    location = response.get("Location", "")
    to_sign_in = "login" in location or "/portal/sign-in/" in location
    return not (response.status_code == 302 and to_sign_in and "next=" in location)


def attempt(call):
    """Each principal's request on the same world: what one changes, the next does not see."""
    with transaction.atomic():
        response = call()
        transaction.set_rollback(True)
    assert response.status_code < 500, response.content[:300]
    return response


@pytest.fixture(autouse=True)
def _no_throttling(settings):
    settings.FRONTLINE_PUBLIC_RATE = settings.FRONTLINE_CHAT_RATE = 1000


@pytest.mark.parametrize("name", page_routes())
def test_each_page_answers_each_principal_as_declared(world, name):
    method, path, form = page_request(name, world)
    expected = access.PAGES[name]
    answers = {
        who: let_in(attempt(lambda who=who: getattr(world["sessions"][who], method)(path, form)))
        for who in SESSIONS
    }
    assert answers == {who: may(who, expected) for who in SESSIONS}, f"{method.upper()} {path}"


@pytest.mark.parametrize("op", api_operations())
def test_each_endpoint_answers_each_principal_as_declared(world, op):
    method, path, body = api_request(op, world)
    expected = access.API[op]

    def call(who):
        headers = {}
        client = world["sessions"][who] if who in ("victor", "customer") else Client()
        if who in world["tokens"]:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {world['tokens'][who]}"
        if method == "get":
            return client.get(path, **headers)
        return getattr(client, method)(path, json.dumps(body), content_type="application/json", **headers)

    answers = {who: let_in(attempt(lambda who=who: call(who))) for who in TOKENS}
    assert answers == {who: may(who, expected) for who in TOKENS}, op


@pytest.mark.parametrize("path", ["/admin/", "/admin/agents/agent/", "/admin/agents/apitoken/"])
def test_the_admin_site_is_for_admins_only(world, path):
    answers = {who: let_in(attempt(lambda who=who: world["sessions"][who].get(path))) for who in SESSIONS}
    assert answers == {who: may(who, access.PAGES["admin"]) for who in SESSIONS}


def test_the_sms_webhook_opens_with_its_secret_only(client, settings, world):
    settings.FRONTLINE_SMS_INBOUND_TOKEN = "sms-secret"
    body = json.dumps({"from": "+44 7700 900456", "text": "OK"})
    assert client.post("/notify/sms-inbound", body, content_type="application/json").status_code == 401
    opened = client.post(
        "/notify/sms-inbound", body, content_type="application/json", HTTP_X_FRONTLINE_TOKEN="sms-secret"
    )
    assert opened.status_code == 202
