"""Pages of the notification ladders: the customer's acknowledgement and verification pages (no login,
a signed link, a button that POSTs), the staff's view of a customer's notifications, fan-out progress,
and the evidence export."""

import csv
import hmac

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontline.cases.lookup import find_case
from frontline.core import jsonbody, links
from frontline.core.errors import ServiceError
from frontline.customers import services as customers
from frontline.customers.models import ContactPoint, Customer
from frontline.customers.queries import customer_panel
from frontline.delivery.models import DeliveryAttempt
from frontline.intake import services as intake
from frontline.notifications import services, verification
from frontline.notifications.models import FanOut, Notification, Urgency
from frontline.web.access import agent_required, back_to


def _refused(request, exc: ServiceError):
    return render(request, "web/error.html", {"title": "Link not valid", "message": exc.message}, status=400)


@require_http_methods(["GET", "POST"])
def acknowledge(request, token: str):
    """GET shows the message and one button and changes nothing (mail scanners follow links).
    Only the POST of that button acknowledges."""
    try:
        notification = services.notification_for_link(token)
    except ServiceError as exc:
        return _refused(request, exc)
    if request.method == "POST":
        notification = services.acknowledge_by_link(token, client=request.META.get("REMOTE_ADDR", ""))
    things = [("notification", notification.pk)] + (
        [("case", notification.case_id)] if notification.case_id else []
    )
    landing = links.landing(request, notification.customer, things)
    return render(
        request, "notifications/acknowledge.html", {"notification": notification, "landing": landing}
    )


@require_http_methods(["GET", "POST"])
def verify(request, token: str):
    try:
        point = verification.point_for_link(token)
    except ServiceError as exc:
        return _refused(request, exc)
    landing = None
    if request.method == "POST":
        point = verification.confirm_by_link(token)
        # Its owner just proved the address reaches them: the portal shows how else we reach the account.
        account = customers.owner_account(point)
        landing = links.landing(request, account, [("contacts", account.pk)]) if account else None
    return render(request, "notifications/verify.html", {"point": point, "landing": landing})


@csrf_exempt
@require_POST
def sms_inbound(request):
    """The SMS provider's webhook for texts sent to us: stored raw first, then read by intake ("OK"
    acknowledges; anything else joins the customer's case)."""

    expected = settings.FRONTLINE_SMS_INBOUND_TOKEN
    given = request.headers.get("X-Frontline-Token", "")
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):  # constant time
        return JsonResponse(
            {"detail": "unknown sender: a valid X-Frontline-Token header is required"}, status=401
        )
    try:
        data = jsonbody.loads(request.body or b"{}")
        phone, text = str(data["from"]), str(data["text"])
    except (ServiceError, KeyError, TypeError):
        return JsonResponse({"detail": 'send JSON: {"from": "+44…", "text": "…"}'}, status=400)
    row = intake.submit({"phone": phone, "body": text, "channel": "sms"}, source="sms", channel="sms")
    return JsonResponse({"stored_as": row.pk, "status": row.status, "reason": row.reason}, status=202)


# ---- staff pages ----------------------------------------------------------------------------------------


@require_GET
@agent_required
def customer_notifications(request, pk: int):
    customer = get_object_or_404(Customer, pk=pk)
    notifications = list(
        Notification.objects.filter(customer=customer).select_related("case").order_by("-created_at")[:50]
    )
    attempts = {}
    for attempt in DeliveryAttempt.objects.filter(notification__in=notifications).order_by("attempted_at"):
        attempts.setdefault(attempt.notification_id, []).append(attempt)
    for notification in notifications:
        notification.attempt_list = attempts.get(notification.pk, [])
    return render(
        request,
        "notifications/customer.html",
        {
            "customer": customer,
            "panel": customer_panel(customer),
            "notifications": notifications,
            "urgencies": Urgency.choices,
        },
    )


@require_POST
@agent_required
def notify_customer(request, pk: int):
    customer = get_object_or_404(Customer, pk=pk)
    case = None
    given = request.POST.get("case", "").strip()
    if given:
        case = find_case(given, customer=customer)
        if case is None:
            raise ServiceError(f"{customer.name} has no case {given}", field="case")
    notification = services.notify(
        customer,
        subject_kind="case" if case else request.POST.get("subject_kind", "incident"),
        subject_id=case.ref if case else request.POST.get("subject_id") or "manual",
        title=request.POST.get("title", ""),
        body=request.POST.get("body", ""),
        urgency=request.POST.get("urgency", Urgency.URGENT),
        case=case,
        by=request.agent,
        via="web",
    )
    messages.success(request, f"Notification started: {notification.ladder_name}")
    return redirect("notifications:customer", pk=customer.pk)


@require_POST
@agent_required
def phone_confirmation(request, pk: int):
    notification = get_object_or_404(Notification, pk=pk)
    services.record_phone_confirmation(
        notification, by=request.agent, who=request.POST.get("who", ""), note=request.POST.get("note", "")
    )
    messages.success(request, "Recorded: they confirmed on the phone. The ladder stopped.")
    return redirect("notifications:customer", pk=notification.customer_id)


@require_POST
@agent_required
def send_verification(request, pk: int):
    point = get_object_or_404(ContactPoint, pk=pk)
    attempt = verification.request_verification(point, by=request.agent, via="web")
    if attempt is None:
        messages.error(request, f"{point} cannot be verified by a message")
    else:
        messages.success(request, f"Verification to {point.value}: {attempt.get_status_display()}")
    return redirect(back_to(request))


@require_POST
@agent_required
def confirm_code(request, pk: int):
    point = get_object_or_404(ContactPoint, pk=pk)
    verification.confirm_by_code(point, request.POST.get("code", ""), by=request.agent)
    messages.success(request, f"{point.value} is verified")
    return redirect(back_to(request))


@require_GET
@agent_required
def evidence(request, pk: int, fmt: str):
    """The customer's timeline of every attempt to reach them, as a page to print or a CSV to send."""
    customer = get_object_or_404(Customer, pk=pk)
    rows = services.evidence_timeline(customer)
    if fmt == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="contact-evidence-{customer.pk}.csv"'
        writer = csv.writer(response)
        columns = ["at", "what", "channel", "address", "subject", "rung", "status", "code", "answer", "later"]
        writer.writerow(columns)
        for row in rows:
            writer.writerow([row["at"].isoformat() if c == "at" else row[c] for c in columns])
        return response
    return render(request, "notifications/evidence.html", {"customer": customer, "rows": rows})


@require_GET
@agent_required
def fanout_list(request):
    fanouts = FanOut.objects.order_by("-created_at")[:100]
    return render(request, "notifications/fanouts.html", {"fanouts": fanouts})


@require_GET
@agent_required
def fanout_detail(request, pk: int):
    fanout = get_object_or_404(FanOut, pk=pk)
    return render(
        request,
        "notifications/fanout.html",
        {"fanout": fanout, "progress": services.fanout_progress(fanout), "poll_seconds": 2},
    )


@require_GET
@agent_required
def fanout_progress(request, pk: int):
    fanout = get_object_or_404(FanOut, pk=pk)
    return JsonResponse(services.fanout_progress(fanout))
