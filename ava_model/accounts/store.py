"""Accounts and API keys for a team deployment of ``ava serve``: SQLite beside the label store.

A token is ``ava_`` + 32 random bytes (URL-safe base64), printed once by ``ava users add`` or
``ava users rotate``. Only its SHA-256 is stored: a token carries 256 bits of randomness, so a slow
password hash adds nothing, and a leaked database gives no usable token. Tokens are looked up by
hash and compared with :func:`hmac.compare_digest`. Every change is one SQLite transaction
(atomic); the same file holds the plan quota counters (:mod:`ava_model.accounts.quota`).

Python (:func:`ava_model.predict`) and the CLI never need an account: accounts only gate the server.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import os
import re
import secrets
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ava_model.errors import AccountError

TOKEN_PREFIX = "ava_"
ROLES = ("user", "admin")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    plan TEXT NOT NULL,
    token_sha256 TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    rotated_at TEXT,
    revoked_at TEXT
);
CREATE TABLE IF NOT EXISTS usage (
    name TEXT NOT NULL,
    window TEXT NOT NULL,
    window_start TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (name, window)
);
"""


def default_accounts_path() -> Path:
    """Return ``AVA_ACCOUNTS`` or ``users.db`` beside the label store."""
    from ava_model.labels.store import default_store_path

    env = os.environ.get("AVA_ACCOUNTS")
    return Path(env) if env else default_store_path().parent / "users.db"


def token_hash(token: str) -> str:
    """Return the hex SHA-256 of a token (what the store keeps)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class Account:
    """One account: its name (the user id of its history), role, plan and state. Never holds the token."""

    name: str
    role: str
    plan: str
    created_at: str
    rotated_at: str | None = None
    revoked_at: str | None = None

    @property
    def active(self) -> bool:
        """Return True unless the account was revoked."""
        return self.revoked_at is None

    def to_dict(self) -> dict[str, object]:
        """Return a JSON-serialisable dict (no token, no hash)."""
        return {"name": self.name, "role": self.role, "plan": self.plan, "created_at": self.created_at,
                "rotated_at": self.rotated_at, "revoked_at": self.revoked_at, "active": self.active}


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


class AccountStore:
    """The accounts file: add, list, revoke, rotate, and resolve a token to its account."""

    def __init__(self, path: str | Path | None = None, timeout: float = 30.0):
        self.path = Path(path) if path is not None else default_accounts_path()
        self.timeout = timeout
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise AccountError(f"Cannot create the folder of the accounts file {self.path}: {exc.strerror or exc}. "
                               "Point AVA_ACCOUNTS (or --accounts) at a file in a writable folder.") from exc
        with self.connect() as conn:
            conn.executescript(_SCHEMA)

    @contextlib.contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """Yield a connection (autocommit; callers open their own transactions); SQLite errors become AccountError."""
        conn = None
        try:
            conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute(f"PRAGMA busy_timeout={int(self.timeout * 1000)}")
            yield conn
        except sqlite3.DatabaseError as exc:
            raise AccountError(f"Accounts file {self.path}: {exc}. Restore it from a backup or point AVA_ACCOUNTS "
                               "elsewhere.") from exc
        finally:
            if conn is not None:
                conn.close()

    @staticmethod
    def exists(path: str | Path | None = None) -> bool:
        """Return True if an accounts file with at least one account exists (the server then requires tokens)."""
        path = Path(path) if path is not None else default_accounts_path()
        if not path.is_file():
            return False
        try:
            with sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True) as conn:
                return conn.execute("SELECT COUNT(*) FROM accounts").fetchone()[0] > 0
        except sqlite3.DatabaseError as exc:
            raise AccountError(f"Accounts file {path} cannot be read ({exc}); refusing to serve without it.") from exc

    def add(self, name: str, plan: str = "free", role: str = "user") -> str:
        """Create an account and return its token (shown once; only its hash is stored)."""
        from ava_model.rules.plans import load_plans

        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise AccountError(f"Account name must be 1-64 letters, digits or _.@- (starting with a letter or digit), "
                               f"got {name!r}.")
        load_plans().plan(plan)  # raises naming the valid plans
        if role not in ROLES:
            raise AccountError(f"Unknown role {role!r}; valid roles: {', '.join(ROLES)}.")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.connect() as conn:
            try:
                conn.execute("INSERT INTO accounts (name, role, plan, token_sha256, created_at) VALUES (?, ?, ?, ?, ?)",
                             (name, role, plan, token_hash(token), _now()))
            except sqlite3.IntegrityError:
                raise AccountError(f"Account {name!r} already exists; use `ava users rotate {name}` for a new token.") \
                    from None
        return token

    def list(self) -> list[Account]:
        """Return every account, revoked ones included, by name."""
        with self.connect() as conn:
            rows = conn.execute("SELECT name, role, plan, created_at, rotated_at, revoked_at FROM accounts "
                                "ORDER BY name").fetchall()
        return [Account(*row) for row in rows]

    def get(self, name: str) -> Account:
        """Return one account or raise AccountError naming the known accounts."""
        for account in self.list():
            if account.name == name:
                return account
        known = ", ".join(a.name for a in self.list()) or "none yet"
        raise AccountError(f"No account {name!r}; accounts: {known}.")

    def revoke(self, name: str) -> Account:
        """Revoke an account: its token stops working at once. Its history stays."""
        self.get(name)
        with self.connect() as conn:
            conn.execute("UPDATE accounts SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL", (_now(), name))
        return self.get(name)

    def rotate(self, name: str) -> str:
        """Give an account a new token (the old one stops working) and return it; a revoked account is restored."""
        self.get(name)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.connect() as conn:
            conn.execute("UPDATE accounts SET token_sha256 = ?, rotated_at = ?, revoked_at = NULL WHERE name = ?",
                         (token_hash(token), _now(), name))
        return token

    def authenticate(self, token: str | None) -> Account | None:
        """Return the active account of a token, or None (missing, malformed, unknown or revoked)."""
        if not token or not isinstance(token, str) or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        digest = token_hash(token)
        with self.connect() as conn:
            row = conn.execute("SELECT name, role, plan, created_at, rotated_at, revoked_at, token_sha256 "
                               "FROM accounts WHERE token_sha256 = ?", (digest,)).fetchone()
        if row is None or not hmac.compare_digest(row[6], digest):
            return None
        account = Account(*row[:6])
        return account if account.active else None

