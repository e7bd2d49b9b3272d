"""Change streams at collection, database and deployment scope: event
fields, full documents, pre-images, start options, awaiting getMore,
postBatchResumeToken and invalidation."""

import threading
import time

from pymongo.errors import OperationFailure

from harness import CommandLog, URI, client, done, expect_failure

log = CommandLog()
c = client(URI, event_listeners=[log])
db = c.shop
orders = db.orders


def token(event_or_token):
    t = event_or_token.get("_id", event_or_token)
    return t["_data"]


def drain(stream, n):
    events = [stream.next() for _ in range(n)]
    assert stream.try_next() is None, "no further events expected"
    return events


# --- Collection scope: every operation type and its fields ---------------
with orders.watch(max_await_time_ms=200) as s:
    assert s.resume_token is not None, "the first batch carries a postBatchResumeToken"
    orders.insert_one({"_id": 1, "a": 1, "zz": 0})
    orders.update_one({"_id": 1}, {"$set": {"a": 2, "b.c": 3}, "$unset": {"zz": "", "never": ""}})
    orders.replace_one({"_id": 1}, {"r": True})
    orders.delete_one({"_id": 1})
    db.other.insert_one({"_id": "elsewhere"})  # another collection: not in this stream
    insert, update, replace, delete = drain(s, 4)

    assert [e["operationType"] for e in (insert, update, replace, delete)] == ["insert", "update", "replace", "delete"]
    for e in (insert, update, replace, delete):
        assert e["ns"] == {"db": "shop", "coll": "orders"}
        assert e["documentKey"] == {"_id": 1}
        assert set(e["_id"]) == {"_data"} and isinstance(e["_id"]["_data"], str)
        int(e["_id"]["_data"], 16)  # hex
        assert "wallTime" in e and "clusterTime" in e
        assert "fullDocumentBeforeChange" not in e
    assert insert["fullDocument"] == {"_id": 1, "a": 1, "zz": 0}
    assert update["updateDescription"] == {
        "updatedFields": {"a": 2, "b.c": 3},
        "removedFields": ["zz"],
        "truncatedArrays": [],
    }, update["updateDescription"]
    assert "fullDocument" not in update, "fullDocument: default omits it on updates"
    assert replace["fullDocument"] == {"_id": 1, "r": True}
    assert "fullDocument" not in delete
    tokens = [token(e) for e in (insert, update, replace, delete)]
    assert tokens == sorted(tokens) and len(set(tokens)) == 4, tokens
    times = [e["clusterTime"] for e in (insert, update, replace, delete)]
    assert times == sorted(times) and len(set(times)) == 4
    # An empty batch still moves the resume token past what it saw.
    assert token(s.resume_token) > tokens[-1]

# Every getMore and aggregate reply carried postBatchResumeToken.
for name, reply in log.replies:
    if name in ("aggregate", "getMore"):
        assert "postBatchResumeToken" in reply["cursor"], reply

# --- updateLookup: the document as it is when the event is read -----------
with orders.watch(full_document="updateLookup", max_await_time_ms=200) as s:
    orders.insert_one({"_id": 2, "v": 0})
    orders.update_one({"_id": 2}, {"$set": {"v": 1}})
    orders.update_one({"_id": 2}, {"$set": {"v": 2}})
    orders.insert_one({"_id": 3, "v": 0})
    orders.update_one({"_id": 3}, {"$set": {"v": 1}})
    orders.delete_one({"_id": 3})
    events = drain(s, 6)
    assert [e["fullDocument"] for e in events if e["operationType"] == "update"] == [
        {"_id": 2, "v": 2},
        {"_id": 2, "v": 2},
        None,  # deleted before the event was read
    ]

# --- Pre- and post-images -------------------------------------------------
db.create_collection("ledger", changeStreamPreAndPostImages={"enabled": True})
ledger = db.ledger
listed = next(db.list_collections(filter={"name": "ledger"}))
assert listed["options"]["changeStreamPreAndPostImages"] == {"enabled": True}
with ledger.watch(full_document="required", full_document_before_change="required", max_await_time_ms=200) as s:
    ledger.insert_one({"_id": "acct", "balance": 10})
    ledger.update_one({"_id": "acct"}, {"$inc": {"balance": 5}})
    ledger.update_one({"_id": "acct"}, {"$inc": {"balance": 1}})
    ledger.replace_one({"_id": "acct"}, {"closed": True})
    ledger.delete_one({"_id": "acct"})
    insert, up1, up2, replace, delete = drain(s, 5)
    assert "fullDocumentBeforeChange" not in insert
    assert up1["fullDocument"] == {"_id": "acct", "balance": 15}, "post-image, not the current document"
    assert up1["fullDocumentBeforeChange"] == {"_id": "acct", "balance": 10}
    assert up2["fullDocumentBeforeChange"] == {"_id": "acct", "balance": 15}
    assert replace["fullDocumentBeforeChange"] == {"_id": "acct", "balance": 16}
    assert replace["fullDocument"] == {"_id": "acct", "closed": True}
    assert delete["fullDocumentBeforeChange"] == {"_id": "acct", "closed": True}

