"""One error tree; each edge (CLI, HTTP, chat) translates these once."""

from __future__ import annotations


class DjbotError(Exception):
    """Base error: `message` is for people (Chinese), `code` is stable for machines."""

    code = "error"
    status = 500

    def __init__(self, message: str, *, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class InvalidInputError(DjbotError):
    code = "invalid_input"
    status = 400


class IngestError(DjbotError):
    """A document could not be ingested; `source` names the file."""

    code = "ingest_failed"
    status = 422

    def __init__(self, source: str, message: str, *, detail: str = "") -> None:
        super().__init__(f"{source}: {message}", detail=detail)
        self.source = source
        self.reason = message


class UnsupportedFileError(IngestError):
    code = "unsupported_file"
    status = 415


class IndexNotBuiltError(DjbotError):
    code = "index_not_built"
    status = 503


class ConfigError(DjbotError):
    code = "config_error"
    status = 500


class EmbedderError(DjbotError):
    code = "embedder_error"
    status = 500


class DatasetError(DjbotError):
    code = "invalid_dataset"
    status = 400


class LLMError(DjbotError):
    code = "llm_error"
    status = 502


class VectorStoreError(DjbotError):
    """The Chroma server (DJBOT_CHROMA_URL) refused, failed or did not answer in time."""

    code = "vector_store_unavailable"
    status = 503


class LogUnavailableError(DjbotError):
    """The Q&A log's database cannot be reached: answers go on (kept in a local spool), the log pages wait."""

    code = "log_unavailable"
    status = 503


class StoreUnavailableError(DjbotError):
    """The document store's PostgreSQL server (DJBOT_STORE_URL) refused, failed or did not answer in time."""

    code = "document_store_unavailable"
    status = 503
