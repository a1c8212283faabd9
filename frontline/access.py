"""Who may use each page and endpoint, declared once, beside the role table (agents.models.ROLE_CAPABILITIES).

Every route in the URL configuration and every operation in the OpenAPI schema has a line here; the
authorization matrix test (frontline/tests/test_authorization_matrix.py) calls each one as anonymous, a
signed-in user who is not staff, each role and an integration's token, and fails on any answer that differs
from what is declared here, and on any route without a line. A new page or endpoint starts by saying who may
use it.

The values:
- PUBLIC: anyone, signed in or not (the public pages, signed links whose token is the key, the schema).
- SHARED_SECRET: a provider's webhook, authenticated by its own header; no session or token opens it.
- CUSTOMER: a customer signed in to the portal by a one-time link (their own accounts' data only); staff
  sign-in does not open it.
- CUSTOMER_LINK: the same, or a customer let in by a link we sent them for the one thing it is about (a
  notice's link also opens the account's contact points; an action's notice, what is held on its services).
- a Capability: the staff whose role holds it (sessions on pages; sessions or bearer tokens on the API).
  WORK_CASES is any member of staff. Where a route's service asks more of some requests (assigning a case
  to someone else, say), the line names what it takes to use the route at all.
"""

from frontline.agents.models import Capability

PUBLIC = "public"
SHARED_SECRET = "shared_secret"
CUSTOMER = "customer"
CUSTOMER_LINK = "customer_link"
STAFF = Capability.WORK_CASES

