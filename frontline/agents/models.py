"""Staff: who they are, what they know, how much they can carry, and what their role lets them do."""

import datetime
import functools

from django.conf import settings
from django.db import models


class Role(models.TextChoices):
    AGENT = "agent", "Agent"  # works cases: reply, note, take a case, change its status
    TEAM_LEAD = "team_lead", "Team lead"  # also assigns others' cases and may override rules
    POLICY_ADMIN = "policy_admin", "Policy admin"  # also writes the rules Frontline enforces
    ADMIN = "admin", "Admin"  # everything, including staff, tokens and the admin site
    # A system, not a person: acts only through its API tokens (a CERT feed, a scanner, billing, a CRM).
    INTEGRATION = "integration", "Integration"


class Capability(models.TextChoices):
    WORK_CASES = "work_cases", "Read and work cases"  # inbox, case page, reply, note, status
    ASSIGN_OTHERS = "assign_others", "Assign cases to anyone"  # not only to oneself
    OVERRIDE_RULES = "override_rules", "Override rules with a reason"  # goodwill, delay, do less
    EDIT_POLICY = "edit_policy", "Edit policy rules"  # the rules themselves
    MANAGE_STAFF = "manage_staff", "Manage staff, tokens and settings"  # the admin site
    # Abuse reports, scans, billing and other policy events: what rules act on, so not every agent's word.
    REPORT_EVENTS = "report_events", "Send policy events (abuse reports, scans, billing)"
    # Telling many customers at once: declaring incidents, posting their updates, maintenance, matchers.
    RUN_INCIDENTS = "run_incidents", "Run incidents, maintenance and alert matchers"


# What each role may do. Roles are cumulative; this table is the one place that says so.
ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    Role.AGENT: frozenset({Capability.WORK_CASES}),
    Role.TEAM_LEAD: frozenset(
        {Capability.WORK_CASES, Capability.ASSIGN_OTHERS, Capability.OVERRIDE_RULES, Capability.RUN_INCIDENTS}
    ),
    Role.POLICY_ADMIN: frozenset(
        {
            Capability.WORK_CASES,
            Capability.ASSIGN_OTHERS,
            Capability.OVERRIDE_RULES,
            Capability.EDIT_POLICY,
            Capability.REPORT_EVENTS,
            Capability.RUN_INCIDENTS,
        }
    ),
    Role.ADMIN: frozenset(Capability.values),
    # A provider's CI and status tooling post incidents and maintenance through the API.
    Role.INTEGRATION: frozenset({Capability.WORK_CASES, Capability.REPORT_EVENTS, Capability.RUN_INCIDENTS}),
}


def default_business_hours() -> dict:
    return {day: ["08:00", "18:00"] for day in ("mon", "tue", "wed", "thu", "fri")}


