"""Serving a stored attachment to whoever may see it: a download, except the plain image types a mail shows
inline, which are served so that the browser can run nothing in them whatever they hold."""

from django.conf import settings
from django.http import FileResponse, HttpResponse

from frontline.web.templatetags.workspace import INLINE_IMAGE_TYPES


def attachment_response(request, item) -> FileResponse | HttpResponse:
    if item.purged_at:
        return HttpResponse(
            f"{item.filename} was removed on {item.purged_at:%Y-%m-%d} under the retention setting "
            "(FRONTLINE_KEEP_ATTACHMENTS_DAYS).",
            status=410,
            content_type="text/plain; charset=utf-8",
        )
    inline = request.GET.get("inline") == "1" and item.content_type in INLINE_IMAGE_TYPES
    response = FileResponse(
        (settings.ATTACHMENTS_DIR / item.path).open("rb"),
        as_attachment=not inline,
        filename=item.filename,
        content_type=item.content_type if inline else "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
