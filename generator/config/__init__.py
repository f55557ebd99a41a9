"""The deployment config: models (models.py), loading (loader.py), the errors a user reads
(errors.py), and the AWS rules the values must meet (regions, bucket names, routes,
function folders)."""

import os

# pydantic looks for plugins in the entry points of every installed distribution when a
# model first validates (importlib.metadata: 30 ms of every command); these models use
# none. Setting the variable (to "" for every plugin) brings the search back.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

from generator.config.errors import ConfigError, FieldErrors
from generator.config.loader import load
from generator.config.models import (
    DEFAULT_CONFIG,
    DEPLOYMENT_STRATEGIES,
    RETENTION_DAYS,
    Alarms,
    Application,
    Config,
    Deployment,
    Function,
    Grant,
    Logging,
    LogLevel,
    Pipeline,
    Queue,
    Schedule,
    Strategy,
    Table,
    Targets,
    Use,
)

__all__ = [
    "DEFAULT_CONFIG",
    "DEPLOYMENT_STRATEGIES",
    "RETENTION_DAYS",
    "Alarms",
    "Application",
    "Config",
    "ConfigError",
    "Deployment",
    "FieldErrors",
    "Function",
    "Grant",
    "LogLevel",
    "Logging",
    "Pipeline",
    "Queue",
    "Schedule",
    "Strategy",
    "Table",
    "Targets",
    "Use",
    "load",
]
