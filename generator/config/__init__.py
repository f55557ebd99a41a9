"""The deployment config: models (models.py), loading (loader.py), the errors a user reads
(errors.py), and the AWS rules the values must meet (regions, bucket names, routes,
function folders)."""

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
    Strategy,
    Targets,
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
    "Strategy",
    "Targets",
    "load",
]
