"""Views of what data-plane agents report: published and applied generations, errors, heartbeats."""

from __future__ import annotations

from nicstack.api.replies import JsonObject
from nicstack.api.schema import Spec
from nicstack.api.views_world import wire_date
from nicstack.domain.dataplane import TargetState
from nicstack.services.agents import summary

# The fields dataplane_view adds, as listApis declares them on each kind that carries them.
DATAPLANE: Spec = {
    "publishedgeneration": "integer",
    "dataplanestate": "string",
    "appliedgeneration": "integer",
    "agentname": "string",
    "lastheartbeat": "date",
    "lastapplied": "date",
    "lasterror": "string",
    "lasterrortime": "date",
}


def dataplane_view(state: TargetState | None) -> JsonObject:
    """nicstack's fields on a router, a host or a config: is what was published applied, and how is its agent."""
    report = state.report if state is not None else None
    view: JsonObject = {
        "publishedgeneration": state.published if state is not None else 0,
        "dataplanestate": str(summary(state)),
    }
    if report is not None:
        view.update({
            "appliedgeneration": report.generation, "applieddigest": report.digest or None,
            "agentname": report.agent, "lastheartbeat": wire_date(report.heartbeat),
            "lastapplied": wire_date(report.ok_at), "lasterror": report.error,
            "lasterrortime": wire_date(report.error_at),
        })
    return view
