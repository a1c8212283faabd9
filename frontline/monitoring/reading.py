"""Reading a stored webhook body: what the payload says, upserted on groupKey and fingerprint.

Alertmanager posts a group again on every change and every repeat interval, and again after any 5xx, so
reading the same body twice must change nothing: an alert is one row per fingerprint, a group one row per
groupKey, and only a change of status (or a new firing after a resolution) counts as news.
"""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime

from django.utils.dateparse import parse_datetime

from frontline.core.errors import ServiceError
from frontline.monitoring.models import AlertStatus, SourceKind

# The fields of Alertmanager's webhook payload (version 4) and of each of its alerts that we read; any
# other field is kept in `extra` as it came.
GROUP_FIELDS = {
    "version",
    "status",
    "receiver",
    "groupLabels",
    "commonLabels",
    "commonAnnotations",
    "externalURL",
    "groupKey",
    "truncatedAlerts",
    "alerts",
}
ALERT_FIELDS = {"status", "labels", "annotations", "startsAt", "endsAt", "generatorURL", "fingerprint"}
GENERIC_FIELDS = {
    "id",
    "fingerprint",
    "status",
    "labels",
    "annotations",
    "summary",
    "starts_at",
    "ends_at",
    "url",
}
# Alertmanager's "zero" time for an alert still firing.
NOT_ENDED = "0001-01-01T00:00:00Z"


class Unreadable(ServiceError):
    """The body is JSON but not a payload we can read; the message says what is wrong."""


@dataclass
class AlertIn:
    fingerprint: str
    status: str
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: datetime
    ends_at: datetime | None
    generator_url: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.labels.get("alertname", "")


@dataclass
class GroupIn:
    group_key: str
    status: str
    receiver: str = ""
    group_labels: dict = field(default_factory=dict)
    common_labels: dict = field(default_factory=dict)
    common_annotations: dict = field(default_factory=dict)
    external_url: str = ""
    truncated_alerts: int = 0
    extra: dict = field(default_factory=dict)


def _strings(value, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise Unreadable(f"{where} must be an object of strings")
    return {str(k): v for k, v in value.items()}


def _time(value, where: str, *, required: bool) -> datetime | None:
    if value in (None, "", NOT_ENDED):
        if required:
            raise Unreadable(f"{where} is missing")
        return None
    parsed = parse_datetime(value) if isinstance(value, str) else None
    if parsed is None or parsed.tzinfo is None:
        raise Unreadable(f"{where} is not a time with its offset (RFC 3339): {str(value)[:40]!r}")
    return parsed


def _status(value, where: str) -> str:
    if value not in AlertStatus.values:
        raise Unreadable(f"{where} must be 'firing' or 'resolved', not {str(value)[:20]!r}")
    return value


def fingerprint_of(labels: dict[str, str]) -> str:
    """For a sender that gives none: the same labels are the same alert."""
    return hashlib.sha256(json.dumps(labels, sort_keys=True).encode()).hexdigest()[:32]


def _alertmanager(data) -> tuple[GroupIn, list[AlertIn]]:
    if not isinstance(data, dict):
        raise Unreadable("the payload must be a JSON object")
    if str(data.get("version")) != "4":
        raise Unreadable(
            f"only Alertmanager's webhook payload version 4 is read, not {data.get('version')!r}"
        )
    if not isinstance(data.get("groupKey"), str) or not data["groupKey"]:
        raise Unreadable("groupKey is missing")
    if not isinstance(data.get("alerts"), list):
        raise Unreadable("alerts must be a list")
    truncated = data.get("truncatedAlerts", 0)
    group = GroupIn(
        group_key=data["groupKey"][:2000],
        status=_status(data.get("status"), "status"),
        receiver=str(data.get("receiver", ""))[:200],
        group_labels=_strings(data.get("groupLabels"), "groupLabels"),
        common_labels=_strings(data.get("commonLabels"), "commonLabels"),
        common_annotations=_strings(data.get("commonAnnotations"), "commonAnnotations"),
        external_url=str(data.get("externalURL", ""))[:500],
        truncated_alerts=truncated if isinstance(truncated, int) and truncated > 0 else 0,
        extra={k: v for k, v in data.items() if k not in GROUP_FIELDS},
    )
    alerts = []
    for n, item in enumerate(data["alerts"]):
        where = f"alerts[{n}]"
        if not isinstance(item, dict):
            raise Unreadable(f"{where} must be an object")
        labels = _strings(item.get("labels"), f"{where}.labels")
        if not labels:
            raise Unreadable(f"{where}.labels is empty: an alert is known by its labels")
        given = item.get("fingerprint")
        alerts.append(
            AlertIn(
                fingerprint=given[:128] if isinstance(given, str) and given else fingerprint_of(labels),
                status=_status(item.get("status"), f"{where}.status"),
                labels=labels,
                annotations=_strings(item.get("annotations"), f"{where}.annotations"),
                starts_at=_time(item.get("startsAt"), f"{where}.startsAt", required=True),
                ends_at=_time(item.get("endsAt"), f"{where}.endsAt", required=False),
                generator_url=str(item.get("generatorURL", ""))[:1000],
                extra={k: v for k, v in item.items() if k not in ALERT_FIELDS},
            )
        )
    return group, alerts


def _generic(data, now: datetime) -> tuple[None, list[AlertIn]]:
    items = data.get("alerts") if isinstance(data, dict) and "alerts" in data else [data]
    if not isinstance(items, list) or not items:
        raise Unreadable('send {"alerts": [{"labels": {...}, "status": "firing"}]} or one such alert')
    alerts = []
    for n, item in enumerate(items):
        where = f"alerts[{n}]"
        if not isinstance(item, dict):
            raise Unreadable(f"{where} must be an object")
        labels = _strings(item.get("labels"), f"{where}.labels")
        if not labels:
            raise Unreadable(f"{where}.labels is empty: an alert is known by its labels")
        given = item.get("fingerprint") or item.get("id")
        annotations = _strings(item.get("annotations"), f"{where}.annotations")
        if isinstance(item.get("summary"), str):
            annotations.setdefault("summary", item["summary"][:1000])
        alerts.append(
            AlertIn(
                fingerprint=str(given)[:128] if given else fingerprint_of(labels),
                status=_status(item.get("status", "firing"), f"{where}.status"),
                labels=labels,
                annotations=annotations,
                starts_at=_time(item.get("starts_at"), f"{where}.starts_at", required=False) or now,
                ends_at=_time(item.get("ends_at"), f"{where}.ends_at", required=False),
                generator_url=str(item.get("url", ""))[:1000],
                extra={k: v for k, v in item.items() if k not in GENERIC_FIELDS},
            )
        )
    return None, alerts


def read_payload(kind: str, data, *, now: datetime) -> tuple[GroupIn | None, list[AlertIn]]:
    """The group (Alertmanager only) and the alerts a payload carries, or Unreadable saying why not."""
    if kind == SourceKind.ALERTMANAGER:
        return _alertmanager(data)
    return _generic(data, now)
