"""What monitoring tells us: the provider's own components, the sources that post alerts, the alerts as
posted (raw first) and as understood, and the matchers that map an alert's labels to what it is about.

The service tree has two sides. Customers' units (`customers.ServiceUnit`: account > site, line > port >
host) hang off the provider's **components** (web-07, the relay smtp-2, a switch): a unit depends on a
component when the unit's hostname, or one of its labels' values, is the component's name. A component can
hang off another (a switch behind a core router). What a state change reaches is computed from both sides
(`blast.py`), never chosen by hand.
"""

from django.db import models
from django.db.models import Q


class ComponentKind(models.TextChoices):
    SERVER = "server", "Server"  # a shared web server, a database or VPS host
    RELAY = "relay", "Mail relay"  # outbound mail relay
    MX = "mx", "Inbound mail"  # the servers our customers' mailboxes live on
    SWITCH = "switch", "Switch"  # access or aggregation switch: lines hang off it
    ROUTER = "router", "Router"  # core or border router
    SERVICE = "service", "Service"  # anything else customers use: DNS, the control panel


class Health(models.TextChoices):
    OK = "ok", "Operational"  # serving as it should
    DEGRADED = "degraded", "Degraded"  # serving badly: slow, errors, partial
    DOWN = "down", "Down"  # not serving


class Component(models.Model):
    """A piece of the provider's own infrastructure that customers' services run on."""

    name = models.CharField(max_length=100, unique=True, help_text="As monitoring and units name it: web-07")
    kind = models.CharField(max_length=10, choices=ComponentKind.choices)
    # The status page groups components under these headings ("Web hosting", "Mail", "Network").
    group = models.CharField(max_length=60)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    state = models.CharField(max_length=10, choices=Health.choices, default=Health.OK)
    state_changed_at = models.DateTimeField(null=True, blank=True)
    public = models.BooleanField(default=True, help_text="Shown on the public status page")
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name


class StatePeriod(models.Model):
    """A span during which a component or unit was not OK: uptime is computed from these."""

    component = models.ForeignKey(
        Component, null=True, blank=True, on_delete=models.CASCADE, related_name="periods"
    )
    unit = models.ForeignKey(
        "customers.ServiceUnit", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    state = models.CharField(max_length=10, choices=Health.choices)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["component", "started_at"], name="period_component"),
            models.Index(fields=["unit", "started_at"], name="period_unit"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(component__isnull=False) | Q(unit__isnull=False), name="period_of_something"
            )
        ]

    def __str__(self) -> str:
        return f"{self.state} from {self.started_at:%Y-%m-%d %H:%M}"


class SourceKind(models.TextChoices):
    ALERTMANAGER = "alertmanager", "Prometheus Alertmanager"  # webhook payload version 4
    GENERIC = "generic", "Generic JSON webhook"  # {"alerts": [{"id", "status", "labels", ...}]}


class Source(models.Model):
    """A monitoring system allowed to post alerts, and the secret it proves itself with: either as a bearer
    token (`Authorization: Bearer <secret>`) or as an HMAC-SHA256 of the body (`X-Frontline-Signature:
    sha256=<hex>`)."""

    name = models.SlugField(max_length=60, unique=True)
    kind = models.CharField(max_length=20, choices=SourceKind.choices)
    secret = models.CharField(max_length=128)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name


class PostStatus(models.TextChoices):
    PENDING = "pending", "Stored, not yet read"  # answered 202; a worker reads it next
    READ = "read", "Read"  # its alerts are upserted and their states applied
    REFUSED = "refused", "Could not be read"  # kept as it came, with the reason; a to-do was raised


class AlertPost(models.Model):
    """A webhook body exactly as it came, stored before anything reads it."""

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="posts")
    body = models.BinaryField()
    received_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=PostStatus.choices, default=PostStatus.PENDING)
    problem = models.TextField(blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["id"], condition=Q(status="pending"), name="alertpost_pending")]

    def __str__(self) -> str:
        return f"post {self.pk} from {self.source_id} ({self.status})"


class AlertGroup(models.Model):
    """One Alertmanager group (its groupKey): posted again on every change and every repeat interval."""

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="groups")
    group_key = models.TextField()
    status = models.CharField(max_length=10)  # firing or resolved, as Alertmanager last said
    receiver = models.CharField(max_length=200, blank=True)
    group_labels = models.JSONField(default=dict)
    common_labels = models.JSONField(default=dict)
    common_annotations = models.JSONField(default=dict)
    external_url = models.CharField(max_length=500, blank=True)
    truncated_alerts = models.PositiveIntegerField(default=0)
    extra = models.JSONField(default=dict, blank=True, help_text="Fields of the payload we do not read")
    first_posted_at = models.DateTimeField()
    last_posted_at = models.DateTimeField()
    posts = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "group_key"], name="one_group_per_key")]

    def __str__(self) -> str:
        return self.group_key


