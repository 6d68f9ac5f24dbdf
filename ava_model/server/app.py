"""The FastAPI app of ``ava serve``: the JSON API under /v1, the web page at / and the failure reference at /modes.

The model is loaded once, at start-up, in the lifespan (or a loaded Predictor is passed in);
every request then scores with that one Predictor, which is thread-safe. The API docs at /docs (Swagger UI)
and /redoc load their scripts from this app (``DOCS_ASSETS_URL``), so they work offline.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from ava_model.accounts.store import Account, AccountStore
from ava_model.errors import AccountError, AvaError, InvalidPrompt, UnknownMode, UnknownPlatform
from ava_model.answer.reference import ModeReference
from ava_model.labels import score_log
from ava_model.rules.taxonomy import FailureMode, Platform
from ava_model.server.schemas import (
    MAX_BODY_BYTES,
    Health,
    NotFoundOut,
    ScoreItem,
    ScoreRequest,
    ScoreResponse,
    ValidationErrorOut,
)
from ava_model.server import auth
from ava_model.server.work_queue import QueueConfig, WorkQueue
from ava_model.core.validation import check_prompt

if TYPE_CHECKING:
    from ava_model.api import Predictor

STATIC_DIR = Path(__file__).parent / "static"
DOCS_ASSETS_URL = "/docs-assets"  # Swagger UI and ReDoc, served from the fastapi-offline package: /docs works offline

# The page loads only its own files; /docs and /redoc load theirs from DOCS_ASSETS_URL.
_PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class InputError(Exception):
    """Prompts or platforms that the rules refuse; carries FastAPI-shaped error items."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(errors)
        self.errors = errors


