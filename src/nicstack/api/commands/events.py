"""The event log: listEvents."""

from __future__ import annotations

from typing import Any

from nicstack.api import views_world as views
from nicstack.api.context import Context
from nicstack.api.params import str_param, uuid_param
from nicstack.api.registry import command
from nicstack.api.replies import ListReply, Reply
from nicstack.api.scope import OWNER, PAGING, owner_filter, page_of
from nicstack.api.views_world import EVENT
from nicstack.services import settings
from nicstack.services.settings import EventFilter


@command(
    "listEvents",
    "A command to list events.",
    (
        uuid_param("id", "The ID of the event"),
        str_param("type", "The event type (see listEventTypes)"),
        str_param("level", "The event level (INFO, WARN, ERROR)"),
        str_param("startdate", "The start date range of the list you want to retrieve (yyyy-MM-dd[ HH:mm:ss])"),
        str_param("enddate", "The end date range of the list you want to retrieve (yyyy-MM-dd[ HH:mm:ss])"),
        *OWNER,
        *PAGING,
    ),
    answers=EVENT,
)
def list_events(ctx: Context, args: dict[str, Any]) -> Reply:
    start, end = args.get("startdate"), args.get("enddate")
    wanted = EventFilter(
        owner=owner_filter(args), uuid=args.get("id"), type=args.get("type"), level=args.get("level"),
        start=None if start is None else settings.parse_date(start, "startdate"),
        end=None if end is None else settings.parse_date(end, "enddate", end=True),
        keyword=args.get("keyword"), page=page_of(args),
    )
    rows, total = settings.list_events(ctx.uow, ctx.caller, wanted)
    return ListReply("event", [views.event(r) for r in rows], total)
