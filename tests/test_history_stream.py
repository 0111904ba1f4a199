"""`history --format json|csv` writes event by event: the same bytes as the whole dump."""

from __future__ import annotations

import io
from datetime import datetime, timezone

import pytest
from conftest import Reg

from modelreg.history import audit
from modelreg.render import history_report


def _whole(result: audit.AuditTrail) -> str:
    return result.model_dump_json(by_alias=True, exclude_none=True, indent=2) + "\n"


@pytest.mark.parametrize("batch", [1, 2, 2000])
def test_streamed_json_is_the_whole_dump(populated: Reg, batch: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(history_report, "_BATCH", batch)
    queries: list[dict[str, object]] = [
        {},
        {"model": "fraud"},
        {"model": "fraud", "version": "1.1.0", "stage": "production"},
        {"stage": "production"},
        {"since": datetime(2999, 1, 1, tzinfo=timezone.utc)},  # no event: "events": []
    ]
    for query in queries:
        result = audit.trail(populated.path, **query)  # type: ignore[arg-type]
        header, events = audit.trail_stream(populated.path, **query)  # type: ignore[arg-type]
        out = io.StringIO()
        history_report.write_json(header, events, out)
        assert out.getvalue() == _whole(result), query
        assert query.get("since") or result.events  # the cases cover events and none


def test_history_json_and_csv_from_the_command(populated: Reg) -> None:
    result = audit.trail(populated.path)
    r = populated.cli("history", "--format", "json")
    assert r.code == 0 and r.out == _whole(result), r.err
    expected = io.StringIO()
    history_report.render_csv(result, expected)
    r = populated.cli("history", "--format", "csv")
    assert r.code == 0 and r.out == expected.getvalue(), r.err
    r = populated.cli("history", "nope", "--format", "json")
    assert r.code == 1 and r.out == "" and "no history" in r.err
