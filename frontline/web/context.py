def workspace(request):
    """The signed-in agent, for the header of every page."""
    return {"agent": getattr(request, "agent", None)}
