"""govgraph: one GraphQL API over a city government's data stores."""

__version__ = "0.1.0"
