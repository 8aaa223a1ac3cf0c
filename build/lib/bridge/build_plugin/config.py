"""The options the `kb-bridge` plugin takes in `mkdocs.yml`, typed and checked by MkDocs."""
from __future__ import annotations

from mkdocs.config import config_options as c
from mkdocs.config.base import Config


class BridgeConfig(Config):
    """`plugins: [kb-bridge: {index_dir: PATH, pages_dir: PATH}]`, both relative to `mkdocs.yml`.

    `index_dir` is where the search index generations live; unset, it is `index/` beside the site
    folder, which is where `kb build` and `kb serve` expect it. `pages_dir` holds a company's own
    pages (about, privacy, contact), kept with its brand rather than among the writers' articles.
    """

    index_dir = c.Optional(c.Dir(exists=False))
    pages_dir = c.Optional(c.Dir(exists=True))
