"""Who may see the workspace: signed-in staff with an agent profile. Others get 403 or the sign-in page."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

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
