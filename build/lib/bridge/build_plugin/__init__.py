"""The `kb-bridge` MkDocs plugin: what a build needs for the bridge, shipped inside the package.

A company's own `mkdocs.yml` gets the bridge's search index, its page shell and its theme
additions by naming this plugin (`kb build` adds it), from a pip install as from a checkout.
"""
