"""Server-side search: sections of rendered pages in, ranked articles out.

Only `index_writer` and `index_reader` import Whoosh; everything else speaks the types in
`bridge.search.types`, so the engine can be replaced without a hunt.
"""
