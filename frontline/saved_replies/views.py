"""The saved replies page: each reply, how often it was used, and how often the customer came back within
7 days (a chaser, a reopen, a repeat); leads write and change them here."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from frontline.agents.models import Capability, Skill
from frontline.core.db import text_id
from frontline.saved_replies import services
from frontline.saved_replies.models import SavedReply
from frontline.web.access import agent_required


@require_GET
@agent_required
def reply_list(request):
    records = services.records()
    replies = list(SavedReply.objects.select_related("topic", "updated_by").order_by("title"))
    rows = [(reply, records.get(reply.pk, services.Record(0, 0))) for reply in replies]
    # The scripts that fail customers most, first: by share came back, then by uses.
    rows.sort(key=lambda row: (-(row[1].share or 0), -row[1].uses, row[0].title))
    editing = None
    if text_id(edit := request.GET.get("edit", "")) is not None:
        editing = SavedReply.objects.filter(pk=int(edit)).first()
    context = {
        "rows": rows,
        "editing": editing,
        "skills": Skill.objects.order_by("name"),
        "fields": services.FIELDS,
        "can_edit": request.agent.can(Capability.ASSIGN_OTHERS),
        "window_days": services.WINDOW.days,
    }
    return render(request, "saved_replies/list.html", context)


@require_POST
@agent_required
def save(request):
    reply = None
    if text_id(given := request.POST.get("id", "")) is not None:
        reply = get_object_or_404(SavedReply, pk=int(given))
    topic = Skill.objects.filter(slug=request.POST.get("topic", "")).first()
    reply = services.save_reply(
        title=request.POST.get("title", ""),
        body=request.POST.get("body", ""),
        topic=topic,
        is_active=request.POST.get("is_active") == "on",
        reply=reply,
        by=request.agent,
    )
    messages.success(request, f"Saved: {reply.title}")
    return redirect("saved_replies:list")
