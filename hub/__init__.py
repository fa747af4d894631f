"""The hub: the service a provincial department runs to receive its schools' issued records.

A separate deployable (`python -m hub serve --data DIR`). It imports the wire protocol
module of the desktop app (`app.sync.protocol`) and nothing else of `app`.
"""

__version__ = "0.1.0"
