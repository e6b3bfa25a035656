"""The one exception hierarchy and the exit codes it maps to.

0 ok, 1 user or configuration error, 2 internal error, 3 verification failed,
130 interrupted. A `UserError` is printed as one line, no traceback.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_USER = 1
EXIT_INTERNAL = 2
EXIT_VERIFY = 3
EXIT_INTERRUPTED = 130


class HerokuflyError(Exception):
    """Base of every error herokufly raises on purpose."""

    exit_code = EXIT_INTERNAL

    def __init__(self, message: str, *, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def one_line(self) -> str:
        text = self.message.rstrip(".")
        if self.hint:
            text = f"{text}. {self.hint}"
        return text.replace("\n", " ")


class UserError(HerokuflyError):
    """Something the user can fix: bad input, missing token, refused action."""

    exit_code = EXIT_USER


class ConfigError(UserError):
    """A malformed file or invalid option (Procfile, app.json, fly.toml, names)."""


class ServiceError(UserError):
    """A service (Heroku, Fly, GitHub, PostgreSQL) refused or failed a request."""


class HerokuError(ServiceError):
    pass


class FlyError(ServiceError):
    pass


class GitHubError(ServiceError):
    pass


class DatabaseError(ServiceError):
    pass


class VerificationFailed(HerokuflyError):
    """The copy finished but the target does not match the source."""

    exit_code = EXIT_VERIFY


class Interrupted(HerokuflyError):
    exit_code = EXIT_INTERRUPTED


class InternalError(HerokuflyError):
    exit_code = EXIT_INTERNAL
