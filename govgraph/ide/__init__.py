"""govgraph's own GraphiQL page, served with its assets from govgraph itself (no CDN: it works on an intranet).

This package's top level stays importable with the standard library alone: the build backend imports
``govgraph.ide.assets`` before any dependency is installed. The web side is ``govgraph.ide.web``.
"""
