"""django-helpdesk 2.6.1, the peer `bench/intake.py api --peer` measures beside Frontline's API.

Its own virtual environment under bench/out/ (installed from the package index on first use, as `make`
installs Frontline's), a minimal Django project around it on SQLite, gunicorn with 2 workers on 127.0.0.1,
a staff user signed in by session (its API's only authentication besides basic), and `POST
/helpdesk/api/tickets/` with the CSRF token a session needs. Outgoing mail goes nowhere (a dummy backend).
"""

import http.client
import json
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEER = ROOT / "bench" / "out" / "peer-helpdesk"
VERSION = "2.6.1"

SETTINGS = textwrap.dedent(
    """
    from pathlib import Path
    BASE = Path(__file__).resolve().parent
    SECRET_KEY = "bench-only"
    DEBUG = False
    ALLOWED_HOSTS = ["127.0.0.1"]
    INSTALLED_APPS = [
        "django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes",
        "django.contrib.sessions", "django.contrib.messages", "django.contrib.staticfiles",
        "django.contrib.sites", "django.contrib.humanize", "rest_framework", "helpdesk",
    ]
    MIDDLEWARE = [
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
    ]
    ROOT_URLCONF = "urls"
    TEMPLATES = [{
        "BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True,
        "OPTIONS": {"context_processors": [
            "django.template.context_processors.request", "django.contrib.auth.context_processors.auth",
            "django.contrib.messages.context_processors.messages"]},
    }]
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE / "peer.sqlite3",
                             "OPTIONS": {"timeout": 30}}}
    SITE_ID = 1
    STATIC_URL = "/static/"
    USE_TZ = True
    EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
    HELPDESK_API_ENABLED = True
    HELPDESK_TEAMS_MODE_ENABLED = False  # teams need the optional pinax-teams
    REST_FRAMEWORK = {
        "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"]
    }
    """
)

URLS = textwrap.dedent(
    """
    from django.contrib import admin
    from django.urls import include, path
    urlpatterns = [path("admin/", admin.site.urls), path("helpdesk/", include("helpdesk.urls"))]
    """
)

WSGI = "from django.core.wsgi import get_wsgi_application\napplication = get_wsgi_application()\n"

SETUP = textwrap.dedent(
    """
    import django
    django.setup()
    from django.contrib.auth.models import User
    from helpdesk.models import Queue
    User.objects.create_superuser("bench", "bench@example.com", "bench")
    print(Queue.objects.create(title="Support", slug="support").pk)
    """
)


def python() -> Path:
    return PEER / "venv" / "bin" / "python"


def install() -> None:
    """The peer's own environment and project, made once."""
    if not python().exists():
        subprocess.run([sys.executable, "-m", "venv", PEER / "venv"], check=True)
        subprocess.run(
            [python(), "-m", "pip", "install", "-q", f"django-helpdesk=={VERSION}", "gunicorn"], check=True
        )
    project = PEER / "project"
    project.mkdir(parents=True, exist_ok=True)
    (project / "settings.py").write_text(SETTINGS)
    (project / "urls.py").write_text(URLS)


def fresh_project() -> int:
    """An empty database with one staff user and one queue; answers the queue's id."""
    project = PEER / "project"
    (project / "peer.sqlite3").unlink(missing_ok=True)
    env = {"DJANGO_SETTINGS_MODULE": "settings", "PYTHONPATH": str(project), "PATH": "/usr/bin:/bin"}
    subprocess.run([python(), "-m", "django", "migrate", "-v0"], cwd=project, env=env, check=True)
    out = subprocess.run(
        [python(), "-c", SETUP], cwd=project, env=env, check=True, capture_output=True, text=True
    )
    return int(out.stdout.strip().splitlines()[-1])


def serve(port: int) -> subprocess.Popen:
    project = PEER / "project"
    env = {"DJANGO_SETTINGS_MODULE": "settings", "PYTHONPATH": str(project), "PATH": "/usr/bin:/bin"}
    gunicorn = PEER / "venv" / "bin" / "gunicorn"
    (project / "wsgi_app.py").write_text(WSGI)
    server = subprocess.Popen(
        [
            gunicorn,
            "wsgi_app:application",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "2",
            "--access-logfile=/dev/null",
        ],
        cwd=project,
        env=env,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(150):
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/admin/login/")
            return server
        except OSError:
            time.sleep(0.2)
    return server


class SignedIn:
    """One keep-alive connection with a staff session and its CSRF token."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}
        page = self._request("GET", "/admin/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
        form = f"username=bench&password=bench&csrfmiddlewaretoken={token}&next=/admin/"
        self._request("POST", "/admin/login/", form.encode(), "application/x-www-form-urlencoded")
        assert "sessionid" in self.cookies, "the peer refused the sign-in"

    def _request(self, method, path, body=None, content_type=None) -> bytes:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if content_type:
            headers["Content-Type"] = content_type
        if "csrftoken" in self.cookies:
            headers["X-CSRFToken"] = self.cookies["csrftoken"]
            headers["Referer"] = f"http://127.0.0.1:{self.conn.port}/"
        self.conn.request(method, path, body, headers)
        response = self.conn.getresponse()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        data = response.read()
        self.status = response.status
        return data

    def create_ticket(self, queue: int, n: int) -> int:
        body = json.dumps(
            {
                "queue": queue,
                "title": f"Alert {n}",
                "description": f"Disk {n % 100}% full",
                "submitter_email": f"customer{n % 2000}@example.com",
                "priority": 3,
            }
        ).encode()
        self._request("POST", "/helpdesk/api/tickets/", body, "application/json")
        return self.status
