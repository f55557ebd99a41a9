"""The deployment config: models, loading, and the regions it may name."""

from generator.config.models import *  # noqa: F403
from generator.config.models import Config, ConfigError, load  # noqa: F401
