"""The one typed settings object, read once per process from the environment and `.env`.

SciCat's variable names are used wherever SciCat has one; our own settings carry
our own names (``AMQP_NAMESPACE``, ``EMBEDDED_STORE_PATH``, ``INGEST_*``).
Nothing else in the code base reads the environment: entry points call
:func:`load_settings` and pass the object down.
"""

from __future__ import annotations

import enum
import logging
import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

logger = logging.getLogger(__name__)


def _split_groups(value: Any) -> Any:
    """SciCat's group lists: comma-separated, trimmed, blanks dropped."""
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def _split_numbers(value: Any) -> Any:
    if isinstance(value, str):
        return [float(part) for part in value.split(",") if part.strip()]
    return value


def _yes(value: Any) -> Any:
    """SciCat's booleans are spelled ``yes``/``no`` (and sometimes ``true``)."""
    if isinstance(value, str):
        return value.strip().lower() in {"yes", "true", "1", "on", "y"}
    return value


GroupList = Annotated[list[str], NoDecode, BeforeValidator(_split_groups)]
YesNo = Annotated[bool, BeforeValidator(_yes)]
Delays = Annotated[list[float], NoDecode, BeforeValidator(_split_numbers)]


class TrackableStrategy(enum.StrEnum):
    DELTA = "delta"
    DOCUMENT = "document"


class EmailType(enum.StrEnum):
    SMTP = "smtp"
    MS365 = "ms365"


_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]?b)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {None: 1, "b": 1, "kb": 1024, "mb": 1024**2, "gb": 1024**3}


def parse_size(text: str) -> int:
    """Parse a body-parser size such as ``16mb`` into bytes."""
    match = _SIZE_RE.match(text)
    if match is None:
        raise ValueError(f"not a size: {text!r}")
    number, unit = match.groups()
    return int(float(number) * _SIZE_UNITS[unit.lower() if unit else None])


# SciCat settings that this project accepts but does not implement yet.
# They are warned about at start-up when set (see warn_unimplemented).
NOT_IMPLEMENTED = (
    "LDAP_URL",
    "LDAP_BIND_DN",
    "LDAP_BIND_CREDENTIALS",
    "LDAP_SEARCH_BASE",
    "LDAP_SEARCH_FILTER",
    "LDAP_MODE",
    "LDAP_EXTERNAL_ID",
    "LDAP_USERNAME",
    "OIDC_ISSUER",
    "OIDC_CLIENT_ID",
    "OIDC_CLIENT_SECRET",
    "OIDC_CALLBACK_URL",
    "OIDC_SCOPE",
    "OIDC_SUCCESS_URL",
    "OIDC_RETURN_URL",
    "OIDC_ACCESS_GROUPS",
    "OIDC_ACCESS_GROUPS_PROPERTY",
    "OIDC_AUTO_LOGOUT",
    "OIDC_FRONTEND_CLIENTS",
    "ACCESS_GROUPS_OIDCPAYLOAD_ENABLED",
    "ACCESS_GROUPS_GRAPHQL_ENABLED",
    "ACCESS_GROUP_SERVICE_TOKEN",
    "ACCESS_GROUP_SERVICE_API_URL",
    "ACCESS_GROUP_SERVICE_HANDLER",
    "EXPRESS_SESSION_SECRET",
    "EXPRESS_SESSION_STORE",
    "LOGBOOK_ENABLED",
    "LOGBOOK_BASE_URL",
    "LOGBOOK_USERNAME",
    "LOGBOOK_PASSWORD",
    "LOGOUT_URL",
    "REGISTER_DOI_URI",
    "REGISTER_METADATA_URI",
    "DOI_USERNAME",
    "DOI_PASSWORD",
    "OAI_PROVIDER_ROUTE",
    "PUBLIC_URL_PREFIX",
    "MS365_TENANT_ID",
    "MS365_CLIENT_ID",
    "MS365_CLIENT_SECRET",
    "MASK_PERSONAL_INFO",
    "METRICS_CONFIG_FILE",
    "LOGGERS_CONFIG_FILE",
    "HTTP_MAX_REDIRECTS",
    "HTTP_TIMEOUT",
)