# whenAvailable on a collection without images: null, not an error.
with orders.watch(full_document="whenAvailable", full_document_before_change="whenAvailable", max_await_time_ms=200) as s:
    orders.insert_one({"_id": 4})
    orders.update_one({"_id": 4}, {"$set": {"x": 1}})
    _, update = drain(s, 2)
    assert update["fullDocument"] is None and update["fullDocumentBeforeChange"] is None

# required on a collection without images: NoMatchingDocument (47).
with orders.watch(full_document_before_change="required", max_await_time_ms=200) as s:
    orders.update_one({"_id": 4}, {"$set": {"x": 2}})
    e = expect_failure(47, s.next)
    assert e.details["codeName"] == "NoMatchingDocument"

# collMod turns images on for an existing collection.
db.command("collMod", "orders", changeStreamPreAndPostImages={"enabled": True})
with orders.watch(full_document_before_change="required", max_await_time_ms=200) as s:
    orders.update_one({"_id": 4}, {"$set": {"x": 3}})
    assert s.next()["fullDocumentBeforeChange"] == {"_id": 4, "x": 2}

# --- Database and deployment scope ----------------------------------------
with db.watch(max_await_time_ms=200) as in_db, c.watch(max_await_time_ms=200) as everywhere:
    orders.insert_one({"_id": 10})
    db.other.insert_one({"_id": 11})
    c.inventory.items.insert_one({"_id": 12})
    assert [(e["ns"]["coll"], e["documentKey"]["_id"]) for e in drain(in_db, 2)] == [("orders", 10), ("other", 11)]
    seen = [(e["ns"]["db"], e["ns"]["coll"], e["documentKey"]["_id"]) for e in drain(everywhere, 3)]
    assert seen == [("shop", "orders", 10), ("shop", "other", 11), ("inventory", "items", 12)], seen
aggregates = [cmd for name, cmd in log.sent if name == "aggregate"]
assert aggregates[-1]["aggregate"] == 1 and aggregates[-1]["$db"] == "admin"
assert aggregates[-1]["pipeline"][0]["$changeStream"]["allChangesForCluster"] is True

# A $match stage after $changeStream filters events but not the token's progress.
with orders.watch([{"$match": {"operationType": "delete"}}], max_await_time_ms=200) as s:
    orders.insert_one({"_id": 20})
    orders.delete_one({"_id": 20})
    (only,) = drain(s, 1)
    assert only["operationType"] == "delete"

# --- Start options ----------------------------------------------------------
with c.start_session() as session:
    orders.insert_one({"_id": 30}, session=session)
    at = session.operation_time
orders.insert_one({"_id": 31})
with orders.watch(start_at_operation_time=at, max_await_time_ms=200) as s:
    assert [e["documentKey"]["_id"] for e in drain(s, 2)] == [30, 31], "startAtOperationTime includes that time"
with orders.watch(start_at_operation_time=at, max_await_time_ms=200) as s:
    first = s.next()
with orders.watch(resume_after=first["_id"], max_await_time_ms=200) as s:
    assert [e["documentKey"]["_id"] for e in drain(s, 1)] == [31], "resumeAfter excludes the token's event"
with orders.watch(start_after=first["_id"], max_await_time_ms=200) as s:
    assert [e["documentKey"]["_id"] for e in drain(s, 1)] == [31]
# pymongo sends only one start option, so ask the server directly.
both = {"resumeAfter": first["_id"], "startAtOperationTime": at}
expect_failure(40674, db.command, "aggregate", "orders", pipeline=[{"$changeStream": both}], cursor={})

# --- Awaiting getMore ------------------------------------------------------
with orders.watch(max_await_time_ms=300) as s:
    started = time.monotonic()
    assert s.try_next() is None
    waited = time.monotonic() - started
    assert 0.25 <= waited < 3, f"an empty getMore waits maxTimeMS, waited {waited:.3f}s"
with orders.watch(max_await_time_ms=10_000) as s:
    s.try_next()
    writer = threading.Timer(0.3, lambda: orders.insert_one({"_id": 40}))
    writer.start()
    started = time.monotonic()
    event = s.next()
    waited = time.monotonic() - started
    writer.join()
    assert event["documentKey"] == {"_id": 40}
    assert waited < 5, f"an awaiting getMore returns as soon as an event arrives, took {waited:.3f}s"
get_mores = [cmd for name, cmd in log.sent if name == "getMore"]
assert get_mores[-1]["maxTimeMS"] == 10_000

# --- Drop: drop, then invalidate, then the stream is closed ----------------
temp = db.temp
temp.insert_one({"_id": 0})
with temp.watch(max_await_time_ms=200) as s:
    temp.insert_one({"_id": 1})
    temp.drop()
    events = [s.next(), s.next(), s.next()]
    assert [e["operationType"] for e in events] == ["insert", "drop", "invalidate"], events
    assert not s.alive
    invalidate = events[2]["_id"]
expect_failure(260, temp.watch, resume_after=invalidate)
temp.insert_one({"_id": 2})
with temp.watch(start_after=invalidate, max_await_time_ms=200) as s:
    assert [e["documentKey"]["_id"] for e in drain(s, 1)] == [2], "startAfter resumes past an invalidate"

# Change streams cannot be opened on admin without allChangesForCluster.
expect_failure(73, c.admin.watch)
c.close()
done("change_streams")
