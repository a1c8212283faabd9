"""/healthz says the process answers; /readyz checks the database, the cache and the queue for real and
answers 503 naming the one that is not reachable."""

import pytest
from django.test import override_settings

from frontline.tests.helpers import free_port


def test_healthz_answers_without_the_database(client):
    # no django_db mark: any query here would fail the test
    response = client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "alive"})
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_checks_the_database_the_cache_and_the_queue(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "cache": "ok", "queue": "ok"}}


@pytest.mark.django_db
def test_readyz_names_an_unreachable_cache_and_answers_503(client):
    unreachable = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        }
    }
    with override_settings(CACHES=unreachable):  # Django's test signal rebuilds the cache handler
        response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 503 and body["status"] == "not ready"
    assert body["checks"]["database"] == "ok" and body["checks"]["queue"] == "ok"
    assert body["checks"]["cache"] == "ConnectionError"  # the kind only: hosts and ports go to the log
