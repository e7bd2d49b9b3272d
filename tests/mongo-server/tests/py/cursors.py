"""find/getMore/killCursors across batches."""

from pymongo.errors import CursorNotFound

from harness import CommandLog, URI, client, done, expect_failure

log = CommandLog()
c = client(URI, event_listeners=[log])
coll = c.shop.items
coll.insert_many([{"_id": i} for i in range(250)])

# 250 documents in batches of 100: one find, two getMores, ids in order.
log.sent.clear()
ids = [d["_id"] for d in coll.find().batch_size(100)]
assert ids == list(range(250)), ids[:5]
assert log.names().count("find") == 1 and log.names().count("getMore") == 2, log.names()
get_mores = [cmd for name, cmd in log.sent if name == "getMore"]
assert all(cmd["batchSize"] == 100 and cmd["collection"] == "items" for cmd in get_mores)

# Default first batch is 101, the rest comes in one getMore.
first = c.shop.command("find", "items")
assert len(first["cursor"]["firstBatch"]) == 101 and first["cursor"]["id"] != 0
assert first["cursor"]["ns"] == "shop.items"
rest = c.shop.command("getMore", first["cursor"]["id"], collection="items")
assert len(rest["cursor"]["nextBatch"]) == 149 and rest["cursor"]["id"] == 0

# A result that fits in the first batch closes the cursor at once.
small = c.shop.command("find", "items", filter={"_id": {"$lt": 5}})
assert small["cursor"]["id"] == 0 and len(small["cursor"]["firstBatch"]) == 5

# Closing a cursor early sends killCursors; the cursor is gone afterwards.
log.sent.clear()
cursor = coll.find().batch_size(10)
next(cursor)
cursor_id = cursor.cursor_id
assert cursor_id
cursor.close()
kills = [cmd for name, cmd in log.sent if name == "killCursors"]
assert kills and kills[0]["cursors"] == [cursor_id], log.names()
e = expect_failure(43, c.shop.command, "getMore", cursor_id, collection="items")
assert e.details["codeName"] == "CursorNotFound"

# killCursors reports which ids it killed and which it did not know.
open_cursor = c.shop.command("find", "items", batchSize=1)["cursor"]["id"]
killed = c.shop.command("killCursors", "items", cursors=[open_cursor, cursor_id])
assert killed["cursorsKilled"] == [open_cursor] and killed["cursorsNotFound"] == [cursor_id]

# A cursor killed by someone else: the driver raises CursorNotFound.
cursor = coll.find().batch_size(5)
next(cursor)
c.shop.command("killCursors", "items", cursors=[cursor.cursor_id])
try:
    list(cursor)
    raise AssertionError("iterating a killed cursor must fail")
except CursorNotFound as e:
    assert e.code == 43

# getMore on the wrong namespace is refused.
other = c.shop.command("find", "items", batchSize=1)["cursor"]["id"]
expect_failure(13, c.shop.command, "getMore", other, collection="elsewhere")
c.close()
done("cursors")