class AlertStatus(models.TextChoices):
    FIRING = "firing", "Firing"  # the condition holds
    RESOLVED = "resolved", "Resolved"  # the condition ended: the state it set is lifted


class Alert(models.Model):
    """One alert, by its fingerprint: repeats update it, a resolution ends it."""

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="alerts")
    group = models.ForeignKey(
        AlertGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts"
    )
    fingerprint = models.CharField(max_length=128)
    name = models.CharField(max_length=200, blank=True, help_text="The alertname label")
    status = models.CharField(max_length=10, choices=AlertStatus.choices)
    labels = models.JSONField(default=dict)
    annotations = models.JSONField(default=dict)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    generator_url = models.CharField(max_length=1000, blank=True)
    extra = models.JSONField(default=dict, blank=True, help_text="Fields of the alert we do not read")
    # What it is about, as the matchers said when it was first read; empty: raised as a to-do.
    matcher = models.ForeignKey("Matcher", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    units = models.ManyToManyField("customers.ServiceUnit", blank=True, related_name="alerts")
    components = models.ManyToManyField(Component, blank=True, related_name="alerts")
    health = models.CharField(max_length=10, choices=Health.choices, default=Health.DOWN)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    # When it was raised as a to-do for mapping nothing: once per alert, however often it is posted again.
    raised_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "fingerprint"], name="one_alert_per_fingerprint")
        ]
        indexes = [models.Index(fields=["status", "last_seen_at"], name="alert_status")]

    def __str__(self) -> str:
        return f"{self.name or self.fingerprint} ({self.status})"

    @property
    def summary(self) -> str:
        return self.annotations.get("summary") or self.annotations.get("description") or self.name


class LooksUp(models.TextChoices):
    UNIT_NAME = "unit_name", "a customer's unit of that name"  # site="walkerblog.example"
    UNIT_HOSTNAME = "unit_hostname", "a customer's unit with that hostname"  # the CPE of a line
    UNIT_IP = "unit_ip", "a customer's unit with that address"  # ip="192.0.2.17" (a port is stripped)
    UNIT_LABEL = "unit_label", "a customer's unit with the same label and value"  # line="FTTP-10042"
    COMPONENT = "component", "a component of ours of that name"  # instance="web-07:9100" (port stripped)


class Matcher(models.Model):
    """Maps an alert's label to what it is about. Tried in `position` order; the first that finds something
    decides, so a specific label (site) goes before a general one (instance)."""

    position = models.PositiveIntegerField(default=100)
    label = models.CharField(max_length=100, help_text="The alert's label: instance, job, site, ip, ...")
    looks_up = models.CharField(max_length=16, choices=LooksUp.choices)
    alertname = models.CharField(max_length=200, blank=True, help_text="Only alerts of this name; blank: any")
    # What a firing alert means for what it found.
    health = models.CharField(max_length=10, choices=Health.choices, default=Health.DOWN)
    # The skill a case opened from these alerts needs (SiteDown: web hosting); blank: the router decides.
    topic = models.ForeignKey(
        "agents.Skill", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.label} → {self.get_looks_up_display()}"


class ChangeKind(models.TextChoices):
    DEPLOY = "deploy", "Deploy"  # new software on a component
    CONFIGURATION = "configuration", "Configuration change"  # settings, access lists, routes
    HARDWARE = "hardware", "Hardware"  # a part replaced, a cable moved
    OTHER = "other", "Other change"  # anything else worth seeing beside an incident


class Change(models.Model):
    """A change someone made to the provider's side, recorded by their CI or configuration management
    (`POST /api/v1/changes`): the first thing an incident's evidence looks for before its start."""

    kind = models.CharField(max_length=15, choices=ChangeKind.choices)
    summary = models.CharField(max_length=300)
    detail = models.TextField(blank=True)
    targets = models.JSONField(default=list, help_text="What changed, as the sender named it")
    components = models.ManyToManyField(Component, blank=True, related_name="changes")
    units = models.ManyToManyField("customers.ServiceUnit", blank=True, related_name="+")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    changed_by = models.CharField(max_length=200, help_text="Who made it: a person or a pipeline")
    tool = models.CharField(max_length=100, blank=True, help_text="What recorded it: ansible, a CI job...")
    link = models.URLField(max_length=500, blank=True)
    external_id = models.CharField(
        max_length=200, null=True, blank=True, unique=True, help_text="The sender's id: a retry records once"
    )
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        "agents.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["started_at"], name="change_started")]

    def __str__(self) -> str:
        return self.summary
