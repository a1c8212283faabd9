"""The customer portal's pages: thin views over portal.services (changes) and portal.queries (reads).

Every page runs in the visitor's language and under the provider's name and colour, and starts from the
portal visitor in the session (never from staff sign-in); ids in a path are looked up inside the visitor's
current account, so another customer's ids answer 404.
"""

from functools import wraps
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontline.core.db import text_id
from frontline.core.errors import ServiceError
from frontline.core.ratelimit import too_many
from frontline.customers.models import ContactKind
from frontline.portal import feeds, links, queries, services
from frontline.portal import visitor as visitors
from frontline.web.files import attachment_response

LANGUAGE_KEY = "frontline_portal_language"


def _activate_language(request) -> None:
    chosen = request.session.get(LANGUAGE_KEY) or translation.get_language_from_request(request)
    translation.activate(chosen)
    request.LANGUAGE_CODE = translation.get_language()


def _granted(visitor, kind: str) -> bool:
    return visitor.signed_in or bool(kind and visitor.may_kind(kind))


def customer_page(*, signed_in: bool = False, or_granted: str = ""):
    """A portal page: in the visitor's language; a visitor must be in (by sign-in or a link), and for
    `signed_in` pages signed in by a one-time link, or let in by a link that grants `or_granted` (a notice's
    link opens the account's contact points; a link about one case opens nothing else)."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            _activate_language(request)
            visitor = visitors.current(request)
            if visitor is None or (signed_in and not _granted(visitor, or_granted)):
                if visitor is not None:
                    messages.info(
                        request, _("Sign in to see this page: a link about one thing opens only that.")
                    )
                return redirect(f"{reverse('portal:sign_in')}?next={request.path}")
            request.visitor = visitor
            try:
                return view(request, *args, **kwargs)
            except ServiceError as exc:
                if request.method != "POST":
                    raise
                messages.error(request, exc.message)
                return redirect(_back(request))

        return wrapper

    return decorate


def _back(request, default: str = "") -> str:
    """Back to the portal page a form came from (its `back` field, else the page that posted it); never
    elsewhere: a form must not become a springboard."""
    referer = urlsplit(request.headers.get("Referer", ""))
    came_from = referer.path if referer.netloc == request.get_host() else ""
    for back in (request.POST.get("back", ""), came_from):
        if back.startswith("/portal/") and "//" not in back and "\\" not in back:
            return back
    return default or reverse("portal:home")


def _page(request, template: str, **context):
    visitor = request.visitor
    context.update(
        visitor=visitor,
        may_services=visitor.may_kind("services"),
        may_contacts=visitor.may_kind("contacts"),
        account=queries.account(visitor),
        accounts=queries.accounts(visitor) if visitor.signed_in else [],
    )
    return render(request, template, context)


# ---- signing in -------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def sign_in(request):
    """Ask for a one-time link by email. The answer is the same whether or not we know the address."""
    _activate_language(request)
    if request.method == "POST":
        if too_many(request, "portal-sign-in", limit=settings.FRONTLINE_PUBLIC_RATE):
            return render(request, "portal/sign_in.html", {"throttled": True}, status=429)
        try:
            services.request_sign_in(request.POST.get("email", ""))
        except ServiceError as exc:
            return render(request, "portal/sign_in.html", {"error": exc.message}, status=400)
        return render(request, "portal/sign_in.html", {"sent": True})
    return render(request, "portal/sign_in.html", {})


@require_http_methods(["GET", "POST"])
def enter(request, token: str):
    """The link's page: a GET shows one button and uses nothing (mail scanners follow links); its POST
    signs in, once."""
    _activate_language(request)
    try:
        point = services.use_sign_in(token) if request.method == "POST" else services.check_sign_in(token)
    except ServiceError as exc:
        return render(request, "portal/sign_in.html", {"error": exc.message}, status=400)
    if request.method == "POST":
        visitors.sign_in(request, point)
        return redirect("portal:home")
    return render(request, "portal/enter.html", {"address": point.value})


@require_GET
def open_case(request, token: str):
    """The link under every email on a case: lets its holder in for that case and shows it."""
    _activate_language(request)
    try:
        data = links.read_case_link(token)
    except ServiceError as exc:
        return render(request, "portal/sign_in.html", {"error": exc.message}, status=400)
    visitors.let_in(request, account_id=data["customer"], grants=[("case", data["case"])])
    return redirect("portal:case", ref=f"C-{data['case']}")


@require_POST
def sign_out(request):
    visitors.sign_out(request)
    return redirect("portal:sign_in")


@require_POST
def language(request):
    chosen = request.POST.get("language", "")
    if chosen in dict(settings.LANGUAGES):
        request.session[LANGUAGE_KEY] = chosen
    return redirect(_back(request, reverse("portal:home")))


@require_GET
@cache_control(max_age=300)
def brand(request):
    """The provider's colour, as a style sheet of our own (the pages allow no inline styles)."""
    colour, text = feeds.brand_colours(settings.FRONTLINE_PROVIDER_COLOUR)
    css = f":root {{ --brand:{colour}; --brand-text:{text}; }}\n"
    return HttpResponse(css, content_type="text/css")


# ---- my problems ------------------------------------------------------------------------------------------


@require_GET
@customer_page()
def home(request):
    current, past = queries.problems(request.visitor)
    return _page(
        request,
        "portal/home.html",
        section="home",
        current=current,
        past=past,
        waiting=queries.waiting_notices(request.visitor),
        held=queries.held_count(request.visitor) if request.visitor.signed_in else 0,
    )


