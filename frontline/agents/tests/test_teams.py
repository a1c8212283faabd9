import datetime
from zoneinfo import ZoneInfo

import pytest

from frontline.agents.models import Team

LONDON = ZoneInfo("Europe/London")


def at(year, month, day, hour):
    return datetime.datetime(year, month, day, hour, tzinfo=LONDON)


@pytest.fixture
def hosting():
    # weekdays 08:00-18:00 London, English public holidays closed (not saved: no database needed)
    return Team(name="Hosting", time_zone="Europe/London", holiday_country="GB")


def test_a_team_is_open_in_its_hours_on_a_working_day(hosting):
    assert hosting.is_open_at(at(2026, 11, 23, 10))  # Monday morning
    assert not hosting.is_open_at(at(2026, 11, 23, 18))  # closing time
    assert not hosting.is_open_at(at(2026, 11, 22, 10))  # Sunday


def test_a_team_is_closed_on_its_countrys_public_holidays(hosting):
    assert not hosting.is_open_at(at(2026, 12, 25, 10))  # Christmas Day, a Friday


def test_hours_are_read_in_the_teams_time_zone(hosting):
    # 07:30 UTC in summer is 08:30 in London
    assert hosting.is_open_at(datetime.datetime(2026, 7, 1, 7, 30, tzinfo=datetime.UTC))


def test_a_team_without_hours_is_open_around_the_clock():
    assert Team(name="NOC", business_hours={}).is_open_at(at(2026, 12, 25, 3))
