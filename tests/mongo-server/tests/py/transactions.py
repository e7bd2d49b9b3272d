"""Multi-document transactions as pymongo runs them (start_transaction,
commit, abort, with_transaction) and what change streams see of them; and
point-in-time reads (readConcern snapshot with atClusterTime)."""

import pymongo
from bson import Timestamp
from bson.int64 import Int64

from harness import URI, CommandLog, client, done, expect_failure

c = client(URI)
shop = c.shop
shop.orders.insert_many([{"_id": 1, "n": 1}, {"_id": 2, "n": 2}])

# --- A committed transaction: one cluster time, the session's lsid. --------
with shop.orders.watch(max_await_time_ms=200) as stream:
    with c.start_session() as s:
        with s.start_transaction():
            shop.orders.insert_one({"_id": 3}, session=s)
            shop.orders.update_one({"_id": 1}, {"$set": {"n": 10}}, session=s)
            shop.items.delete_one({"_id": "none"}, session=s)
            shop.orders.delete_one({"_id": 2}, session=s)
        session_id = s.session_id["id"]
    events = [stream.next() for _ in range(3)]
    assert [e["operationType"] for e in events] == ["insert", "update", "delete"], events
    assert len({e["clusterTime"] for e in events}) == 1, "one cluster time for the transaction"
    assert len({e["_id"]["_data"] for e in events}) == 3, "a distinct token per event"
    for e in events:
        assert e["lsid"]["id"] == session_id, e["lsid"]
        assert len(e["lsid"]["uid"]) == 32, e["lsid"]
        assert e["txnNumber"] == 1, e
    # Writes outside a transaction carry neither field.
    shop.orders.insert_one({"_id": 4})
    plain = stream.next()
    assert "lsid" not in plain and "txnNumber" not in plain, plain
    assert plain["clusterTime"] > events[0]["clusterTime"]

# --- An aborted transaction leaves nothing behind, in data or stream. ------
with shop.orders.watch(max_await_time_ms=200) as stream:
    with c.start_session() as s:
        s.start_transaction()
        shop.orders.insert_one({"_id": 5}, session=s)
        shop.orders.update_one({"_id": 1}, {"$set": {"n": 99}}, session=s)
        shop.orders.delete_one({"_id": 3}, session=s)
        s.abort_transaction()
    assert stream.try_next() is None
assert sorted(d["_id"] for d in shop.orders.find()) == [1, 3, 4]
assert shop.orders.find_one({"_id": 1})["n"] == 10

# --- with_transaction commits through pymongo's retry helper. --------------
with c.start_session() as s:
    s.with_transaction(lambda s: shop.orders.insert_one({"_id": 6}, session=s))
assert shop.orders.find_one({"_id": 6}) is not None

# --- Commands a transaction may not run, and unknown transactions. ---------
with c.start_session() as s:
    s.start_transaction()
    expect_failure(263, shop.create_collection, "nope", session=s)
    s.abort_transaction()
expect_failure(
    251,
    c.admin.command,
    {"commitTransaction": 1, "txnNumber": Int64(77), "autocommit": False,
     "lsid": {"id": session_id}},
)

# --- Point-in-time reads. ---------------------------------------------------
shop.pit.insert_many([{"_id": i, "v": 0} for i in range(5)])
log = CommandLog()
reader = client(URI, event_listeners=[log])
with reader.start_session(snapshot=True) as s:
    before = list(reader.shop.pit.find({}, session=s).sort("_id", 1))
    shop.pit.update_one({"_id": 0}, {"$set": {"v": 1}})
    shop.pit.delete_one({"_id": 1})
    shop.pit.insert_one({"_id": 9, "v": 0})
    # The same session keeps reading at its snapshot time (natural order is
    # unspecified, so compare sorted).
    again = list(reader.shop.pit.find({}, session=s).sort("_id", 1))
    assert again == before, (again, before)
finds = [cmd for name, cmd in log.sent if name == "find"]
at = [reply for name, reply in log.replies if name == "find"][0]["cursor"]["atClusterTime"]
assert isinstance(at, Timestamp), at
assert finds[0]["readConcern"] == {"level": "snapshot"}, finds[0]
assert finds[1]["readConcern"] == {"level": "snapshot", "atClusterTime": at}, finds[1]
reader.close()
now = list(shop.pit.find().sort("_id", 1))
assert [d["_id"] for d in now] == [0, 2, 3, 4, 9] and now[0]["v"] == 1
# Explicit atClusterTime in the future is refused.
expect_failure(
    72,
    shop.command,
    {"find": "pit", "readConcern": {"level": "snapshot", "atClusterTime": Timestamp(at.time + 3600, 1)}},
)
c.close()
done("transactions")
