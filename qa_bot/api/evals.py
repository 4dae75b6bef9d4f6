"""``POST /eval``: score the bot on a gold set sent in the request, or on one bundled with it by name.

The gold set is never a path on the server: a name is looked up among the bundled sets
(:func:`~qa_bot.evaluation.dataset.bundled_gold_set`), and questions sent in the request (a JSON
list, a JSON-lines body, or a multipart upload) are saved in the data folder under a name made from
their hash, as the app's evals page saves an upload. The corpus is the server's own corpus folder.
"""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import APIRouter, Request
from pydantic import ValidationError

from qa_bot.api.errors import ApiError
from qa_bot.api.schemas import EvalOptions, EvalRequest, read_json_object

router = APIRouter(tags=["eval"])
#: Most questions one request may run (an eval costs about one answer per question).
MAX_QUESTIONS = 1000
_JSON_LINES = ("application/x-ndjson", "application/jsonl", "application/x-jsonlines", "application/jsonlines")


_EVAL_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": EvalRequest.model_json_schema()},
    "application/x-ndjson": {"schema": {"type": "string", "description": "Gold JSONL, one question a line; the "
                                        "options as query parameters."}},
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary", "description": "Gold JSONL."},
        **EvalOptions.model_json_schema()["properties"]}}},
}}}


@router.get("/eval/datasets")
def datasets() -> dict:
    """The bundled gold sets ``POST /eval`` takes by name."""
    from qa_bot.evaluation.dataset import bundled_gold_sets

    return {"datasets": [p.stem for p in bundled_gold_sets()]}


@router.post("/eval", openapi_extra=_EVAL_BODY)
async def run_eval(request: Request) -> dict:
    """Score the bot on a gold set, as ``qa-bot eval`` does, and return the metrics (slow: it builds an index of
    its own from the server's corpus folder). Send JSON ``{"dataset": NAME}`` for a bundled set, JSON
    ``{"questions": [...]}``, a JSON-lines body, or a multipart upload in the field ``file``; at most 1,000
    questions."""
    from starlette.concurrency import run_in_threadpool

    bot = request.app.state.bot
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "multipart/form-data":
        form = await request.form()
        try:
            upload = form.get("file")
            if upload is None or isinstance(upload, str):
                raise ApiError(422, "the upload has no file: send the gold JSONL in the multipart field 'file'")
            gold = (await upload.read(), upload.filename or "upload.jsonl")
            options = _options(EvalOptions, {k: v for k, v in form.items() if k != "file"})
        finally:
            await form.close()
    elif kind in _JSON_LINES:
        gold, options = (await request.body(), "the request body"), _options(EvalOptions, dict(request.query_params))
    elif kind in ("application/json", ""):
        options = _options(EvalRequest, await read_json_object(
            request, "send {\"dataset\": NAME} or {\"questions\": [...]}"))
        gold = _json_gold(options)
    else:
        raise ApiError(415, f"content type {kind!r} is not accepted; send JSON ({{\"dataset\": NAME}} or "
                            "{\"questions\": [...]}), gold JSONL as application/x-ndjson, or a multipart upload")
    return await run_in_threadpool(_evaluate, bot, gold, options)


def _options(model: type[EvalOptions], data: dict) -> EvalOptions:
    """``data`` validated as ``model``.

    Raises:
        ApiError: the first problem, naming the field (422).
    """
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise ApiError(422, f"{where}: {first['msg'].removeprefix('Value error, ')}; see /docs for POST /eval") from None


def _json_gold(body: EvalRequest) -> Path | tuple[bytes, str]:
    """The bundled set a JSON request names, or its questions as JSONL bytes.

    Raises:
        ApiError: neither or both given (422).
        InputError: no bundled set has the name.
    """
    from qa_bot.evaluation.dataset import bundled_gold_set

    if (body.dataset is None) == (body.questions is None):
        raise ApiError(422, "give either 'dataset' (the name of a bundled gold set, GET /eval/datasets) or "
                            "'questions' (the gold questions themselves)")
    if body.dataset is not None:
        return bundled_gold_set(body.dataset)
    return "\n".join(json.dumps(q, ensure_ascii=False) for q in body.questions).encode(), "questions"


def _evaluate(bot, gold: Path | tuple[bytes, str], options: EvalOptions) -> dict:
    """Run the eval of ``gold`` (a bundled set, or sent bytes and their name) with ``bot``'s settings and embedder;
    the run's metrics and where its reports went.

    Raises:
        ApiError: an invalid ablation or answerer (400), too many questions (413).
        InputError: a malformed gold set (naming the line), an unknown system, a bad ``k``.
    """
    from qa_bot.evaluation import evaluate
    from qa_bot.evaluation.dataset import load_gold, read_gold_upload
    from qa_bot.evaluation.report import write_reports
    from qa_bot.evaluation.tables import default_run_dir

    overrides = {"ablate": options.ablate} if options.ablate else {}
    if options.answerer is not None:
        overrides["llm"] = options.answerer
    try:
        settings = type(bot.settings)(**{**bot.settings.model_dump(), **overrides})
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ApiError(400, f"{first['loc'][0] if first['loc'] else 'request'}: "
                            f"{first['msg'].removeprefix('Value error, ')}") from None
    if isinstance(gold, Path):
        path, items = gold, load_gold(gold)
    else:
        path, items = read_gold_upload(*gold, folder=settings.data_dir / "gold-uploads")
    if len(items[: options.limit]) > MAX_QUESTIONS:
        raise ApiError(413, f"the gold set has {len(items):,} questions; one request runs at most {MAX_QUESTIONS:,} "
                            "(split it, or set 'limit')")
    run = evaluate(path, items=items, system=options.system, k=options.k, limit=options.limit,
                   embedder=bot.embedder, settings=settings)
    reports = {}
    if options.write_reports:
        target = default_run_dir(settings, options.system, path)
        reports = {name: str(p) for name, p in write_reports(run, target).items()}
    data = run.to_dict()
    return {"system": data["system"], "dataset": data["dataset"], "metrics": data["metrics"],
            "by_type": data["by_type"], "questions": len(run.records), "seconds": data["seconds"],
            "reports": reports}
