"""The ``/articles`` routes: list, read, add (JSON article, file upload or URL) and delete.

Adding goes through the same library calls as the app's corpus page (``add_text``, ``add_upload``,
``add_url``), so validation, size limits and messages are the CLI's and the app's.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import ValidationError

from qa_bot.api.errors import ApiError
from qa_bot.api.schemas import ArticleIn, UrlIn, read_json_object
from qa_bot.documents import AddResult
from qa_bot.terminal import article_record

router = APIRouter(prefix="/articles", tags=["articles"])

_ADD_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"oneOf": [ArticleIn.model_json_schema(), UrlIn.model_json_schema()]}},
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary", "description": "Markdown, text, HTML, PDF or JSONL."}}}},
}}}


@router.get("")
def list_articles(request: Request) -> list[dict]:
    """Every indexed article's metadata, newest first (the shape of ``qa-bot list --json``)."""
    return [article_record(r) for r in request.app.state.bot.articles()]


@router.get("/{article_id}")
def get_article(article_id: str, request: Request) -> dict:
    """One article, its full text included; ``article_id`` may be a unique start of an id (4+ characters)."""
    bot = request.app.state.bot
    record = bot.article(*bot.resolve_ids(article_id))
    return dict(article_record(record), text=record.article.text)


@router.delete("/{article_id}")
def delete_article(article_id: str, request: Request) -> dict:
    """Delete an article and every chunk of it (a bundled one comes back on the next ingest)."""
    bot = request.app.state.bot
    removed = bot.remove(*bot.resolve_ids(article_id))
    return {"removed": removed, "index": bot.stats()}


@router.post("", openapi_extra=_ADD_BODY, status_code=200)
async def add_article(request: Request) -> dict:
    """Add an article: JSON ``{title, text, outlet, url, published, author}``, JSON ``{"url"}`` (a web page to
    fetch), or a multipart upload in the field ``file``. Re-adding an unchanged article does nothing.

    A refused input is a 4xx with its one-line message; when a bulk upload is partly refused, the
    accepted articles are added and the refusals are listed in ``errors``.
    """
    from starlette.concurrency import run_in_threadpool

    bot = request.app.state.bot
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        data, filename = await _upload(request)
        oversize = len(data) > int(bot.settings.max_upload_mb * 1e6)
        result = await run_in_threadpool(bot.add_upload, data, filename)
        return _outcome(bot, result, 413 if oversize else 422)
    if content_type not in ("application/json", ""):
        raise ApiError(415, f"content type {content_type!r} is not accepted; send JSON (an article or "
                            "{\"url\": ...}) or multipart/form-data with the file in the field 'file'")
    body = await read_json_object(request, "an article {title, text, outlet, url, published} or {\"url\": ...}")
    try:
        if "text" in body or "url" not in body:
            article = ArticleIn.model_validate(body)
            call = lambda: bot.add_text(article.text, title=article.title, outlet=article.outlet,  # noqa: E731
                                        url=article.url, published=article.published, author=article.author)
        else:
            target = UrlIn.model_validate(body)
            call = lambda: bot.add_url(target.url.strip())  # noqa: E731
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise ApiError(422, f"{where}: {first['msg']}; send {{title, text, outlet, url, published}} "
                            "or {\"url\": ...}") from None
    return _outcome(bot, await run_in_threadpool(call), 422)


async def _upload(request: Request) -> tuple[bytes, str]:
    """The bytes and name of the multipart field ``file``.

    Raises:
        ApiError: no such field, or it is not a file (422).
    """
    form = await request.form()
    try:
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise ApiError(422, "the upload has no file: send it in the multipart field 'file'")
        return await upload.read(), upload.filename or "upload"
    finally:
        await form.close()


def _outcome(bot, result: AddResult, refusal_status: int) -> dict:
    """The add's report (the shape of ``qa-bot add --json``), or the refusal when nothing was accepted.

    Raises:
        ApiError: every input was refused (``refusal_status``, the first refusal's message).
    """
    report = result.report
    accepted = report.added or report.updated or report.unchanged
    errors = [str(e) for e in result.errors]
    if errors and not accepted:
        if len(errors) == 1:
            raise ApiError(refusal_status, errors[0])
        raise ApiError(refusal_status, f"{errors[0]} (and {len(errors) - 1} more refusal(s), listed in 'errors')",
                       extra={"errors": errors})
    return {"added": report.added, "updated": report.updated, "unchanged": report.unchanged,
            "duplicates": report.duplicates, "conflicts": report.conflicts, "chunks_written": report.chunks_written,
            "summaries": result.summaries, "errors": errors, "index": bot.stats()}

