"""Shared by the pymongo scripts: connection settings come from the Rust
test that started the server (environment variables), so every script runs
against its own fresh server."""

import os

import pymongo
from pymongo import monitoring

URI = os.environ["WEIR_MONGO_URI"]
URI_NO_AUTH = os.environ["WEIR_MONGO_URI_NO_AUTH"]
USER = os.environ.get("WEIR_MONGO_USER", "")
PASSWORD = os.environ.get("WEIR_MONGO_PASSWORD", "")


class CommandLog(monitoring.CommandListener):
    """Records (command name, command document) for each command sent."""

    def __init__(self):
        self.sent = []
        self.replies = []

    def started(self, event):
        self.sent.append((event.command_name, event.command))

    def succeeded(self, event):
        self.replies.append((event.command_name, event.reply))

    def failed(self, event):
        pass

    def names(self):
        return [name for name, _ in self.sent]


def client(uri=URI, **kwargs):
    """A client that fails fast instead of waiting 30 s for a server."""
    kwargs.setdefault("serverSelectionTimeoutMS", 5000)
    kwargs.setdefault("connectTimeoutMS", 5000)
    return pymongo.MongoClient(uri, **kwargs)


def expect_failure(code, fn, *args, **kwargs):
    """Runs fn and asserts it raises OperationFailure with this code."""
    try:
        fn(*args, **kwargs)
    except pymongo.errors.OperationFailure as e:
        assert e.code == code, f"expected code {code}, got {e.code}: {e.details}"
        return e
    raise AssertionError(f"expected OperationFailure {code}, nothing raised")


def done(name):
    print(f"OK {name}")
