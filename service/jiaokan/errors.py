"""jiaokan's exceptions, in one place: the CLI and the HTTP layer turn each into a clear message."""


class JiaokanError(Exception):
    """Base of every error jiaokan raises on purpose."""


class InputError(JiaokanError):
    """The input cannot be used (not text, unknown encoding, empty name, ...)."""


class OutputError(JiaokanError):
    """An output cannot be written where every later one would fail too (a full disk, a
    read-only or failing file system): the run stops, keeping what it finished."""


class EditConflictError(JiaokanError):
    """Edits that do not fit their text: outside it, not matching it, or overlapping."""


class ConfigError(JiaokanError):
    """An engine or service setting with an unusable value."""


class ResourceError(JiaokanError):
    """Something the work needs is missing, malformed or unreachable: a lexicon or model file,
    the database."""


class NotFoundError(JiaokanError):
    """A stored document, proposal or term that does not exist."""


class ConflictError(JiaokanError):
    """A change that lost a race: someone else changed the same record first."""


class TooLargeError(InputError):
    """An input larger than the service takes in one request (HTTP 413)."""


class OverloadedError(JiaokanError):
    """Work that did not finish within its time budget and was stopped (HTTP 503)."""
