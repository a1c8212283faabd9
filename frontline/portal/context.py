from django.conf import settings


def brand(request):
    """The provider's name and logo, for the portal's header (and any page that wants them)."""
    return {
        "provider_name": settings.FRONTLINE_PROVIDER_NAME,
        "provider_logo": settings.FRONTLINE_PROVIDER_LOGO,
    }
