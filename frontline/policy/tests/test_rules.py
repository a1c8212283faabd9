"""Rules as data: checked at save (syntax by the library, names and types by us), versioned, logged."""

import pytest

from frontline.core.errors import NotAllowed, ServiceError
from frontline.events.models import Event, EventKind
from frontline.policy import expressions, schema, services
from frontline.policy.models import RuleVersion


def _save(by, condition, trigger="malware_scan", **extra):
    return services.save_rule(
        by=by,
        name=extra.pop("name", "Rule"),
        trigger=trigger,
        condition=condition,
        action=extra.pop("action", "contain"),
        severity=extra.pop("severity", "standard"),
        **extra,
    )


@pytest.mark.django_db
class TestRefusedAtSave:
    def test_a_syntax_error_is_refused_with_its_position(self, nadia):
        with pytest.raises(ServiceError) as refused:
            _save(nadia, "event.infected &&")
        assert refused.value.field == "condition"
        assert "line 1, column 18" in refused.value.message and "Syntax error" in refused.value.message

    def test_an_unknown_name_is_refused_with_the_names_there_are(self, nadia):
        with pytest.raises(ServiceError) as refused:
            _save(nadia, "event.infected && site.kind == 'site'")
        assert "line 1, column 19: unknown name 'site'" in refused.value.message
        assert "customer, event, history, unit" in refused.value.message

    def test_an_unknown_field_is_refused_with_the_fields_there_are(self, nadia):
        with pytest.raises(ServiceError) as refused:
            _save(nadia, "event.infected && event.days_overdue > 3")
        assert "column 25: a malware_scan event has no field 'days_overdue'" in refused.value.message
        assert "confidence" in refused.value.message

    def test_a_wrong_type_is_refused(self, nadia):
        with pytest.raises(ServiceError) as refused:
            _save(nadia, 'event.days_overdue > "30"', trigger="payment_overdue", action="suspend")
        assert "column 20: cannot order int and string with >" in refused.value.message

    def test_mixing_int_and_double_in_arithmetic_is_refused_with_a_hint(self, nadia):
        with pytest.raises(ServiceError) as refused:
            _save(nadia, "event.files * 0.5 > 1")
        assert (
            "cannot apply * to int and double" in refused.value.message
            and "double()" in refused.value.message
        )

    def test_a_condition_that_is_not_true_or_false_is_refused(self, nadia):
        with pytest.raises(ServiceError) as refused:
            _save(nadia, "event.files + 1")
        assert "must be true or false, but it gives a int" in refused.value.message

    def test_a_grace_shorter_than_the_notice_needs_is_refused(self, nadia):
        # the urgent ladder reaches a person after 4 hours
        with pytest.raises(ServiceError) as refused:
            _save(nadia, "event.infected", grace_minutes=60)
        assert refused.value.field == "grace_minutes"
        assert (
            "1 hour is shorter than the standard notice needs to reach a person (4 hours)"
            in refused.value.message
        )

    def test_the_emergency_class_is_only_for_attacks_on_others(self, nadia):
        with pytest.raises(ServiceError) as refused:
            _save(nadia, "event.infected", severity="emergency")
        assert refused.value.field == "severity"

    def test_a_rule_cannot_aim_wider_than_its_unit(self, nadia):
        with pytest.raises(ServiceError) as refused:
            _save(nadia, "event.infected", params={"scope": "account"})
        assert "widening is a person's decision" in refused.value.message

    def test_only_a_policy_admin_writes_rules(self, priya):
        with pytest.raises(NotAllowed):
            _save(priya, "event.infected")


@pytest.mark.django_db
def test_every_change_is_a_new_version_and_an_event(nadia):
    # given a rule
    rule = _save(nadia, "event.infected", name="Contain infected sites")
    # when its condition changes, and then it is saved again unchanged
    rule = services.save_rule(
        rule=rule,
        by=nadia,
        name=rule.name,
        trigger=rule.trigger,
        condition="event.infected && event.files > 2",
        action=rule.action,
        severity=rule.severity,
        reason="one infected file is often a false positive",
    )
    services.save_rule(
        rule=rule,
        by=nadia,
        name=rule.name,
        trigger=rule.trigger,
        condition=rule.condition,
        action=rule.action,
        severity=rule.severity,
    )
    # then there are two versions, each as it was, and two events
    rule.refresh_from_db()
    assert rule.version == 2
    versions = list(RuleVersion.objects.filter(rule=rule).values_list("version", "condition", "changed_by"))
    assert versions == [(2, "event.infected && event.files > 2", nadia.pk), (1, "event.infected", nadia.pk)]
    changes = Event.objects.filter(kind=EventKind.RULE_CHANGED).order_by("id")
    assert [e.data["version"] for e in changes] == [1, 2]
    assert changes.last().data["changed"] == ["condition"]
    assert changes.last().data["reason"] == "one infected file is often a false positive"


@pytest.mark.parametrize(
    "source, trigger",
    [
        ('unit.kind in ["site", "host"] && history.same_unit_30d >= 2', "malware_scan"),
        ('customer.plan == "starter" && event.days_overdue >= 30 && event.amount > 10.0', "payment_overdue"),
        ('event.metric == "mail_rate" && event.ratio > 3.0 && event.minutes >= 10', "resource_abuse"),
        ('"hospital" in history.tags || event.reporter.endsWith(".gov")', "abuse_report"),
        ("event.received_at > timestamp('2026-01-01T00:00:00Z') && has(event.signature)", "malware_scan"),
        ("history.tags.exists(t, t.startsWith('vip')) ? customer.tenure_years > 5.0 : true", "malware_scan"),
        ("size(unit.name) > 3 && int(customer.monthly_value) > 100", "monitoring_state"),
    ],
)
def test_conditions_rules_use_check_clean(source, trigger):
    assert expressions.validate(source, schema.variables(trigger), schema.describe) is not None
