"""gunicorn's settings for this app, read from the directory gunicorn starts in.

Several workers must share one cache: with each worker's own in-memory cache, a change
saved through one worker would show stale through another for up to CACHE_EXPIRATION
seconds. So they are refused, with what to set instead.
"""

import os
import sys

from plugin_admin.config import PROCESS_LOCAL_CACHE, cache_settings


def on_starting(server):
    cache_type = cache_settings(os.environ.get("CACHE_URL", ""))["CACHE_TYPE"]
    if server.cfg.workers > 1 and cache_type == PROCESS_LOCAL_CACHE:
        server.log.error(
            "%d workers would each keep their own cache and show each other's changes late. "
            "Set CACHE_URL to a shared cache (redis://host:6379/0, or file:///a/directory for the "
            "workers of one host), or run one worker.",
            server.cfg.workers,
        )
        sys.exit(1)
