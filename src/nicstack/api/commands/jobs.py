"""Async job commands: queryAsyncJobResult and listAsyncJobs."""

from __future__ import annotations

from typing import Any

from nicstack.api import views_world as views
from nicstack.api.context import Context
from nicstack.api.params import str_param, uuid_param
from nicstack.api.registry import command
from nicstack.api.replies import ListReply, RawReply, Reply
from nicstack.api.scope import OWNER, PAGING, owner_filter, page_of
from nicstack.api.views_world import ASYNC_JOB, ASYNC_JOBS
from nicstack.services import settings


@command(
    "queryAsyncJobResult",
    "Retrieves the current status of an asynchronous job.",
    (uuid_param("jobid", "The ID of the asynchronous job", required=True),),
    answers=ASYNC_JOB,
)
def query_async_job_result(ctx: Context, args: dict[str, Any]) -> Reply:
    # CloudStack answers the job's fields at the top level, without an object wrapper.
    return RawReply(views.asyncjob(settings.query_job(ctx.uow, ctx.caller, args["jobid"])))


@command(
    "listAsyncJobs",
    "Lists all pending asynchronous jobs for the account.",
    (str_param("startdate", "The start date of the async job (ignored)"), *OWNER, *PAGING),
    answers=ASYNC_JOBS,
)
def list_async_jobs(ctx: Context, args: dict[str, Any]) -> Reply:
    found, total = settings.list_jobs(ctx.uow, ctx.caller, owner_filter(args), page_of(args))
    return ListReply("asyncjobs", [views.asyncjob(j) for j in found], total)
