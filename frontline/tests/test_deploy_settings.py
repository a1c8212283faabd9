"""The signing key and the deployment settings: no built-in key, a weak one refused at start, the production
environment README documents passes Django's deploy checks without a warning."""

import os
import secrets
import subprocess
import sys

import pytest
from django.core import signing

from frontline.notifications.services import ACK_SALT

PUBLISHED_KEY = "insecure-development-key-change-me"  # the key Frontline shipped with until it had none


def frontline(*args, data_dir, **env):
    """`frontline ARGS` in a fresh process with only the given Frontline settings."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("FRONTLINE_", "DATABASE_URL"))}
    return subprocess.run(
        [sys.executable, "-m", "frontline.cli", *args],
        env=clean | {"FRONTLINE_DATA_DIR": str(data_dir)} | env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("key", [PUBLISHED_KEY, "short-key", "django-insecure-" + "x" * 60, "ab" * 40])
def test_web_worker_and_listener_refuse_to_start_with_a_weak_key(tmp_path, key):
    # every process reads the same settings: `check` stands for them all
    started = frontline("check", data_dir=tmp_path, FRONTLINE_SECRET_KEY=key)
    assert started.returncode != 0
    assert "FRONTLINE_SECRET_KEY is not safe to sign links with" in started.stderr


def test_debugging_on_a_laptop_may_use_any_key(tmp_path):
    assert (
        frontline("check", data_dir=tmp_path, FRONTLINE_SECRET_KEY="dev", FRONTLINE_DEBUG="true").returncode
        == 0
    )


def test_without_a_key_each_machine_writes_a_random_one_once_and_reuses_it(tmp_path):
    script = "from django.conf import settings; print(settings.SECRET_KEY)"
    first = frontline("shell", "--no-imports", "-c", script, data_dir=tmp_path)
    second = frontline("shell", "--no-imports", "-c", script, data_dir=tmp_path)
    assert first.returncode == 0, first.stderr
    key = (tmp_path / "secret.key").read_text().strip()
    assert first.stdout.strip() == second.stdout.strip() == key and len(key) >= 50
    assert (tmp_path / "secret.key").stat().st_mode & 0o077 == 0  # only its owner reads it


def test_the_documented_production_environment_passes_the_deploy_checks(tmp_path):
    production = {
        "FRONTLINE_SECRET_KEY": secrets.token_urlsafe(50),
        "FRONTLINE_TLS": "true",
        "FRONTLINE_ALLOWED_HOSTS": "support.northwind.example",
        "FRONTLINE_SITE_URL": "https://support.northwind.example",
        "FRONTLINE_CSRF_TRUSTED_ORIGINS": "https://support.northwind.example",
        "FRONTLINE_TRUSTED_PROXIES": "127.0.0.1",
    }
    checked = frontline("check", "--deploy", "--fail-level", "WARNING", data_dir=tmp_path, **production)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "no issues" in checked.stdout


@pytest.mark.django_db
def test_a_link_signed_with_the_published_key_is_refused(client, sam):
    from frontline.notifications import services as notifications

    notification = notifications.notify(sam, subject_kind="case", subject_id="C-1", title="t", body="b")
    forged = signing.dumps({"n": notification.pk}, key=PUBLISHED_KEY, salt=ACK_SALT, compress=True)
    answer = client.post(f"/notify/ack/{forged}/")
    assert answer.status_code == 400
    notification.refresh_from_db()
    assert notification.acknowledged_at is None


def test_the_tls_settings_follow_the_environment(tmp_path):
    script = (
        "from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, "
        "s.SECURE_PROXY_SSL_HEADER)"
    )
    behind_tls = frontline("shell", "--no-imports", "-c", script, data_dir=tmp_path, FRONTLINE_TLS="true")
    assert behind_tls.stdout.split() == [
        "True",
        "True",
        "True",
        "31536000",
        "('HTTP_X_FORWARDED_PROTO',",
        "'https')",
    ]
    no_redirect = frontline(
        "shell",
        "--no-imports",
        "-c",
        script,
        data_dir=tmp_path,
        FRONTLINE_TLS="true",
        FRONTLINE_SSL_REDIRECT="false",
    )
    assert no_redirect.stdout.split()[0] == "False"
    plain = frontline("shell", "--no-imports", "-c", script, data_dir=tmp_path)
    assert plain.stdout.split() == ["False", "False", "False", "0", "None"]
