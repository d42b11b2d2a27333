"""AWS errors as coverage gaps: what failed, where, and AWS's error code — never a silent skip."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from ...models import CoverageGap, Provider
from ..shared import one_line


def error_code(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code") or "ClientError")
    return type(exc).__name__


def error_message(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        message = str(exc.response.get("Error", {}).get("Message") or exc)
    else:
        message = str(exc)
    return one_line(message)


def gap(exc: Exception, *, api: str, account: str | None = None, region: str | None = None) -> CoverageGap:
    return CoverageGap(
        provider=Provider.AWS,
        account=account,
        region=region,
        api=api,
        error_code=error_code(exc),
        message=error_message(exc),
    )


# What a collector step may raise and turn into a gap; anything else is a bug and propagates.
AWS_ERRORS: tuple[type[Exception], ...] = (ClientError, BotoCoreError)