@require_POST
@customer_page(signed_in=True)
def switch(request):
    chosen = request.POST.get("account", "")
    if text_id(chosen) is None or not visitors.switch(request, request.visitor, int(chosen)):
        raise Http404(services.NOT_FOUND)
    return redirect("portal:home")


@require_GET
@customer_page()
def case(request, ref: str):
    found = queries.case_for(request.visitor, ref)
    if found is None:
        raise Http404(services.NOT_FOUND)
    if found.ref != ref:
        return redirect("portal:case", ref=found.ref)
    plain, css = queries.plain_state(found)
    return _page(
        request,
        "portal/case.html",
        case=found,
        plain_state=plain,
        state_class=css,
        messages_=queries.conversation(found),
        answer=queries.confirmation_answer(found) if found.status == "closed" else "",
    )


@require_POST
@customer_page()
def reply(request, ref: str):
    services.reply(
        request.visitor, ref, body=request.POST.get("body", ""), files=request.FILES.getlist("files")
    )
    messages.success(request, _("Thank you: your message is on the case."))
    return redirect("portal:case", ref=ref)


@require_POST
@customer_page()
def confirm(request, ref: str):
    answer = request.POST.get("answer", "")
    services.confirm(request.visitor, ref, answer=answer, words=request.POST.get("words", ""))
    if answer == "yes":
        messages.success(request, _("Thank you for confirming. The case is closed."))
    else:
        messages.success(request, _("Thank you: the case is open again and we are on it."))
    return redirect("portal:case", ref=ref)


@require_GET
@customer_page()
def attachment(request, ref: str, pk: int):
    item = queries.attachment_for(request.visitor, ref, pk)
    if item is None:
        raise Http404(services.NOT_FOUND)
    return attachment_response(request, item)


@require_POST
@customer_page()
def acknowledge(request, pk: int):
    services.acknowledge(request.visitor, pk)
    messages.success(request, _("Thank you: we know you have it, and will not chase you about it."))
    return redirect(_back(request, reverse("portal:home")))


# ---- my services ------------------------------------------------------------------------------------------


@require_GET
@customer_page(signed_in=True, or_granted="services")
def service_list(request):
    return _page(request, "portal/services.html", units=queries.services(request.visitor), section="services")


@require_POST
@customer_page(signed_in=True, or_granted="services")
def rescan(request, pk: int):
    services.ask_rescan(request.visitor, pk, words=request.POST.get("words", ""))
    messages.success(request, _("We will scan it again and tell you the result."))
    return redirect("portal:services")


@require_POST
@customer_page(signed_in=True, or_granted="services")
def ask_person(request, pk: int):
    services.ask_person(request.visitor, pk, words=request.POST.get("words", ""))
    messages.success(request, _("Your question is on the case: a person will answer."))
    return redirect("portal:services")


# ---- incidents and maintenance ----------------------------------------------------------------------------


@require_GET
@customer_page(signed_in=True)
def incidents(request):
    visitor = request.visitor
    return _page(
        request,
        "portal/incidents.html",
        section="incidents",
        incidents=queries.incidents(visitor.account_id),
        maintenances=queries.maintenances(visitor.account_id),
        feed_url=feeds.feed_link(visitor.account_id),
        calendar_url=feeds.calendar_link(visitor.account_id),
    )


@require_GET
def feed(request, token: str):
    """The account's own Atom feed of incidents and maintenance reaching it; its signed URL is the key."""
    customer_id = feeds.customer_for(token, feeds.FEED_SALT)
    return HttpResponse(feeds.atom(customer_id), content_type="application/atom+xml; charset=utf-8")


@require_GET
def calendar(request, token: str):
    customer_id = feeds.customer_for(token, feeds.CALENDAR_SALT)
    return HttpResponse(feeds.ical(customer_id), content_type="text/calendar; charset=utf-8")


# ---- my contact points ------------------------------------------------------------------------------------


@require_GET
@customer_page(signed_in=True, or_granted="contacts")
def contacts(request):
    return _page(
        request,
        "portal/contacts.html",
        section="contacts",
        points=queries.contacts(request.visitor),
        notices=queries.notices(request.visitor),
        kinds=[(ContactKind.EMAIL, _("Email address")), (ContactKind.PHONE, _("Phone number"))],
    )


@require_POST
@customer_page(signed_in=True, or_granted="contacts")
def contact_add(request):
    point = services.add_contact(
        request.visitor,
        kind=request.POST.get("kind", ""),
        value=request.POST.get("value", ""),
        label=request.POST.get("label", ""),
    )
    messages.success(
        request, _("Added %(value)s: we have sent it a message to confirm it.") % {"value": point.value}
    )
    return redirect("portal:contacts")


@require_POST
@customer_page(signed_in=True, or_granted="contacts")
def contact_correct(request, pk: int):
    point = services.correct_contact(request.visitor, pk, value=request.POST.get("value", ""))
    messages.success(
        request,
        _("Corrected to %(value)s: we have sent it a message to confirm it.") % {"value": point.value},
    )
    return redirect("portal:contacts")


@require_POST
@customer_page(signed_in=True, or_granted="contacts")
def contact_retire(request, pk: int):
    point = services.retire_contact(request.visitor, pk)
    messages.success(request, _("We will not use %(value)s again.") % {"value": point.value})
    return redirect("portal:contacts")


@require_POST
@customer_page(signed_in=True, or_granted="contacts")
def contact_verify(request, pk: int):
    services.verify_contact(request.visitor, pk)
    messages.success(request, _("We have sent a message to confirm it."))
    return redirect("portal:contacts")
