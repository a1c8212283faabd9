"""The JSON API at /api/v1/: each app adds its router; all share auth and error handling.

Integrations authenticate with a bearer token (`Authorization: Bearer fl_...`); the workspace's own
pages may call it with their session. Either way the caller is an agent and the services check its role.
"""

import copy

from django.conf import settings
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError
from ninja.parser import Parser
from ninja.security import HttpBearer, SessionAuth

from frontline.agents.api import router as agents_router
from frontline.agents.services import token_for
from frontline.cases.api import router as cases_router
from frontline.core import jsonbody, ratelimit
from frontline.core.errors import NotAllowed, ServiceError, Throttled
from frontline.correlation.api import router as correlation_router
from frontline.customers.api import router as customers_router
from frontline.incidents.api import router as incidents_router
from frontline.intake.api import router as intake_router
from frontline.measures.api import router as measures_router
from frontline.monitoring.api import router as monitoring_router
from frontline.notifications.api import router as notifications_router
from frontline.policy.api import router as policy_router
from frontline.saved_replies.api import router as saved_replies_router
from frontline.todos.api import router as todos_router
from frontline.web.access import agent_of
from frontline.webhooks.api import router as webhooks_router


class BearerToken(HttpBearer):
    def authenticate(self, request, token):
        # Guessing tokens is throttled per client address: past the limit, every token is refused for a while.
        bad = f"rate:bad-token:{ratelimit.client_address(request)}"
        if ratelimit.count(bad) >= settings.FRONTLINE_BAD_TOKEN_RATE:
            raise Throttled("too many unknown tokens from your address; try again in ten minutes")
        found = token_for(token)
        if found is None:
            ratelimit.hits(bad, window_seconds=600)
            return None
        request.agent, request.api_token = found.agent, found
        return found.agent


class AgentSession(SessionAuth):
    def authenticate(self, request, key):
        agent = agent_of(request.user)
        if agent is not None:
            request.agent, request.api_token = agent, None
        return agent


class BoundedJson(Parser):
    """Request bodies bounded in size and depth (frontline.core.jsonbody), like every other JSON we read."""

    def parse_body(self, request):
        return jsonbody.loads(request.body)


# What any operation may answer besides its success, each with a JSON body whose "detail" says why; declared
# in the schema so that clients (and the schemathesis run in the suite) know every answer they can get.
ERRORS = {
    "400": "Refused: bad input or an impossible change (detail, and field when one is at fault)",
    "401": "Authenticate with 'Authorization: Bearer <token>' or a signed-in session",
    "403": "Your role does not allow this",
    "404": "No such object",
    "409": "The object is not, or no longer, in the state this needs (detail says which; code is 'conflict')",
    "422": "The body or parameters do not match this schema (errors lists each field)",
    "429": "Too many requests from your address just now",
}


class FrontlineApi(NinjaAPI):
    _built_schema = None  # the schema without a prefix or path parameters, once built

    def get_openapi_schema(self, **kwargs):
        """Built once per process (a third of a second of pydantic's work: the routes are fixed once the URL
        configuration is loaded); each caller gets its own copy."""
        if kwargs.get("path_prefix") is not None or kwargs.get("path_params"):
            return self._build_openapi_schema(**kwargs)
        if self._built_schema is None:
            self._built_schema = self._build_openapi_schema()
        return copy.deepcopy(self._built_schema)

    def _build_openapi_schema(self, **kwargs):
        schema = super().get_openapi_schema(**kwargs)
        schema["components"].setdefault("schemas", {})["Error"] = {
            "type": "object",
            "properties": {"detail": {"type": "string"}},
            "required": ["detail"],
        }
        error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
        for operations in schema["paths"].values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                for status, words in ERRORS.items():
                    if int(status) not in responses and status not in responses:  # an operation's own wins
                        responses[int(status)] = {"description": words, "content": error}
        return schema


api = FrontlineApi(
    title="Frontline API",
    parser=BoundedJson(),
    # Swagger UI would load its scripts from a CDN: nothing is fetched from the internet at run time, and the
    # pages' Content-Security-Policy allows our own scripts only. The schema itself is at /openapi.json.
    docs_url=None,
    version="1",
    urls_namespace="api",
    auth=[BearerToken(), AgentSession()],
    description="Customers, people, contact points, units and cases, through the services the pages use.",
)


@api.exception_handler(ServiceError)
def service_error(request, exc: ServiceError):
    body = {"detail": exc.message, "field": exc.field, "code": exc.code}
    return api.create_response(request, body, status=exc.status)


@api.exception_handler(NotAllowed)
def not_allowed(request, exc: NotAllowed):
    return api.create_response(request, {"detail": str(exc)}, status=403)


@api.exception_handler(Throttled)
def throttled(request, exc: Throttled):
    return api.create_response(request, {"detail": str(exc)}, status=429)


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, {"detail": str(exc) or "not found"}, status=404)


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    return api.create_response(
        request,
        {"detail": "authenticate with 'Authorization: Bearer <token>' or a signed-in session"},
        status=401,
    )


@api.exception_handler(ValidationError)
def invalid(request, exc: ValidationError):
    fields = [
        {"field": _field_name(error.get("loc", ())), "message": error.get("msg", "")} for error in exc.errors
    ]
    unknown = [_field_name(e.get("loc", ())) for e in exc.errors if e.get("type") == "extra_forbidden"]
    detail = f"unknown fields: {', '.join(unknown)}" if unknown else "the request is not valid"
    return api.create_response(request, {"detail": detail, "errors": fields}, status=422)


def _field_name(loc) -> str:
    """("body", "payload", "name") -> "name"; ("query", "limit") -> "limit": the name the client sent."""
    parts = [str(part) for part in loc]
    # A body error's path starts with "body" and the view's parameter name; others with "query" or "path".
    parts = (parts[2:] or ["body"]) if parts[:1] == ["body"] else parts[1:]
    return ".".join(parts) or "request"


def _add_routers() -> None:
    api.add_router("/", customers_router)
    api.add_router("/", cases_router)
    api.add_router("/", intake_router)
    api.add_router("/", notifications_router)
    api.add_router("/", policy_router)
    api.add_router("/", monitoring_router)
    api.add_router("/", incidents_router)
    api.add_router("/", correlation_router)
    api.add_router("/", saved_replies_router)
    api.add_router("/", agents_router)
    api.add_router("/", todos_router)
    api.add_router("/", webhooks_router)
    api.add_router("/", measures_router)


_add_routers()