PAGES: dict[str, str] = {
    "web:login": PUBLIC,
    "operations:healthz": PUBLIC,  # load balancers and orchestrators ask without signing in
    "operations:readyz": PUBLIC,  # says which of database, cache and queue is unreachable, nothing more
    "operations:metrics": SHARED_SECRET,  # the scraper's bearer token (FRONTLINE_METRICS_TOKEN)
    "web:logout": PUBLIC,
    "intake:contact": PUBLIC,
    "intake:contact_confirm": PUBLIC,
    "intake:chat": PUBLIC,
    "intake:chat_start": PUBLIC,
    "intake:chat_confirm": PUBLIC,
    "intake:chat_messages": PUBLIC,  # the chat's token is its only key
    "notifications:acknowledge": PUBLIC,  # a signed link
    "notifications:verify": PUBLIC,  # a signed link
    "notifications:sms_inbound": SHARED_SECRET,  # X-Frontline-Token
    "cases:inbox": STAFF,
    "cases:detail": STAFF,
    "cases:reply": STAFF,
    "cases:note": STAFF,
    "cases:assign": STAFF,  # taking an unowned case; giving one to someone else takes ASSIGN_OTHERS
    "cases:status": STAFF,
    "cases:merge": STAFF,
    "cases:vouch": STAFF,
    "cases:split": STAFF,
    "cases:call": STAFF,
    "cases:callback": STAFF,
    "cases:attachment": STAFF,
    "cases:override": STAFF,  # a priority override, with a reason, that expires
    "cases:topic": STAFF,
    "cases:attach_units": STAFF,
    "cases:detach_unit": STAFF,
    "customers:lookup": STAFF,
    "customers:detail": STAFF,
    "customers:add_person": STAFF,
    "customers:link_person": STAFF,
    "customers:set_role": STAFF,
    "customers:unlink_person": STAFF,
    "customers:add_contact": STAFF,
    "intake:quarantine": STAFF,
    "intake:raw": STAFF,
    "intake:reprocess": STAFF,
    "intake:match_sender": STAFF,  # say who an unmatched sender is
    "todos:list": STAFF,
    "saved_replies:list": STAFF,
    "saved_replies:save": Capability.ASSIGN_OTHERS,  # team leads keep the team's saved replies
    "todos:finish": STAFF,
    "measures:page": STAFF,  # outcomes for customers: every member of staff may read them
    "measures:chart_data": STAFF,
    "measures:improvement": STAFF,
    "measures:customer": STAFF,
    "measures:correct": STAFF,  # a contact's demand class, on the case
    "measures:baseline": Capability.ASSIGN_OTHERS,  # leads explain signals and move limits
    "measures:open_improvement": Capability.ASSIGN_OTHERS,
    "measures:finish_improvement": Capability.ASSIGN_OTHERS,
    "measures:save_rule": Capability.ASSIGN_OTHERS,
    "notifications:fanouts": STAFF,
    "notifications:fanout_new": Capability.RUN_INCIDENTS,  # telling many customers at once: a lead's action
    "notifications:fanout": STAFF,
    "notifications:fanout_progress": STAFF,
    "notifications:phone_confirmation": STAFF,
    "notifications:contact": STAFF,  # a contact point, why it fails, and the forms that fix it
    "notifications:contact_correct": STAFF,
    "notifications:contact_retire": STAFF,
    "notifications:contact_add": STAFF,
    "notifications:send_verification": STAFF,
    "notifications:confirm_code": STAFF,
    "notifications:customer": STAFF,
    "notifications:notify": STAFF,
    "notifications:evidence": STAFF,
    "policy:rules": STAFF,  # reading the rules and the report
    "policy:save_rule": Capability.EDIT_POLICY,
    "policy:override": Capability.OVERRIDE_RULES,
    "policy:widen": Capability.OVERRIDE_RULES,
    "policy:decide": Capability.OVERRIDE_RULES,
    "policy:end": Capability.OVERRIDE_RULES,  # lifting a rule's action is an override
    "policy:reverse": Capability.OVERRIDE_RULES,
    "policy:goodwill": STAFF,  # within the person's own monthly allowance
    "monitoring:hook": SHARED_SECRET,  # a monitoring source's bearer token or HMAC of the body
    "monitoring:page": STAFF,
    "monitoring:save_matcher": Capability.RUN_INCIDENTS,
    "cases:confirm": PUBLIC,  # a signed link: "is it fixed?"
    "incidents:list": STAFF,
    "incidents:open": Capability.RUN_INCIDENTS,
    "incidents:detail": STAFF,
    "incidents:update": Capability.RUN_INCIDENTS,
    "incidents:link": STAFF,
    "incidents:detach": STAFF,  # one click undoes a wrong link; the service checks WORK_CASES
    "incidents:postmortem": Capability.RUN_INCIDENTS,
    "incidents:add_action": Capability.RUN_INCIDENTS,
    "incidents:action_done": Capability.WORK_CASES,  # the owner closes it, with its verification
    "incidents:summary": Capability.RUN_INCIDENTS,
    "correlation:page": STAFF,
    "correlation:save_rule": Capability.RUN_INCIDENTS,
    "correlation:decide": Capability.RUN_INCIDENTS,
    "portal:sign_in": PUBLIC,  # asks for a one-time link; the same answer for any address
    "portal:enter": PUBLIC,  # the one-time link itself
    "portal:open": PUBLIC,  # a signed link about one case: lets its holder in for that case
    "portal:sign_out": PUBLIC,
    "portal:language": PUBLIC,
    "portal:brand": PUBLIC,  # the provider's colour as a style sheet
    "portal:feed": PUBLIC,  # the account's own feed: its signed URL is the key
    "portal:calendar": PUBLIC,  # the account's own calendar: its signed URL is the key
    "portal:home": CUSTOMER_LINK,
    "portal:case": CUSTOMER_LINK,
    "portal:reply": CUSTOMER_LINK,
    "portal:confirm": CUSTOMER_LINK,
    "portal:attachment": CUSTOMER_LINK,
    "portal:acknowledge": CUSTOMER_LINK,
    "portal:switch": CUSTOMER,
    "portal:services": CUSTOMER_LINK,  # or a notice's link: an action's notice shows what is held
    "portal:rescan": CUSTOMER_LINK,  # or a notice's link: an action's notice shows what is held
    "portal:ask": CUSTOMER_LINK,  # or a notice's link: an action's notice shows what is held
    "portal:incidents": CUSTOMER,
    "portal:contacts": CUSTOMER_LINK,  # or a notice's link: it lets them fix how we reach the account
    "portal:contact_add": CUSTOMER_LINK,  # or a notice's link: it lets them fix how we reach the account
    "portal:contact_correct": CUSTOMER_LINK,  # or a notice's link: it lets them fix how we reach the account
    "portal:contact_retire": CUSTOMER_LINK,  # or a notice's link: it lets them fix how we reach the account
    "portal:contact_verify": CUSTOMER_LINK,  # or a notice's link: it lets them fix how we reach the account
    "incidents:maintenance_list": STAFF,
    "incidents:maintenance_schedule": Capability.RUN_INCIDENTS,
    "incidents:maintenance_cancel": Capability.RUN_INCIDENTS,
    "incidents:status": PUBLIC,
    "incidents:status_atom": PUBLIC,
    "incidents:status_rss": PUBLIC,
    "incidents:status_json": PUBLIC,
    "incidents:subscribe": PUBLIC,
    "incidents:subscription_confirm": PUBLIC,  # a signed link
    "incidents:unsubscribe": PUBLIC,  # a signed link, one click (RFC 8058)
    "admin": Capability.MANAGE_STAFF,  # Django's admin site, every page of it
}