class Settings(BaseSettings):
    """Every setting the system reads, with SciCat's defaults."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=True,
        populate_by_name=True,
        # An empty variable means "unset", as SciCat reads them.
        env_ignore_empty=True,
    )

    # --- HTTP ---------------------------------------------------------------
    PORT: int = 3000
    HOST: str = "0.0.0.0"
    MAX_FILE_UPLOAD_SIZE: str = "16mb"
    SWAGGER_PATH: str = "explorer"
    LOG_LEVEL: str = "INFO"
    LOG_FORMAT: str = "json"  # json | console

    # --- store --------------------------------------------------------------
    MONGODB_URI: str | None = None
    EMBEDDED_STORE_PATH: Path = Path("var")
    STORE_QUERY_TIMEOUT_MS: int = 5000
    # SQLite `synchronous` of the embedded store: "normal" survives a killed
    # process, "full" also a power cut (slower commits).
    EMBEDDED_STORE_SYNC: Literal["normal", "full"] = "normal"

    # --- RabbitMQ -----------------------------------------------------------
    RABBITMQ_ENABLED: YesNo = False
    RABBITMQ_HOSTNAME: str = "127.0.0.1"
    RABBITMQ_PORT: int = 5672
    RABBITMQ_USERNAME: str = "guest"
    RABBITMQ_PASSWORD: str = "guest"
    RABBITMQ_VHOST: str = "/"
    AMQP_NAMESPACE: str = "scicat"

    # --- ingest worker ------------------------------------------------------
    INGEST_PREFETCH: int = 64
    INGEST_TOKEN_GRACE_SECONDS: int = 86400
    INGEST_IDEMPOTENCY_TTL_DAYS: int = 30
    # On MongoDB, a claim of another worker that died mid-message is taken
    # over after this long (the embedded store has a single process).
    INGEST_CLAIM_LEASE_SECONDS: float = 60.0
    INGEST_RETRY_DELAYS: Delays = Field(
        default_factory=lambda: [1.0, 5.0, 30.0, 120.0, 600.0, 1800.0]
    )
    INGEST_RECONNECT_MAX_SECONDS: float = 30.0
    # Domain events (<entity>.created|updated|deleted) on <ns>.ingest.
    AMQP_EVENTS_ENABLED: YesNo = True
    AMQP_EVENTS_BUFFER: int = 10_000

    # --- identity -----------------------------------------------------------
    JWT_SECRET: str | None = None
    JWT_EXPIRES_IN: int = 3600
    JWT_NEVER_EXPIRES: str = "100y"
    FUNCTIONAL_ACCOUNTS_FILE: Path = Path("functionalAccounts.json")
    ACCESS_GROUPS_STATIC_ENABLED: YesNo = True
    ACCESS_GROUPS_STATIC_VALUES: GroupList = Field(default_factory=list)

    # --- permissions (SciCat semantics, see reference §5.1) -----------------
    ADMIN_GROUPS: GroupList = Field(default_factory=list)
    DELETE_GROUPS: GroupList = Field(default_factory=list)
    CREATE_DATASET_GROUPS: GroupList = Field(default_factory=lambda: ["#all"])
    CREATE_DATASET_WITH_PID_GROUPS: GroupList = Field(default_factory=list)
    CREATE_DATASET_PRIVILEGED_GROUPS: GroupList = Field(default_factory=list)
    # Raw strings: SciCat tests membership by substring for these.
    UPDATE_DATASET_LIFECYCLE_GROUPS: str = ""
    CREATE_JOB_PRIVILEGED_GROUPS: str = ""
    UPDATE_JOB_PRIVILEGED_GROUPS: str = ""
    DELETE_JOB_GROUPS: str = ""
    POLICY_GROUPS: GroupList = Field(default_factory=list)
    PROPOSAL_GROUPS: GroupList = Field(default_factory=list)
    SAMPLE_GROUPS: GroupList = Field(default_factory=lambda: ["#all"])
    SAMPLE_PRIVILEGED_GROUPS: GroupList = Field(default_factory=list)
    ATTACHMENT_GROUPS: GroupList = Field(default_factory=lambda: ["#all"])
    ATTACHMENT_PRIVILEGED_GROUPS: GroupList = Field(default_factory=list)
    HISTORY_ACCESS_DATASET_GROUPS: GroupList = Field(default_factory=list)
    HISTORY_ACCESS_PROPOSAL_GROUPS: GroupList = Field(default_factory=list)
    HISTORY_ACCESS_SAMPLE_GROUPS: GroupList = Field(default_factory=list)
    HISTORY_ACCESS_INSTRUMENT_GROUPS: GroupList = Field(default_factory=list)
    HISTORY_ACCESS_PUBLISHED_DATA_GROUPS: GroupList = Field(default_factory=list)
    HISTORY_ACCESS_POLICIES_GROUPS: GroupList = Field(default_factory=list)
    HISTORY_ACCESS_DATABLOCK_GROUPS: GroupList = Field(default_factory=list)
    HISTORY_ACCESS_ATTACHMENT_GROUPS: GroupList = Field(default_factory=list)

    # --- datasets -----------------------------------------------------------
    PID_PREFIX: str = ""
    DOI_PREFIX: str = ""
    DOI_SHORT_SUFFIX: YesNo = False
    DATASET_CREATION_VALIDATION_ENABLED: YesNo = False
    DATASET_CREATION_VALIDATION_REGEX: str = ""
    DATASET_TYPES_FILE: Path = Path("datasetTypes.json")
    PROPOSAL_TYPES_FILE: Path = Path("proposalTypes.json")
    POLICY_RETENTION_SHIFT: str = "0"
    POLICY_PUBLICATION_SHIFT: str = "0"
    DEFAULT_MANAGER: str = ""
    METADATA_KEYS_RETURN_LIMIT: int | None = None
    METADATA_PARENT_INSTANCES_RETURN_LIMIT: int | None = None
    TRACKABLES: str = ""
    TRACKABLE_STRATEGY: TrackableStrategy = TrackableStrategy.DOCUMENT

    # --- jobs ---------------------------------------------------------------
    JOB_CONFIGURATION_FILE: Path | None = None
    JOB_DEFAULT_STATUS_CODE: str = "jobSubmitted"
    JOB_DEFAULT_STATUS_MESSAGE: str = "Job submitted."

    # --- search -------------------------------------------------------------
    ELASTICSEARCH_ENABLED: YesNo = False
    ES_HOST: str | None = None
    ES_USERNAME: str | None = None
    ES_PASSWORD: str | None = None
    ES_INDEX: str = "dataset"
    ES_REFRESH: str = "false"
    ES_MAX_RESULT: int = 2_000_000
    ES_FIELDS_LIMIT: int = 1000

    # --- mail ---------------------------------------------------------------
    EMAIL_TYPE: EmailType = EmailType.SMTP
    EMAIL_FROM: str | None = None
    SMTP_MESSAGE_FROM: str | None = None
    EMAIL_REPLYTO: str | None = None
    SMTP_HOST: str | None = None
    SMTP_PORT: int = 587
    SMTP_SECURE: YesNo = False

    # --- site ---------------------------------------------------------------
    SITE: str = ""
    SCICAT_FRONTEND_URL: str = ""
    FRONTEND_CONFIG_FILE: Path | None = None
    FRONTEND_THEME_FILE: Path | None = None
    CONFIG_SYNC_TO_DB_LIST: GroupList = Field(default_factory=list)
    METRICS_ENABLED: YesNo = True

    @field_validator("MAX_FILE_UPLOAD_SIZE")
    @classmethod
    def _valid_size(cls, value: str) -> str:
        parse_size(value)
        return value

    @property
    def max_body_bytes(self) -> int:
        return parse_size(self.MAX_FILE_UPLOAD_SIZE)

    @property
    def mail_from(self) -> str | None:
        return self.EMAIL_FROM or self.SMTP_MESSAGE_FROM

    @property
    def amqp_url(self) -> str:
        from urllib.parse import quote

        vhost = quote(self.RABBITMQ_VHOST, safe="")
        user = quote(self.RABBITMQ_USERNAME, safe="")
        password = quote(self.RABBITMQ_PASSWORD, safe="")
        host = self.RABBITMQ_HOSTNAME
        return f"amqp://{user}:{password}@{host}:{self.RABBITMQ_PORT}/{vhost}"


def load_settings(**overrides: Any) -> Settings:
    """Read the settings once; entry points call this, tests pass overrides."""
    return Settings(**overrides)


def unimplemented_in_environment(
    environ: dict[str, str] | None = None,
) -> list[str]:
    """SciCat settings present in the environment that we do not implement yet."""
    env = os.environ if environ is None else environ
    return [name for name in NOT_IMPLEMENTED if env.get(name)]


def warn_unimplemented(environ: dict[str, str] | None = None) -> list[str]:
    names = unimplemented_in_environment(environ)
    for name in names:
        logger.warning("setting accepted but not implemented", extra={"setting": name})
    return names
