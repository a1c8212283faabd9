"""Background work of intake, through Django's tasks interface on the durable scheduler."""

from django_tasks import task

from frontline.cases import services as cases
from frontline.cases.models import Case
from frontline.intake import acknowledgements, services
from frontline.scheduling.periodic import own_transactions


@task()
@own_transactions  # each acknowledgement's message is committed before the mail server is called
def send_acknowledgements() -> int:
    """Tell customers we have their problems: a batch of due acknowledgements in one SMTP session. After
    the intake commit, so a slow mail server never holds intake; a failed send is recorded on the case."""
    return acknowledgements.send_due()


@task()
def send_acknowledgement(case_pk: int, person_name: str = "") -> int | None:
    """One case's acknowledgement: the job intake queued for each new case before acknowledgements were
    sent in batches. Kept so that jobs queued before an upgrade are still done."""
    case = Case.objects.filter(pk=case_pk).first()
    if case is None:
        return None
    message = cases.confirm_receipt(case, person_name=person_name)
    return message.pk if message else None


@task()
@own_transactions
def process_pending_messages() -> int:
    """The safety net behind the listener's own processing: anything stored and not yet read."""
    return services.process_pending()
