"""Who may call what: bearer tokens (or the sign-in cookie) when the server has accounts, nothing otherwise.

With an accounts file (:class:`ava_model.accounts.store.AccountStore`), ``/v1/score`` and the history routes need
``Authorization: Bearer <token>``, or the ``ava_session`` cookie set by the sign-in form. The user is always
the token's account; another user's history is readable only by an ``admin``. Missing or bad tokens give
401, another user's data 403, a plan without a feature 403, a spent quota 429 with ``Retry-After``. No
response and no log line carries a token: errors name the account, never the credential.

Without accounts the server is in single-user local mode (``ava serve`` then refuses non-loopback hosts).
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

if TYPE_CHECKING:
    from ava_model.accounts.store import Account, AccountStore
    from ava_model.rules.plans import Plan

COOKIE = "ava_session"
_BEARER = {"WWW-Authenticate": 'Bearer realm="ava"'}


def accounts_of(request: Request) -> AccountStore | None:
    """Return the server's accounts store, or None in single-user local mode."""
    return getattr(request.app.state, "accounts", None)


def _token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return request.cookies.get(COOKIE)


def current_account(request: Request) -> Account | None:
    """Return the caller's account; None in local mode. Raise 401 when accounts exist and the token is bad."""
    store = accounts_of(request)
    if store is None:
        return None
    token = _token(request)
    if not token:
        raise HTTPException(401, "This server has accounts: send 'Authorization: Bearer <token>' "
                                 "(create one with `ava users add NAME`).", headers=_BEARER)
    account = store.authenticate(token)
    if account is None:
        raise HTTPException(401, "The token is unknown or was revoked; ask for a new one "
                                 "(`ava users rotate NAME`).", headers=_BEARER)
    return account


def plan_of(account: Account) -> Plan:
    """Return the account's plan (403 if plans.yaml no longer has it)."""
    from ava_model.errors import AccountError
    from ava_model.rules.plans import load_plans

    try:
        return load_plans().plan(account.plan)
    except AccountError:
        raise HTTPException(403, f"Account {account.name!r} is on plan {account.plan!r}, which this server no longer "
                                 "offers; ask an administrator to move it to another plan.") from None


def charge(request: Request, account: Account | None, n: int, body_user: str | None) -> str | None:
    """Check one scoring request of n prompts against the account; return the user id its scores join.

    Raises 403 when the body names another user or the batch is over the plan's size, 429 when the
    plan's quota has no room for n more prompts.
    """
    if account is None:
        return body_user
    if body_user is not None and body_user != account.name:
        raise HTTPException(403, f"'user' must be omitted or be your own account ({account.name!r}); "
                                 "scores always join the token's account.")
    plan = plan_of(account)
    if n > plan.max_batch:
        raise HTTPException(403, f"Plan {plan.name!r} scores at most {plan.max_batch} prompt(s) per request; "
                                 f"this request has {n}.")
    from ava_model.accounts.quota import consume

    decision = consume(accounts_of(request), account.name, plan, n)
    if not decision.allowed:
        retry = decision.retry_after_s()
        raise HTTPException(429, f"Plan {plan.name!r} allows {decision.limit} prompts per {decision.window}; "
                                 f"{decision.used} used. The quota resets at {decision.resets_at.isoformat()}.",
                            headers={"Retry-After": str(retry), "X-Quota-Reset": decision.resets_at.isoformat()})
    return account.name


def history_user(account: Account | None, requested: str | None) -> str:
    """Return whose history the caller may read: their own, or anyone's for an admin (403 otherwise)."""
    if account is None:
        if not requested:
            raise HTTPException(422, "Give ?user=ID (the id the scores and labels were stored under).")
        return requested
    if not plan_of(account).history and account.role != "admin":
        raise HTTPException(403, f"Plan {account.plan!r} has no history dashboard (see data/rules/plans.yaml).")
    user = requested or account.name
    if user != account.name and account.role != "admin":
        raise HTTPException(403, f"Account {account.name!r} may read only its own history.")
    return user


def signin_page(message: str = "", status: int = 200) -> HTMLResponse:
    """Return the small sign-in form: the token is posted once and kept in an HttpOnly cookie."""
    from ava_model.server.pages import render

    return HTMLResponse(render("signin.html", message=message), status_code=status,
                        headers={"Cache-Control": "no-store"})


async def signin(request: Request) -> HTMLResponse | RedirectResponse:
    """Handle the sign-in form: a valid token becomes an HttpOnly, SameSite=Strict cookie."""
    store = accounts_of(request)
    if store is None:
        return RedirectResponse("/", status_code=303)
    origin = request.headers.get("origin")
    if origin and urlsplit(origin).netloc != request.headers.get("host", ""):
        return signin_page("Sign in from this server's own page.", 403)  # login CSRF from another site
    raw = (await request.body()).decode("utf-8", "replace")
    token = (parse_qs(raw).get("token") or [""])[0].strip()
    account = store.authenticate(token)
    if account is None:
        return signin_page("That token is unknown or was revoked.", 401)
    response = RedirectResponse("/history", status_code=303)
    https = request.url.scheme == "https" or request.headers.get("x-forwarded-proto", "").lower() == "https"
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", secure=https, max_age=30 * 24 * 3600, path="/")
    return response


def signout() -> RedirectResponse:
    """Clear the sign-in cookie."""
    response = RedirectResponse("/signin", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response
