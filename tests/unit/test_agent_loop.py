"""The agent's reading of config answers, its backoff, and its command line's refusals."""

from __future__ import annotations

import pytest

from nicstack.agent.loop import Agent, Settings, Target
from nicstack.agent.shell import ApplyError, describe
from nicstack.cli import main
from nicstack.render.router import generation_key, render_router
from tests.unit.test_router_render import static_nat_to_secondary

pytestmark = pytest.mark.unit

ROUTER = Target("router", {"networkid": "n"})
HOST = Target("host", {"hostid": "h"})


def router_answer(generation: int, full: bool = True, digest: str | None = None) -> dict[str, object]:
    docs = render_router(static_nat_to_secondary())
    body: dict[str, object] = {"generation": generation, "full": full, "digest": digest or generation_key(docs)}
    if full:
        body.update(dict(docs.items()))
    return {"routerconfig": body}


def test_a_router_answer_without_news_is_nothing_to_apply() -> None:
    assert ROUTER.update(router_answer(4, full=False), since=4) is None


def test_router_documents_come_with_the_digest_the_agent_computes_and_reports() -> None:
    update = ROUTER.update(router_answer(5), since=4)
    assert update is not None and update.generation == 5 and set(update.documents or {}) == {
        "iptables", "haproxy", "addresses", "metadata"}
    with pytest.raises(ApplyError, match="do not match their digest"):
        ROUTER.update(router_answer(5, digest="0" * 64), since=4)


def test_a_host_answer_is_whole_documents_or_change_lines_on_top_of_the_generation_held() -> None:
    whole = HOST.update({"hostconfig": {"generation": 3, "full": True, "documents": {"ipset": "x"}, "digest": "d"}},
                        since=None)
    assert whole is not None and whole.documents == {"ipset": "x"} and whole.changes is None
    lines = HOST.update({"hostconfig": {"generation": 4, "full": False, "changes": {"ipset": "add a", "ebtables": ""}}},
                        since=3)
    assert lines is not None and lines.changes == {"ipset": "add a", "ebtables": ""} and lines.since == 3
    assert HOST.update({"hostconfig": {"generation": 4, "full": False, "changes": {}}}, since=4) is None


def test_backoff_doubles_up_to_its_bound() -> None:
    agent = Agent(None, HOST, None, "test", Settings(backoff_min=0.2, backoff_max=3.0))  # type: ignore[arg-type]
    delays = []
    for failures in range(1, 10):
        agent._failures = failures
        delays.append(agent._backoff())
    assert 0.1 <= delays[0] <= 0.2 and all(d <= 3.0 for d in delays) and delays[-1] >= 1.5


def test_a_refused_document_is_quoted_around_the_line_the_tool_names() -> None:
    document = "".join(f"line {n}\n" for n in range(1, 21))
    text = describe(["iptables-restore"], 1, "Error occurred at line: 12\n", document)
    assert text.startswith("iptables-restore failed: Error occurred at line: 12\n")
    assert ">   12 line 12" in text and "    7 line 7" in text and "   17 line 17" in text
    assert "line 6\n" not in text and "line 18" not in text


def test_the_agent_says_which_credentials_are_missing(monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("NICSTACK_URL", "NICSTACK_API_KEY", "NICSTACK_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    assert main(["agent", "host", "--host", "00000000-0000-4000-8000-000000000001"]) == 2
    said = capsys.readouterr().err
    assert "missing --url, --api-key, --secret-key" in said and "NICSTACK_URL" in said and "createAgent" in said
