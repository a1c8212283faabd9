"""Public channel pages (the web form and the chat widget) and the staff's quarantine list.

The public views keep no login and trust nothing: the form confirms the address by a link whose page
POSTs (mail scanners follow links), and the chat's only key is the session token it handed out.
"""

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontline.cases.lookup import access_case
from frontline.cases.models import Case
from frontline.core import jsonbody
from frontline.core.db import digits, text_id
from frontline.core.errors import ServiceError
from frontline.core.ratelimit import too_many
from frontline.customers.models import Customer, Person
from frontline.intake import matching, public, services
from frontline.intake.models import ChatSession, RawMessage, RawStatus
from frontline.web.access import agent_required
from frontline.web.middleware import content_security_policy


def rate_limited(request, scope: str) -> bool:
    """At most FRONTLINE_PUBLIC_RATE posts per address per 10 minutes, counted in the shared cache."""
    return too_many(request, scope, limit=settings.FRONTLINE_PUBLIC_RATE)


def _chatting_too_fast(request, session: ChatSession) -> bool:
    limit = settings.FRONTLINE_CHAT_RATE
    return too_many(request, "chat-line", limit=limit, key=f"session-{session.pk}") or too_many(
        request, "chat-line", limit=3 * limit
    )


@require_http_methods(["GET", "POST"])
def contact_form(request):
    if request.method == "GET":
        return render(request, "intake/contact.html", {"form": {}})
    form = {key: request.POST.get(key, "") for key in ("name", "email", "subject", "body")}
    if request.POST.get("website"):  # a field people never see; robots fill it in
        return render(request, "intake/contact_sent.html", {"row": None})
    if rate_limited(request, "contact"):
        return render(
            request,
            "intake/contact.html",
            {
                "form": form,
                "error": "Too many messages from your address just now. Please try again in a few minutes.",
            },
            status=429,
        )
    try:
        row = public.submit_web_form(form)
    except ServiceError as exc:
        return render(request, "intake/contact.html", {"form": form, "error": exc.message}, status=400)
    return render(request, "intake/contact_sent.html", {"row": row})


@require_http_methods(["GET", "POST"])
def contact_confirm(request, token: str):
    """GET shows a button and changes nothing; only the POST of that button confirms."""
    try:
        row = public.raw_for_confirmation(token)
    except ServiceError as exc:
        return render(
            request, "web/error.html", {"title": "Link not valid", "message": exc.message}, status=400
        )
    if request.method == "POST":
        row = public.confirm_web_form(token)
        return render(request, "intake/contact_sent.html", {"row": row, "confirmed": True})
    return render(request, "intake/contact_confirm.html", {"row": row, "token": token})


# ---- chat ---------------------------------------------------------------------------------------------


@require_GET
@xframe_options_exempt
def chat_widget(request):
    """The provider's control panel may embed it as /chat/?name=…&email=…&identity=<HMAC>, signed in."""
    signed = {key: request.GET.get(key, "")[:255] for key in ("name", "email", "identity")}
    response = render(request, "intake/chat.html", {"poll_seconds": 3, "signed": signed})
    response["Content-Security-Policy"] = content_security_policy(
        frame_ancestors=settings.FRONTLINE_CHAT_FRAME_ANCESTORS
    )
    return response


@require_http_methods(["GET", "POST"])
def chat_confirm(request, token: str):
    """GET shows a button and changes nothing; only the POST of that button proves the chat's sender."""
    try:
        session = public.chat_for_confirmation(token)
        if request.method == "POST":
            session = public.confirm_chat(token)
    except ServiceError as exc:
        return render(
            request, "web/error.html", {"title": "Link not valid", "message": exc.message}, status=400
        )
    return render(request, "intake/chat_confirm.html", {"session": session, "done": request.method == "POST"})


def _json(request) -> dict:
    data = jsonbody.loads(request.body or b"{}", max_bytes=4 * settings.FRONTLINE_CHAT_MAX_CHARS)
    if not isinstance(data, dict):
        raise ServiceError("send a JSON object")
    return data


