"""Small pieces every API router shares."""

import datetime
from typing import Annotated, Generic, TypeVar

from django.http import Http404
from ninja import Path, Query, Schema
from pydantic import AfterValidator, ConfigDict, Field

from frontline.core.db import MAX_ID

# Ids are bounded so that no number a client sends can overflow the database's integer.
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
# The same bound for ids inside a JSON body (lists of customers, units).
BodyId = Annotated[int, Field(ge=1, le=MAX_ID)]
Limit = Annotated[int, Query(ge=1, le=100)]


def _in_utc(moment: datetime.datetime) -> datetime.datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=datetime.UTC)
    try:
        return moment.astimezone(datetime.UTC)
    except OverflowError:  # the last moments of year 9999 with an offset west of Greenwich
        raise ValueError("is beyond the last moment a date can name") from None


# A moment in a request body, kept in UTC: ISO 8601 allows any offset under a day, PostgreSQL only those
# under sixteen hours ("-21:37" was a 500 there). One without an offset is taken as UTC.
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
