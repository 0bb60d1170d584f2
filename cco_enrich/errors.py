"""Every exception cco_enrich raises on purpose.

* EnrichError
  x InvalidDOIError(ValueError)      input is not a DOI; never retried
  x InvalidIdentifierError(ValueError)  input is no identifier of any scheme we read
  x InputError(ValueError)           an identifier list we cannot read; the API answers 4xx
    + InputTooLargeError             over CCO_MAX_UPLOAD_BYTES or CCO_MAX_IDENTIFIERS; 413
    + UnsupportedMediaTypeError      a Content-Type we cannot read; 415
    + UnknownStatusError             a ?status= filter naming no resource status; 400
      x UnknownFormatError(ValueError)   an export format we do not write; the API answers 400
    + OutboundRefusedError           a URL we will not fetch or call (scheme, private address)
      + WebhookRefusedError          a callback_url we will not call
  x TooManyRedirectsError            a landing page redirected more than 10 times, or in a loop
  x RegistryError                    Crossref/DataCite/doi.org answered badly
    + RegistryUnavailableError       429, 5xx, timeout, garbage: retried, then a failed outcome
    + BatchRejectedError             400/414 on a batch: split and retried
  x SessionNotFoundError             unknown session id; the API answers 404
  x SessionBusyError                 an enrichment is already queued or running; the API answers 409
  x LeaseLostError                   another worker holds the session now; this run stands down
  x LimitExceededError               a client limit (sessions per minute, queued sessions); 429
  x BodyTimeoutError                 the request body did not arrive in CCO_BODY_TIMEOUT_S; 408
"""

from __future__ import annotations

from collections.abc import Iterable


class EnrichError(Exception):
    """Base class of every error cco_enrich raises on purpose."""


class InvalidDOIError(EnrichError, ValueError):
    def __init__(self, raw: str) -> None:
        super().__init__(f"{raw!r} is not a DOI; expected something like '10.5555/12345678'.")
        self.raw = raw


class InvalidIdentifierError(EnrichError, ValueError):
    def __init__(self, raw: str, message: str) -> None:
        super().__init__(message)
        self.raw = raw


class InputError(EnrichError, ValueError):
    """The identifier list could not be read."""


class InputTooLargeError(InputError):
    """The upload or the number of identifiers is over the configured limit."""


class UnsupportedMediaTypeError(InputError):
    def __init__(self, media_type: str) -> None:
        super().__init__(
            f"Content-Type {media_type or 'missing'!r} is not supported; send application/json, "
            "text/plain, text/csv, application/x-bibtex or a multipart/form-data file upload."
        )
        self.media_type = media_type


class UnknownStatusError(InputError):
    def __init__(self, unknown: Iterable[str], known: Iterable[str]) -> None:
        super().__init__(f"unknown status {sorted(unknown)}; use {list(known)}")


class UnknownFormatError(EnrichError, ValueError):
    def __init__(self, name: str, known: Iterable[str]) -> None:
        super().__init__(f"Unknown export format {name!r}; use one of: {', '.join(known)}.")
        self.name = name


class RegistryError(EnrichError):
    """An upstream registry answered in a way we cannot use."""


class RegistryUnavailableError(RegistryError):
    """A transient upstream fault (429, 5xx, timeout, unparseable body); worth retrying."""

    def __init__(self, message: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class BatchRejectedError(RegistryError):
    """The upstream refused a whole batch (400 validation failure, 414 URI too long)."""


class SessionNotFoundError(EnrichError):
    def __init__(self, session_id: str) -> None:
        super().__init__(
            f"Session {session_id!r} does not exist or has expired; "
            "create one with POST /api/sessions."
        )
        self.session_id = session_id


class SessionBusyError(EnrichError):
    def __init__(self, session_id: str, state: str) -> None:
        super().__init__(
            f"Session {session_id!r} is {state}; wait for it to finish or cancel it first."
        )
        self.session_id = session_id
        self.state = state


class OutboundRefusedError(InputError):
    """A URL we will not fetch or call: not http(s), user information, or a refused address."""

    def __init__(self, url: str, reason: str, *, allowable: bool = False) -> None:
        hint = (
            "; set CCO_OUTBOUND_ALLOW_PRIVATE=true to allow private addresses" if allowable else ""
        )
        super().__init__(f"{url!r} is refused: {reason}{hint}.")
        self.url = url
        self.reason = reason
        self.allowable = allowable


class WebhookRefusedError(OutboundRefusedError):
    """The callback URL is not one we will call (bad scheme, private address)."""

    def __init__(self, url: str, reason: str, *, allowable: bool = False) -> None:
        super().__init__(url, reason, allowable=allowable)
        self.args = (f"callback_url {self.args[0]}",)


class TooManyRedirectsError(EnrichError):
    def __init__(self, url: str, hops: int) -> None:
        super().__init__(f"{url!r} redirected {hops} times or in a loop; open it in a browser.")
        self.url = url
        self.hops = hops


class LimitExceededError(EnrichError):
    """A limit a client may not exceed; the API answers 429 with `Retry-After`."""

    def __init__(self, message: str, *, retry_after_s: float) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class BodyTimeoutError(EnrichError):
    """The request body arrived too slowly (a slow-loris client); the API answers 408."""


class LeaseLostError(EnrichError):
    """A run's lease is gone (it stalled past CCO_LEASE_TTL_S and another worker took over)."""

    def __init__(self, session_id: str) -> None:
        super().__init__(
            f"Session {session_id!r} is no longer leased by this worker; another one goes on."
        )
        self.session_id = session_id
