"""HR exports: status per person (now or as of a past day) and every evidence row, as CSV."""

from __future__ import annotations

from flask import Response, render_template, request, stream_with_context
from flask.typing import ResponseReturnValue

import smattest.evidence.export as evidence_export
import smattest.reports.exports as reports
import smattest.reports.questions as questions
import smattest.reports.trend as trend

from ...models import ChainHead
from ...proxies import current_smattest
from ...timeutil import local_today, parse_day
from ..access import hr_required
from ..base import actor, blueprint


def _page(error: str | None = None, as_of: str = "", status: int = 200) -> ResponseReturnValue:
    head = current_smattest.db.session.get(ChainHead, 1)
    return (
        render_template(
            "smattest/hr/exports.html",
            error=error,
            as_of=as_of,
            today=local_today(),
            evidence_rows=head.last_seq if head else 0,
        ),
        status,
    )


def _csv_response(export: reports.Export) -> Response:
    """Stream ``export`` as a download; the request context lives until the last chunk."""
    return Response(
        stream_with_context(export.chunks),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{export.filename}"',
            "Cache-Control": "no-store",
        },
    )


def _downloading() -> bool:
    """A HEAD request (a link checker, a browser's probe) downloads nothing: log no export."""
    return request.method != "HEAD"


@blueprint.get("/hr/exports")
@hr_required
def hr_exports() -> ResponseReturnValue:
    """What each export holds, the "as of" form, and the download links."""
    return _page()


@blueprint.get("/hr/exports/status.csv")
@hr_required
def hr_export_status() -> ResponseReturnValue:
    """Everyone's status for every requirement, today or as of ``?as_of=YYYY-MM-DD``."""
    as_of = request.args.get("as_of", "").strip()
    day = parse_day(as_of) if as_of else None
    try:
        export = reports.status_export(
            day.isoformat() if day else as_of, actor=actor(), record=_downloading()
        )
    except reports.ReportError as error:
        return _page(str(error), as_of, 400)
    return _csv_response(export)


@blueprint.get("/hr/exports/evidence.csv")
@hr_required
def hr_export_evidence() -> ResponseReturnValue:
    """Every attestation and training completion in chain order, ending with the chain head."""
    try:
        export = evidence_export.evidence_export(actor=actor(), record=_downloading())
    except reports.ReportError as error:
        return _page(str(error), status=500)
    return _csv_response(export)


@blueprint.get("/hr/exports/questions.csv")
@hr_required
def hr_export_questions() -> ResponseReturnValue:
    """Per question of every course version: times shown, answered wrong, share wrong."""
    return _csv_response(questions.questions_export(actor=actor(), record=_downloading()))


@blueprint.get("/hr/exports/trend.csv")
@hr_required
def hr_export_trend() -> ResponseReturnValue:
    """Per requirement and week, the last 52 weeks ending today: the count of each status."""
    return _csv_response(trend.trend_export(actor=actor(), record=_downloading()))
