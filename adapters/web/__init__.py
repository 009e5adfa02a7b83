"""The web dashboard: a platform of its own, served by the bot process (aiohttp, Jinja2, pygal)."""
