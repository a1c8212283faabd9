"""Small pieces every API router shares."""

import datetime
from typing import Annotated, Generic, TypeVar

from django.http import Http404
from django.utils import timezone
from ninja import Path, Query, Schema
from pydantic import AfterValidator, ConfigDict, Field

from frontline.core.db import MAX_ID

# Ids are bounded so that no number a client sends can overflow the database's integer.
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
# The same bound for ids inside a JSON body (lists of customers, units).
BodyId = Annotated[int, Field(ge=1, le=MAX_ID)]
Limit = Annotated[int, Query(ge=1, le=100)]


def _in_utc(moment: datetime.datetime) -> datetime.datetime:
    if moment.tzinfo is None:  # as Django took it before: in the provider's time zone (TIME_ZONE)
        moment = timezone.make_aware(moment)
    try:
        return moment.astimezone(datetime.UTC)
    except OverflowError:  # the edges of years 1 and 9999 with an offset
        raise ValueError("falls outside the years 1 to 9999 in UTC") from None


# A moment in a request body, kept in UTC: ISO 8601 allows any offset under a day, PostgreSQL only those
# under sixteen hours ("-21:37" was a 500 there).
Moment = Annotated[datetime.datetime, AfterValidator(_in_utc)]

T = TypeVar("T")


class In(Schema):
    """A request body: a field the schema does not know is refused with a 422 that names it, never dropped
    unseen ({"assignee": 4} to an endpoint that reads "agent_id" must not quietly unassign a case)."""

    model_config = ConfigDict(extra="forbid")


class PageOut(Schema, Generic[T]):
    items: list[T]
    next: str | None = Field(None, description="Pass as `after` for the next page; absent on the last page")


def get_or_404(queryset, **lookup):
    obj = queryset.filter(**lookup).first()
    if obj is None:
        raise Http404(f"no such {queryset.model._meta.verbose_name}")
    return obj
