"""Who the provider serves: accounts, the people who act for them, how to reach them, what they buy."""

from django.db import models
from django.db.models import Q


class Plan(models.TextChoices):
    STARTER = "starter", "Starter"  # cheapest shared hosting; no backups restored on request
    BUSINESS = "business", "Business"  # shared or VPS hosting with backups and restores
    RESELLER = "reseller", "Reseller"  # an agency hosting its clients' sites on one account
    FIBRE = "fibre", "Business fibre"  # a leased line with an address block
    ENTERPRISE = "enterprise", "Enterprise"  # dedicated servers and a contract of its own


class Tier(models.TextChoices):
    STANDARD = "standard", "Standard"  # the plan's published response targets
    PRIORITY = "priority", "Priority"  # paid-for faster targets
    CRITICAL = "critical", "Critical"  # round-the-clock targets, named contacts


class Standing(models.TextChoices):
    CUSTOMER = "customer", "Customer"  # an account we serve: it pays, and its services can fail
    # Someone wrote from an address we do not hold. Not a customer: no plan, no tenure, nothing of any
    # account's, until a person matches them to the account they belong to.
    UNMATCHED = "unmatched", "Unmatched sender"
    MATCHED = "matched", "Matched sender"  # was unmatched; now part of `matched_into`, kept for its history


class Customer(models.Model):
    """An account: the party that pays and whose services can fail. (Also, marked by `standing`, a sender
    nobody has matched to an account yet: a case needs someone to belong to.)"""

    name = models.CharField(max_length=200)
    standing = models.CharField(max_length=10, choices=Standing.choices, default=Standing.CUSTOMER)
    matched_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    plan = models.CharField(max_length=20, choices=Plan.choices, default=Plan.STARTER)
    tier = models.CharField(max_length=20, choices=Tier.choices, default=Tier.STANDARD)
    customer_since = models.DateField(help_text="Start of tenure")
    monthly_value = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["name"], name="customer_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_unmatched(self) -> bool:
        return self.standing == Standing.UNMATCHED


class Person(models.Model):
    """Someone who writes and calls; may act for many accounts (an expert managing forty clients)."""

    name = models.CharField(max_length=200)
    accounts = models.ManyToManyField(Customer, through="Membership", related_name="people")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "people"
        indexes = [models.Index(fields=["name"], name="person_name")]

    def __str__(self) -> str:
        return self.name


class MembershipRole(models.TextChoices):
    OWNER = "owner", "Owner"  # signs the contract; may change anything
    TECHNICAL = "technical", "Technical contact"  # told about faults and maintenance
    BILLING = "billing", "Billing contact"  # told about invoices and payment
    DELEGATE = "delegate", "Acts on behalf"  # an agency or consultant managing the account


class Membership(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="memberships")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=MembershipRole.choices, default=MembershipRole.OWNER)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "customer"], name="one_membership_per_account")
        ]

    def __str__(self) -> str:
        return f"{self.person} - {self.customer} ({self.get_role_display()})"


class ContactKind(models.TextChoices):
    EMAIL = "email", "Email"  # an address we send mail to
    PHONE = "phone", "Phone"  # a number for SMS and voice
    WEBHOOK = "webhook", "Webhook"  # a URL of the customer's own systems
    CHAT = "chat", "Chat handle"  # an account on a chat service


class ContactState(models.TextChoices):
    UNVERIFIED = "unverified", "Not yet verified"  # added, never confirmed by its owner
    VERIFIED = "verified", "Verified"  # its owner confirmed it reaches them
    FAILING = "failing", "Failing"  # the last delivery failed permanently: the provider must fix it
    RETIRED = "retired", "Retired"  # its owner said it no longer reaches them: kept for the evidence log

    @classmethod
    def unusable(cls) -> tuple[str, ...]:
        """States in which no notice or reply is sent to a point."""
        return (cls.FAILING, cls.RETIRED)


class ContactPoint(models.Model):
    """An address or number of a person (or of the account itself, like a shared ops mailbox)."""

    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.CASCADE, related_name="contacts"
    )
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="contacts"
    )
    kind = models.CharField(max_length=10, choices=ContactKind.choices)
    value = models.CharField(max_length=255, help_text="As given")
    # Lower-cased address or digits-only number: what intake and lookup match on.
    normalized = models.CharField(max_length=255)  # indexed in Meta, for equality (core/schema.py)
    label = models.CharField(max_length=40, blank=True, help_text="mobile, office, ops mailbox...")
    state = models.CharField(max_length=12, choices=ContactState.choices, default=ContactState.UNVERIFIED)
    verified_at = models.DateTimeField(null=True, blank=True)
    last_delivery_ok_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    failure_reason = models.TextField(blank=True)
    # When we last asked its owner to confirm it (a link by mail, a code by SMS); the code derives from it.
    verification_sent_at = models.DateTimeField(null=True, blank=True)
    # A webhook's HMAC key: the customer's receiver checks our signature with it.
    signing_secret = models.CharField(max_length=64, blank=True)

    class Meta:
        indexes = [models.Index(fields=["normalized"], name="contact_by_normalized")]
        constraints = [
            models.CheckConstraint(
                condition=Q(person__isnull=False) | Q(customer__isnull=False), name="contact_has_an_owner"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.value}"

    @property
    def is_working(self) -> bool:
        return self.state not in ContactState.unusable()


class UnitKind(models.TextChoices):
    ACCOUNT = "account", "Hosting account"  # the root of a hosting customer's tree
    SERVER = "server", "Server"  # shared web server, VPS or dedicated machine
    SITE = "site", "Web site"  # one site on a server
    MAILBOX = "mailbox", "Mailbox"  # one mailbox on a mail service
    DOMAIN = "domain", "Domain"  # DNS zone we host
    RELAY = "relay", "Mail relay"  # outbound mail relay
    LINE = "line", "Line"  # a fibre or copper access line
    PORT = "port", "Port"  # a switch port or VLAN on a line
    HOST = "host", "Host"  # one address behind a line


class UnitState(models.TextChoices):
    OK = "ok", "OK"  # serving as it should
    DEGRADED = "degraded", "Degraded"  # serving badly: slow, errors, partial
    DOWN = "down", "Down"  # not serving
    CONTAINED = "contained", "Contained"  # deliberately isolated (e.g. infected host filtered)
    SUSPENDED = "suspended", "Suspended"  # deliberately switched off (e.g. contract, abuse)


class ServiceUnit(models.Model):
    """Something the customer buys, in a tree: account > server > site; line > port > host."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="units")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    kind = models.CharField(max_length=10, choices=UnitKind.choices)
    name = models.CharField(max_length=255, help_text="Domain, hostname or line label as customers say it")
    hostname = models.CharField(max_length=255, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    labels = models.JSONField(default=dict, blank=True, help_text="Monitoring labels that identify this unit")
    state = models.CharField(max_length=10, choices=UnitState.choices, default=UnitState.OK)
    end_users = models.PositiveIntegerField(
        default=0, help_text="People or sites that depend on this unit (a blog's readers, a reseller's sites)"
    )
    state_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["name"], name="unit_name"),
            models.Index(fields=["ip_address"], name="unit_ip"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.name}"