API: dict[str, str] = {
    "GET /api/v1/openapi.json": PUBLIC,
    "GET /api/v1/webhooks": Capability.MANAGE_STAFF,
    "POST /api/v1/webhooks": Capability.MANAGE_STAFF,
    "POST /api/v1/webhooks/{webhook_id}/resume": Capability.MANAGE_STAFF,
    "GET /api/v1/webhooks/{webhook_id}/deliveries": Capability.MANAGE_STAFF,
    "GET /api/v1/agents": Capability.MANAGE_STAFF,
    "POST /api/v1/agents": Capability.MANAGE_STAFF,
    "PATCH /api/v1/agents/{agent_id}": Capability.MANAGE_STAFF,
    "GET /api/v1/teams": Capability.MANAGE_STAFF,
    "POST /api/v1/teams": Capability.MANAGE_STAFF,
    "GET /api/v1/skills": Capability.MANAGE_STAFF,
    "POST /api/v1/skills": Capability.MANAGE_STAFF,
    "GET /api/v1/agents/{agent_id}/tokens": Capability.MANAGE_STAFF,
    "POST /api/v1/agents/{agent_id}/tokens": Capability.MANAGE_STAFF,
    "DELETE /api/v1/tokens/{token_id}": Capability.MANAGE_STAFF,
    "PATCH /api/v1/units/{unit_id}": STAFF,
    "GET /api/v1/cases/{ref}/timeline": STAFF,
    "POST /api/v1/cases/{ref}/calls": STAFF,
    "GET /api/v1/customers/{customer_id}/cases": STAFF,
    "GET /api/v1/todos": STAFF,
    "POST /api/v1/todos/{todo_id}/finish": STAFF,
    "GET /api/v1/customers/{customer_id}/notifications": STAFF,
    "GET /api/v1/customers/{customer_id}/evidence": STAFF,
    "GET /api/v1/customers": STAFF,
    "POST /api/v1/customers": STAFF,
    "GET /api/v1/customers/lookup": STAFF,
    "GET /api/v1/customers/{customer_id}": STAFF,
    "PATCH /api/v1/customers/{customer_id}": STAFF,
    "GET /api/v1/customers/{customer_id}/people": STAFF,
    "POST /api/v1/customers/{customer_id}/people": STAFF,
    "GET /api/v1/customers/{customer_id}/contacts": STAFF,
    "POST /api/v1/customers/{customer_id}/contacts": STAFF,
    "POST /api/v1/customers/{customer_id}/match": STAFF,  # say who an unmatched sender is
    "GET /api/v1/contacts/{contact_id}": STAFF,
    "PATCH /api/v1/contacts/{contact_id}": STAFF,
    "POST /api/v1/contacts/{contact_id}/retire": STAFF,
    "POST /api/v1/people/{person_id}/accounts": STAFF,
    "PATCH /api/v1/customers/{customer_id}/people/{person_id}": STAFF,
    "DELETE /api/v1/customers/{customer_id}/people/{person_id}": STAFF,
    "GET /api/v1/people/{person_id}/contacts": STAFF,
    "POST /api/v1/people/{person_id}/contacts": STAFF,
    "GET /api/v1/customers/{customer_id}/units": STAFF,
    "POST /api/v1/customers/{customer_id}/units": STAFF,
    "GET /api/v1/cases": STAFF,
    "POST /api/v1/cases": STAFF,
    "GET /api/v1/cases/{ref}": STAFF,
    "POST /api/v1/cases/{ref}/priority-override": STAFF,
    "POST /api/v1/cases/{ref}/topic": STAFF,
    "GET /api/v1/cases/{ref}/messages": STAFF,
    "POST /api/v1/cases/{ref}/messages": STAFF,
    "POST /api/v1/cases/{ref}/assign": STAFF,  # taking; giving to someone else takes ASSIGN_OTHERS
    "POST /api/v1/cases/{ref}/status": STAFF,
    "GET /api/v1/cases/{ref}/units": STAFF,
    "GET /api/v1/cases/{ref}/saved-replies": STAFF,
    "GET /api/v1/saved-replies": STAFF,
    "GET /api/v1/measures": STAFF,
    "GET /api/v1/measures/charts/{measure}": STAFF,
    "GET /api/v1/customers/{customer_id}/problems": STAFF,
    "POST /api/v1/cases/{ref}/contacts/{message_id}/demand": STAFF,
    "GET /api/v1/measures/rules": STAFF,
    "POST /api/v1/measures/rules": Capability.ASSIGN_OTHERS,
    "PUT /api/v1/measures/rules/{rule_id}": Capability.ASSIGN_OTHERS,
    "POST /api/v1/saved-replies": Capability.ASSIGN_OTHERS,  # team leads keep the team's saved replies
    "PATCH /api/v1/saved-replies/{reply_id}": Capability.ASSIGN_OTHERS,
    "POST /api/v1/cases/{ref}/units": STAFF,
    "DELETE /api/v1/cases/{ref}/units/{unit_id}": STAFF,
    "POST /api/v1/messages": STAFF,
    "POST /api/v1/notifications": STAFF,
    "GET /api/v1/notifications/{notification_id}": STAFF,
    "POST /api/v1/notifications/{notification_id}/phone-confirmation": STAFF,
    "POST /api/v1/notifications/fanouts": Capability.RUN_INCIDENTS,  # telling many customers at once
    "GET /api/v1/notifications/fanouts/{fanout_id}": STAFF,
    "GET /api/v1/policy/rules": STAFF,
    "POST /api/v1/policy/rules": Capability.EDIT_POLICY,
    "PUT /api/v1/policy/rules/{rule_id}": Capability.EDIT_POLICY,
    "POST /api/v1/policy/events": Capability.REPORT_EVENTS,
    "POST /api/v1/policy/abuse-reports": Capability.REPORT_EVENTS,
    "POST /api/v1/policy/scans": Capability.REPORT_EVENTS,
    "POST /api/v1/policy/billing": Capability.REPORT_EVENTS,
    "GET /api/v1/policy/decisions/{decision_id}": STAFF,
    "GET /api/v1/cases/{case_ref}/decisions": STAFF,
    "POST /api/v1/policy/decisions/{decision_id}/override": Capability.OVERRIDE_RULES,
    "POST /api/v1/policy/decisions/{decision_id}/widen": Capability.OVERRIDE_RULES,
    "POST /api/v1/policy/decisions/{decision_id}/decide": Capability.OVERRIDE_RULES,
    "POST /api/v1/policy/decisions/{decision_id}/end": Capability.OVERRIDE_RULES,
    "POST /api/v1/policy/overrides/{override_id}/reverse": Capability.OVERRIDE_RULES,
    "POST /api/v1/policy/goodwill": STAFF,
    "GET /api/v1/policy/rules-to-fix": STAFF,
    "GET /api/v1/monitoring/matchers": STAFF,
    "POST /api/v1/monitoring/matchers": Capability.RUN_INCIDENTS,
    "PUT /api/v1/monitoring/matchers/{matcher_id}": Capability.RUN_INCIDENTS,
    "GET /api/v1/monitoring/alerts": STAFF,
    "GET /api/v1/monitoring/components": STAFF,
    "POST /api/v1/monitoring/components": Capability.RUN_INCIDENTS,
    "PUT /api/v1/monitoring/components/{component_id}/state": Capability.RUN_INCIDENTS,
    "POST /api/v1/changes": Capability.RUN_INCIDENTS,  # a provider's CI or configuration management
    "GET /api/v1/changes": STAFF,
    "GET /api/v1/incidents": STAFF,
    "POST /api/v1/incidents": Capability.RUN_INCIDENTS,
    "GET /api/v1/incidents/{incident_id}": STAFF,
    "POST /api/v1/incidents/{incident_id}/updates": Capability.RUN_INCIDENTS,
    "POST /api/v1/incidents/{incident_id}/cases": STAFF,
    "GET /api/v1/incidents/{incident_id}/ledger": STAFF,
    "GET /api/v1/incidents/{incident_id}/evidence": STAFF,
    "DELETE /api/v1/incidents/{incident_id}/cases/{case_ref}": STAFF,  # the service checks WORK_CASES
    "GET /api/v1/incidents/{incident_id}/postmortem": STAFF,
    "PUT /api/v1/incidents/{incident_id}/postmortem": Capability.RUN_INCIDENTS,
    "POST /api/v1/incidents/{incident_id}/postmortem/actions": Capability.RUN_INCIDENTS,
    "POST /api/v1/incidents/actions/{action_id}/done": STAFF,  # its owner closes it, with a verification
    "POST /api/v1/incidents/{incident_id}/postmortem/summary": Capability.RUN_INCIDENTS,
    "GET /api/v1/correlation/rules": STAFF,
    "POST /api/v1/correlation/rules": Capability.RUN_INCIDENTS,
    "PUT /api/v1/correlation/rules/{rule_id}": Capability.RUN_INCIDENTS,
    "GET /api/v1/correlation/proposals": STAFF,
    "POST /api/v1/correlation/proposals/{proposal_id}/decision": Capability.RUN_INCIDENTS,
    "GET /api/v1/correlation/quality": STAFF,
    "GET /api/v1/maintenance": STAFF,
    "POST /api/v1/maintenance": Capability.RUN_INCIDENTS,
    "PATCH /api/v1/maintenance/{maintenance_id}": Capability.RUN_INCIDENTS,
    "GET /api/v1/status/subscriptions": STAFF,
}
