"""The JSON API at /api/v1/: each app adds its router; all share auth and error handling.

Integrations authenticate with a bearer token (`Authorization: Bearer fl_...`); the workspace's own
pages may call it with their session. Either way the caller is an agent and the services check its role.
"""

from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError
from ninja.security import HttpBearer, SessionAuth

from frontline.agents.services import agent_for_token
from frontline.core.errors import NotAllowed, ServiceError
from frontline.web.access import agent_of


class BearerToken(HttpBearer):
    def authenticate(self, request, token):
        agent = agent_for_token(token)
        if agent is not None:
            request.agent = agent
        return agent


class AgentSession(SessionAuth):
    def authenticate(self, request, key):
        agent = agent_of(request.user)
        if agent is not None:
            request.agent = agent
        return agent


api = NinjaAPI(
    title="Frontline API",
    version="1",
    urls_namespace="api",
    auth=[BearerToken(), AgentSession()],
    description="Customers, people, contact points, units and cases, through the services the pages use.",
)


@api.exception_handler(ServiceError)
def service_error(request, exc: ServiceError):
    return api.create_response(request, {"detail": exc.message, "field": exc.field}, status=400)


@api.exception_handler(NotAllowed)
def not_allowed(request, exc: NotAllowed):
    return api.create_response(request, {"detail": str(exc)}, status=403)


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
    return api.create_response(request, {"detail": "the request is not valid", "errors": fields}, status=422)


def _field_name(loc) -> str:
    """("body", "payload", "name") -> "name"; ("query", "limit") -> "limit": the name the client sent."""
    parts = [str(part) for part in loc]
    # A body error's path starts with "body" and the view's parameter name; others with "query" or "path".
    parts = (parts[2:] or ["body"]) if parts[:1] == ["body"] else parts[1:]
    return ".".join(parts) or "request"


def _add_routers() -> None:
    from frontline.cases.api import router as cases_router
    from frontline.customers.api import router as customers_router
    from frontline.intake.api import router as intake_router
    from frontline.notifications.api import router as notifications_router
    from frontline.policy.api import router as policy_router

    api.add_router("/", customers_router)
    api.add_router("/", cases_router)
    api.add_router("/", intake_router)
    api.add_router("/", notifications_router)
    api.add_router("/", policy_router)


_add_routers()