class BodyLimit:
    """ASGI middleware: answer 413 JSON to a request body over ``limit`` bytes.

    The body is read (up to the limit) before the app runs, so a chunked upload
    without Content-Length is refused as well as a declared one.
    """

    def __init__(self, app: Callable[..., Awaitable[None]], limit: int = MAX_BODY_BYTES) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, or answer 413 once its body exceeds the limit."""
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(send)
            return
        messages, size = [], 0
        while True:
            message = await receive()
            messages.append(message)
            size += len(message.get("body", b""))
            if size > self.limit:
                await self._refuse(send)
                return
            if message["type"] != "http.request" or not message.get("more_body", False):
                break

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps(
            {"detail": f"Request body is larger than {self.limit // 1024} KB; send fewer or shorter prompts."}
        ).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


def create_app(predictor: Predictor | None = None, *, model_uri: str | None = None,
               queue: QueueConfig | None = None, accounts: AccountStore | None = None) -> FastAPI:
    """Return the AVA FastAPI app.

    Parameters
    ----------
    predictor:
        A loaded Predictor to serve. When None, the model is loaded once at start-up
        with :func:`ava_model.api.load` (``model_uri``, else ``AVA_MODEL_URI``, else the shipped model).
    model_uri:
        Artifact folder or ``models:/`` URI, used only when ``predictor`` is None.
    queue:
        Limits of the bounded work queue in front of ``/v1/score`` (default :class:`QueueConfig`).
    accounts:
        The accounts file; with it, scoring and history need a token (:mod:`ava_model.server.auth`).
        None: single-user local mode.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if getattr(app.state, "predictor", None) is None:
            from ava_model.api import load

            app.state.predictor = load(model_uri)
        app.state.predictor.embedder.backend_used  # start the embedder now, not on the first request
        yield

    app = FastAPI(
        title="AVA",
        summary="Pre-flight failure risk for AI video generation prompts.",
        version=_package_version(),
        lifespan=lifespan,
        docs_url=None,  # FastAPI's own pages load Swagger UI and ReDoc from a CDN: _add_docs_routes serves them
        redoc_url=None,
    )
    app.state.predictor = predictor
    app.state.accounts = accounts
    app.add_middleware(WorkQueue, config=queue or QueueConfig())
    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)
    _add_error_handlers(app)
    _add_routes(app)
    _add_reference_routes(app)
    _add_docs_routes(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app


def docs_assets_dir() -> Path:
    """Return the folder of the Swagger UI and ReDoc bundles that /docs and /redoc load (no CDN).

    Returns
    -------
    pathlib.Path
        ``static/`` of the ``fastapi-offline`` package: ``swagger-ui-bundle.js`` and ``swagger-ui.css``
        (Swagger UI 5, Apache-2.0), ``redoc.standalone.js`` (ReDoc 2, MIT) and ``favicon.png``.
    """
    import fastapi_offline

    return Path(fastapi_offline.__file__).parent / "static"


def _add_docs_routes(app: FastAPI) -> None:
    """Add /docs (Swagger UI), its OAuth2 redirect and /redoc, with every asset served by this app."""
    from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html

    app.mount(DOCS_ASSETS_URL, StaticFiles(directory=docs_assets_dir()), name="docs-assets")
    redirect = "/docs/oauth2-redirect"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}", title=f"{app.title} API", oauth2_redirect_url=f"{root}{redirect}",
            swagger_js_url=f"{root}{DOCS_ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{DOCS_ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{DOCS_ASSETS_URL}/favicon.png",
            # validatorUrl None: Swagger UI would otherwise send the schema to an online validator for a badge
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get(redirect, include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(openapi_url=f"{root}{app.openapi_url}", title=f"{app.title} API",
                              redoc_js_url=f"{root}{DOCS_ASSETS_URL}/redoc.standalone.js",
                              redoc_favicon_url=f"{root}{DOCS_ASSETS_URL}/favicon.png", with_google_fonts=False)


def app_from_env() -> FastAPI:
    """Return the app of one ``ava serve --workers N`` worker process (model and limits from the environment).

    ``AVA_MODEL_URI`` names the model, ``AVA_QUEUE`` holds the QueueConfig as JSON and ``AVA_ACCOUNTS`` the
    accounts file (all set by ``ava serve``).
    """
    import os

    limits = json.loads(os.environ.get("AVA_QUEUE", "{}"))
    accounts = os.environ.get("AVA_ACCOUNTS")
    if accounts and not AccountStore.exists(accounts):  # never fall back to no-auth in a worker of a team server
        raise AccountError(f"AVA_ACCOUNTS={accounts} has no accounts; refusing to start a worker without them.")
    return create_app(model_uri=os.environ.get("AVA_MODEL_URI"), queue=QueueConfig(**limits),
                      accounts=AccountStore(accounts) if accounts else None)


def _package_version() -> str:
    from ava_model import __version__

    return __version__


def _predictor(request: Request) -> Predictor:
    return request.app.state.predictor


def _add_routes(app: FastAPI) -> None:
    @app.post("/v1/score", response_model=ScoreResponse, tags=["score"],
              responses={422: {"model": ValidationErrorOut}, 413: {"description": "Request body over 256 KB."}})
    def score(body: ScoreRequest, request: Request,
              account: Account | None = Depends(auth.current_account)) -> dict[str, Any]:
        """Score prompts on platforms: per-mode risks, light, and (with ``explain``) what to do about them.

        With accounts, needs ``Authorization: Bearer <token>``; the scores join the token's account and
        count against its plan's quota.
        """
        predictor = _predictor(request)
        items = body.resolved()
        _check_items(predictor, items, body.batch)
        user = auth.charge(request, account, len(items), body.user)
        reports = [predictor.predict(i.prompt, i.platform, explain=body.explain) for i in items]
        for report in reports:
            score_log.append(report, user)
        thresholds = predictor.rules.thresholds
        return {
            "results": [r.to_dict() for r in reports],
            "model_version": predictor.version,
            "thresholds": {"yellow": thresholds.yellow, "red": thresholds.red},
        }

    @app.get("/v1/failure-modes", response_model=list[FailureMode], tags=["reference"])
    def failure_modes(request: Request) -> list[dict[str, Any]]:
        """List the failure modes of the taxonomy."""
        return [m.to_dict() for m in _predictor(request).rules.modes]

    @app.get("/v1/platforms", response_model=list[Platform], tags=["reference"])
    def platforms(request: Request) -> list[dict[str, Any]]:
        """List the known platforms, with their support channels and audio capability."""
        return [p.to_dict() for p in _predictor(request).rules.platforms]

    @app.get("/healthz", response_model=Health, tags=["ops"])
    def healthz(request: Request) -> dict[str, str]:
        """Report that the model is loaded, its version, and what runs the embedder."""
        predictor = _predictor(request)
        return {"status": "ok", "model_version": predictor.version, "embedder_backend": predictor.embedder.backend_used}

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", headers=_PAGE_HEADERS)


def _add_reference_routes(app: FastAPI) -> None:
    """Add the failure reference: one page per mode and platform, as JSON and as server-rendered HTML."""
    from ava_model.answer.reference import mode_reference
    from ava_model.server import pages

    @app.get("/v1/modes/{mode}", response_model=ModeReference, tags=["reference"],
             responses={404: {"model": NotFoundOut, "description": "Unknown mode or platform; lists the valid ids."}})
    def mode_page_json(mode: str, request: Request, platform: str | None = None) -> Any:
        """Return the reference page of a failure mode on a platform: symptoms, prevention, escalation, safer platforms."""
        predictor = _predictor(request)
        platform = platform or predictor.rules.thresholds.default_platform
        try:
            return mode_reference(predictor, mode, platform).to_dict()
        except (UnknownMode, UnknownPlatform) as exc:
            return JSONResponse(status_code=404, content={"detail": str(exc)})

    @app.get("/v1/history", tags=["history"], responses={401: {"description": "Missing or bad token."},
                                                        403: {"description": "Another user's history."}})
    def history_json(user: str | None = None, account: Account | None = Depends(auth.current_account)) -> dict[str, Any]:
        """One user's scored prompts and reported failures; with accounts, only the token's own (admins: anyone's)."""
        from ava_model.labels.history import user_history

        return user_history(auth.history_user(account, user)).to_dict()

    @app.get("/history", include_in_schema=False, response_model=None)
    def history_html(request: Request, user: str | None = None) -> Any:
        from ava_model.labels.history import user_history
        from ava_model.server.history_page import history_page

        try:
            account = auth.current_account(request)
            shown = auth.history_user(account, user)
        except HTTPException as exc:
            if exc.status_code == 401:
                return auth.signin_page(str(exc.detail), 401)
            return _html(pages.not_found_page(str(exc.detail)), exc.status_code)
        return _html(history_page(user_history(shown)))

    @app.get("/signin", include_in_schema=False)
    def signin_form() -> HTMLResponse:
        return auth.signin_page()

    app.add_api_route("/signin", auth.signin, methods=["POST"], include_in_schema=False, response_model=None)
    app.add_api_route("/signout", auth.signout, methods=["POST", "GET"], include_in_schema=False, response_model=None)

    @app.get("/modes", include_in_schema=False)
    def modes_page(request: Request, platform: str | None = None) -> HTMLResponse:
        predictor = _predictor(request)
        platform = platform or predictor.rules.thresholds.default_platform
        try:
            refs = [mode_reference(predictor, m, platform) for m in predictor.rules.mode_ids]
        except UnknownPlatform as exc:
            return _html(pages.not_found_page(str(exc)), 404)
        return _html(pages.modes_index(refs, predictor.rules, platform))

    @app.get("/modes/{mode}", include_in_schema=False)
    def mode_page(mode: str, request: Request, platform: str | None = None) -> HTMLResponse:
        predictor = _predictor(request)
        platform = platform or predictor.rules.thresholds.default_platform
        try:
            ref = mode_reference(predictor, mode, platform)
        except (UnknownMode, UnknownPlatform) as exc:
            return _html(pages.not_found_page(str(exc)), 404)
        return _html(pages.reference_page(ref, predictor.rules))


def _html(body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(body, status_code=status, headers=_PAGE_HEADERS)


def _check_items(predictor: Predictor, items: list[ScoreItem], batch: bool) -> None:
    """Raise InputError listing every prompt and platform the rules refuse, before any scoring."""
    errors = []
    for i, item in enumerate(items):
        where: list[str | int] = ["body", "items", i] if batch else ["body"]
        try:
            check_prompt(item.prompt, predictor.rules.thresholds.max_prompt_chars)
        except InvalidPrompt as exc:
            errors.append({"loc": [*where, "prompt"], "msg": str(exc), "type": "value_error"})
        try:
            predictor.rules.platform(item.platform)
        except UnknownPlatform as exc:
            errors.append({"loc": [*where, "platform"], "msg": str(exc), "type": "value_error"})
    if errors:
        raise InputError(errors)


def _printable(value: Any) -> Any:
    """Return a JSON-safe copy of a validation error's parts: strings ASCII-escaped (a lone surrogate cannot be sent)."""
    if isinstance(value, dict):
        return {str(k): _printable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_printable(v) for v in value]
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    text = value if isinstance(value, str) else str(value)
    return text[:200].encode("ascii", "backslashreplace").decode("ascii") if not text.isascii() else text[:200]


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def request_validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's own handler echoes the input, which fails to encode when it holds a lone surrogate (a 500).
        errors = []
        for error in exc.errors():
            error = dict(error)
            if error.get("type") == "string_unicode":
                error["msg"] += ": the text holds a lone surrogate or invalid UTF-8; send UTF-8 text"
            errors.append(_printable(error))
        return JSONResponse(status_code=422, content={"detail": errors})

    @app.exception_handler(InputError)
    async def input_error(request: Request, exc: InputError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": exc.errors})

    @app.exception_handler(AccountError)
    async def account_error(request: Request, exc: AccountError) -> JSONResponse:
        # The accounts file is unreadable or locked, or an account's plan was removed: not the caller's fault,
        # and the message (a server path) stays in the server's log.
        import logging

        logging.getLogger("ava.server").error("accounts: %s", exc)
        return JSONResponse(status_code=503, content={"detail": "Accounts are unavailable right now; try again later."},
                            headers={"Retry-After": "5"})

    @app.exception_handler(AvaError)
    async def ava_error(request: Request, exc: AvaError) -> JSONResponse:
        # Input errors are caught field by field in _check_items; one arriving here is still
        # the caller's fault, anything else (rules, artifact) is the server's.
        if isinstance(exc, (InvalidPrompt, UnknownPlatform)):
            return JSONResponse(status_code=422, content={"detail": [{"loc": ["body"], "msg": str(exc), "type": "value_error"}]})
        return JSONResponse(status_code=500, content={"detail": str(exc)})
