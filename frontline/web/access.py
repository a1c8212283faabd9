"""Who may see the workspace: signed-in staff with an agent profile. Others get 403 or the sign-in page."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.utils.http import url_has_allowed_host_and_scheme

from frontline.agents.models import Agent


def agent_of(user) -> Agent | None:
    if not user.is_authenticated or not user.is_active:
        return None
    try:
        return user.agent
    except Agent.DoesNotExist:
        return None


def agent_required(view):
    """Sign-in first; then the user must be an agent. Sets `request.agent` for the view."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        agent = agent_of(request.user)
        if agent is None:
            raise PermissionDenied("this workspace is for the provider's staff")
        request.agent = agent
        return view(request, *args, **kwargs)

    return wrapper


def back_to(request, default: str = "/") -> str:
    """Where a form's `next` asks to go back to, if it is a page of ours; else `default`. A `next` naming
    another site (http://evil.example/, //evil.example/) would make our form a springboard for phishing."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return wanted if wanted and safe else default
