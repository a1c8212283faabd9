import pytest
from django.utils import timezone

from frontline.measures.defaults import install
from frontline.measures.models import DemandRule


@pytest.fixture(autouse=True)
def _default_rules(request):
    """The default demand rules, as the migration installs them: a transactional test elsewhere in the run
    empties every table, migration data too."""
    if request.node.get_closest_marker("django_db"):
        request.getfixturevalue("db")
        install(DemandRule, timezone.now())
