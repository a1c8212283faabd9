"""Routing listens to cases (cases imports nothing of routing): a finished or reopened case changes its
owner's track record on its topic, in the same transaction as the change."""

from django.dispatch import receiver

from frontline.cases import signals
from frontline.routing import services


@receiver(signals.case_finished, dispatch_uid="routing.case_finished")
def count_finished(sender, case, **kwargs):
    services.record_finished(case)


@receiver(signals.case_reopened, dispatch_uid="routing.case_reopened")
def count_reopened(sender, case, **kwargs):
    services.record_reopened(case)
