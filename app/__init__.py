"""Học bạ số: offline-first digital student record books for Vietnamese schools."""

from importlib import metadata as _metadata

try:
    __version__ = _metadata.version("hocbaso")
except _metadata.PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.1.0"
