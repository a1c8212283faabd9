"""Alertmanager webhook payloads (version 4) as Alertmanager builds them, for the tests and benchmarks."""

import hashlib
import hmac
import json

SECRET = "monitoring-secret-for-tests-0123456789"


def alert(
    name="SiteDown", status="firing", starts="2026-12-01T10:00:00Z", ends=None, fingerprint=None, **labels
):
    labels = {"alertname": name, **labels}
    return {
        "status": status,
        "labels": labels,
        "annotations": {"summary": f"{name} on {labels.get('site') or labels.get('instance', '?')}"},
        "startsAt": starts,
        "endsAt": ends or ("0001-01-01T00:00:00Z" if status == "firing" else "2026-12-01T11:00:00Z"),
        "generatorURL": "http://127.0.0.1:9090/graph?g0.expr=probe_success+%3D%3D+0",
        "fingerprint": fingerprint
        or hashlib.sha256(json.dumps(labels, sort_keys=True).encode()).hexdigest()[:16],
    }


def group(*alerts, status=None, key='{}:{alertname="SiteDown"}', truncated=0, **extra):
    status = status or ("firing" if any(a["status"] == "firing" for a in alerts) else "resolved")
    common = dict(alerts[0]["labels"]) if alerts else {}
    for a in alerts[1:]:
        common = {k: v for k, v in common.items() if a["labels"].get(k) == v}
    return {
        "version": "4",
        "groupKey": key,
        "truncatedAlerts": truncated,
        "status": status,
        "receiver": "frontline",
        "groupLabels": {"alertname": alerts[0]["labels"]["alertname"]} if alerts else {},
        "commonLabels": common,
        "commonAnnotations": {},
        "externalURL": "http://127.0.0.1:9093",
        "alerts": list(alerts),
        **extra,
    }


def signed(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
