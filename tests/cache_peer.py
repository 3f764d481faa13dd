"""A second process for cache-coherence tests: reads prompts by plugin id from stdin.

Run as ``python -m tests.cache_peer`` with DATABASE_URL, CACHE_URL and CACHE_KEY_PREFIX
set; prints each prompt's ``to_json()`` (or null) as one JSON line.
"""

import json
import sys

from plugin_admin import create_app
from plugin_admin.extensions import db
from plugin_admin.models import PluginPrompt


def main() -> None:
    app = create_app()
    with app.app_context():
        for line in sys.stdin:
            prompt = PluginPrompt.get_cached_prompt_by_plugin(int(line))
            print(json.dumps(prompt.to_json() if prompt else None), flush=True)
            db.session.remove()


if __name__ == "__main__":
    main()