class Team(models.Model):
    name = models.CharField(max_length=80, unique=True)
    time_zone = models.CharField(max_length=64, default="Europe/London")
    # {"mon": ["08:00", "18:00"], ...}; a day that is missing is closed. Empty means around the clock.
    business_hours = models.JSONField(default=default_business_hours, blank=True)
    # ISO country code whose public holidays close the team (the `holidays` package); blank for none.
    holiday_country = models.CharField(max_length=2, blank=True)
    # Whether this team's response and resolution clocks stop outside its business hours and on holidays.
    # Off by default: the customer's clock runs around the clock, and so do critical-tier targets.
    clocks_in_business_hours = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.name

    def _opening(self, day: datetime.date) -> tuple[datetime.datetime, datetime.datetime] | None:
        """The day's open interval in UTC, or None when the team is closed all day (weekend, holiday)."""
        hours = self.business_hours.get(_WEEKDAYS[day.weekday()])
        if not hours:
            return None
        return _open_interval(day, tuple(hours), self.time_zone, self.holiday_country)

    def _local_day(self, moment: datetime.datetime) -> datetime.date:
        from zoneinfo import ZoneInfo

        return moment.astimezone(ZoneInfo(self.time_zone)).date()

    def is_open_at(self, moment: datetime.datetime) -> bool:
        if not self.business_hours:
            return True
        opening = self._opening(self._local_day(moment))
        return opening is not None and opening[0] <= moment < opening[1]

    def open_seconds_between(self, start: datetime.datetime, end: datetime.datetime) -> float:
        """Seconds between two moments that fall in this team's business hours."""
        if not self.business_hours:
            return max((end - start).total_seconds(), 0.0)
        total, day = 0.0, self._local_day(start)
        while day <= self._local_day(end):
            opening = self._opening(day)
            if opening:
                total += max((min(end, opening[1]) - max(start, opening[0])).total_seconds(), 0.0)
            day += datetime.timedelta(days=1)
        return total

    def add_open_time(self, start: datetime.datetime, seconds: float) -> datetime.datetime:
        """The moment `seconds` of business hours after `start` (a target's due time)."""
        if not self.business_hours:
            return start + datetime.timedelta(seconds=seconds)
        day, left = self._local_day(start), seconds
        for _ in range(3660):  # ten years of closed days would mean no business hours at all
            opening = self._opening(day)
            if opening and opening[1] > start:
                begin = max(start, opening[0])
                available = (opening[1] - begin).total_seconds()
                if left <= available:
                    return begin + datetime.timedelta(seconds=left)
                left -= available
            day += datetime.timedelta(days=1)
        raise ValueError(f"{self} has no business hours to count time in")


_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # business_hours' keys, by date.weekday()


@functools.lru_cache(maxsize=4096)
def _open_interval(day: datetime.date, hours: tuple, time_zone: str, holiday_country: str):
    """A day's open interval in UTC, or None on a holiday: kept, since routing asks it of every candidate
    for every new case."""
    from zoneinfo import ZoneInfo

    if holiday_country and day in _holidays(holiday_country, day.year):
        return None
    zone = ZoneInfo(time_zone)
    start, end = (
        datetime.datetime.combine(day, datetime.time.fromisoformat(h), zone).astimezone(datetime.UTC)
        for h in hours
    )
    return start, end


@functools.cache
def _holidays(country: str, year: int):
    import holidays

    return holidays.country_holidays(country, years=year)


class Skill(models.Model):
    """A kind of problem someone can solve; cases are classified into the same names (their topic)."""

    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=80)

    def __str__(self) -> str:
        return self.name


class Agent(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent")
    display_name = models.CharField(max_length=120)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="agents")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.AGENT)
    skills = models.ManyToManyField(Skill, through="AgentSkill", related_name="agents")
    capacity = models.PositiveSmallIntegerField(default=20, help_text="Open cases this person can carry well")
    is_available = models.BooleanField(default=True)
    # Goodwill this person may grant per month without asking anyone (credit, free restore...).
    goodwill_allowance = models.DecimalField(max_digits=8, decimal_places=2, default=0)

    class Meta:
        ordering = ["display_name"]

    def __str__(self) -> str:
        return self.display_name

    def can(self, capability: str) -> bool:
        return capability in ROLE_CAPABILITIES[self.role]


class AgentSkill(models.Model):
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE)
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE)
    level = models.PositiveSmallIntegerField(default=3, help_text="1 (learning) to 5 (expert)")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agent", "skill"], name="one_level_per_skill")]

    def __str__(self) -> str:
        return f"{self.agent}: {self.skill} ({self.level})"


class ApiToken(models.Model):
    """A bearer token an integration uses to act as an agent. Only its digest is stored."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=12, help_text="First characters, to recognise the token in lists")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Set by an admin for one integration whose abuse reports may justify acting before notice (a CERT's
    # feed, the abuse mailbox's bridge); the decision's reasons name the token. Nobody else's word can.
    trusted_reporter = models.BooleanField(
        default=False,
        help_text="Its abuse reports of an attack going on may justify containment before notice",
    )

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