@csrf_exempt  # no cookie is trusted here: the session token is the only key
@require_POST
def chat_start(request):
    if rate_limited(request, "chat"):
        return JsonResponse(
            {"detail": "too many chats from your address; try again in a few minutes"}, status=429
        )
    try:
        data = _json(request)
        session, row = public.start_chat(
            name=str(data.get("name", "")),
            email=str(data.get("email", "")),
            body=str(data.get("body", "")),
            identity=str(data.get("identity", "")),
        )
    except ServiceError as exc:
        return JsonResponse({"detail": exc.message, "field": exc.field}, status=400)
    return JsonResponse(
        {
            "token": session.token,
            "case": row.case.ref,
            "unproven": bool(row.case.unproven_claim),
            "messages": public.chat_transcript(session),
        },
        status=201,
    )


@csrf_exempt
@require_http_methods(["GET", "POST"])
def chat_messages(request, token: str):
    session = ChatSession.objects.filter(token=token).first()
    if session is None:
        return JsonResponse({"detail": "no such chat"}, status=404)
    if request.method == "POST":
        if _chatting_too_fast(request, session):
            return JsonResponse(
                {"detail": "too many messages just now; wait a minute and send again"}, status=429
            )
        try:
            public.chat_message(session, str(_json(request).get("body", "")))
        except ServiceError as exc:
            return JsonResponse({"detail": exc.message, "field": exc.field}, status=400)
    after = request.GET.get("after", "0")
    return JsonResponse(
        {
            "case": f"C-{session.case_id}",
            "messages": public.chat_transcript(session, after=text_id(after) or 0),
        }
    )


# ---- staff: what intake could not read -----------------------------------------------------------------


@require_GET
@agent_required
def quarantine(request):
    rows = RawMessage.objects.filter(status__in=[RawStatus.QUARANTINED, RawStatus.UNCONFIRMED]).order_by(
        "-pk"
    )[:200]
    return render(request, "intake/quarantine.html", {"rows": rows})


@require_GET
@agent_required
def raw_source(request, pk: int):
    row = get_object_or_404(RawMessage, pk=pk)
    if row.purged_at:
        return HttpResponse(
            f"The original was removed on {row.purged_at:%Y-%m-%d} under the retention setting "
            "(FRONTLINE_KEEP_RAW_DAYS); what was read from it is on its case.",
            status=410,
            content_type="text/plain; charset=utf-8",
        )
    response = HttpResponse(bytes(row.raw), content_type="application/octet-stream")
    response["Content-Disposition"] = (
        f'attachment; filename="raw-{row.pk}.{"eml" if row.channel == "email" else "json"}"'
    )
    return response


@require_POST
@agent_required
def reprocess(request, pk: int):
    row = services.reprocess(get_object_or_404(RawMessage, pk=pk), by=request.agent)
    if row.status == RawStatus.QUARANTINED:
        messages.error(request, f"Still cannot read #{row.pk}: {row.reason}")
    else:
        messages.success(request, f"#{row.pk}: {row.reason}")
    return redirect("intake:quarantine")


@require_POST
@agent_required
def match_sender(request, ref: str):
    """Say who an unmatched sender is: a person of an account we know, or someone new at an account."""
    case = access_case(request.agent, ref)
    target = request.POST.get("target", "").split(":")
    raw = target[2] if target[0] == "person" and len(target) == 3 else request.POST.get("account", "")
    raw = target[1] if target[0] == "account" and len(target) == 2 else raw
    if not digits(raw.strip()) or int(raw) >= 2**62:
        raise ServiceError("choose who they are, or give the account's number", field="account")
    into = get_object_or_404(Customer, pk=int(raw))
    person = None
    if target[0] == "person":
        person = get_object_or_404(Person, pk=int(target[1])) if digits(target[1]) else None
    matched = matching.match_sender(case.customer, into=into, person=person, by=request.agent)
    here = next((c for c in matched.cases if c.pk == case.pk), case)
    landed = Case.objects.get(pk=here.merged_into_id) if here.merged_into_id else here
    words = f" It joined {landed.ref}, about the same problem." if landed.pk != case.pk else ""
    messages.success(request, f"Matched to {into.name}.{words}")
    return redirect("cases:detail", ref=landed.ref)
