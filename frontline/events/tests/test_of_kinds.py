"""Kinds written into a statement (events.models.of_kinds) are event kinds, never anything else."""

import pytest

from frontline.events.models import GROUPING_LABELS, of_kinds


@pytest.mark.parametrize("given", ["kind' OR '1'='1", "", "Case.Opened", "case"])
def test_anything_but_an_event_kind_is_refused(given):
    with pytest.raises(ValueError):
        of_kinds("case.merged", given)


def test_the_kinds_are_written_literally():
    sql, params = of_kinds(*GROUPING_LABELS).as_sql(None, None)
    assert params == [] and all(f"'{kind}'" in sql for kind in GROUPING_LABELS)
