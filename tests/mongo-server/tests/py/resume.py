"""Resuming change streams: after the client disconnects (resumeAfter with a
saved token), and automatically inside pymongo after a dropped connection
or a killed cursor, with no event lost or repeated."""

from harness import CommandLog, URI, client, done

# --- The application saves a token, disconnects, reconnects later. ---------
c = client(URI)
orders = c.shop.orders
with orders.watch(max_await_time_ms=200) as s:
    orders.insert_many([{"_id": i} for i in range(3)])
    assert [s.next()["_id"] for _ in range(2)]
    saved = s.resume_token  # the second event's token
c.close()

writer = client(URI)
writer.shop.orders.insert_many([{"_id": i} for i in range(3, 5)])
writer.close()

c = client(URI)
with c.shop.orders.watch(resume_after=saved, max_await_time_ms=200) as s:
    ids = [s.next()["documentKey"]["_id"] for _ in range(3)]
    assert ids == [2, 3, 4], ids
    assert s.try_next() is None
    # After an empty batch the token is a high-water mark past all of them.
    high_water = s.resume_token
c.close()

c = client(URI)
c.shop.orders.insert_one({"_id": 5})
with c.shop.orders.watch(resume_after=high_water, max_await_time_ms=200) as s:
    assert s.next()["documentKey"]["_id"] == 5
    assert s.try_next() is None
# Database and deployment streams resume the same way.
with c.shop.watch(max_await_time_ms=200) as s:
    c.shop.a.insert_one({"_id": "a1"})
    db_token = s.next()["_id"]
with c.watch(max_await_time_ms=200) as s:
    c.other.b.insert_one({"_id": "b1"})
    cluster_token = s.next()["_id"]
c.shop.a.insert_one({"_id": "a2"})
c.other.b.insert_one({"_id": "b2"})
with c.shop.watch(resume_after=db_token, max_await_time_ms=200) as s:
    assert [s.next()["documentKey"]["_id"]] == ["a2"] and s.try_next() is None
with c.watch(resume_after=cluster_token, max_await_time_ms=200) as s:
    assert [s.next()["documentKey"]["_id"] for _ in range(2)] == ["a2", "b2"] and s.try_next() is None
c.close()

# --- The server drops the connection mid-stream: pymongo resumes itself. ---
log = CommandLog()
c = client(URI, event_listeners=[log], retryReads=True)
orders = c.shop.orders
with orders.watch(max_await_time_ms=200) as s:
    orders.insert_one({"_id": 100})
    assert s.next()["documentKey"]["_id"] == 100
    c.admin.command(
        "configureFailPoint",
        "failCommand",
        mode={"times": 1},
        data={"failCommands": ["getMore"], "closeConnection": True},
    )
    orders.insert_many([{"_id": 101}, {"_id": 102}])
    ids = [s.next()["documentKey"]["_id"] for _ in range(2)]
    assert ids == [101, 102], ids
    assert s.try_next() is None
aggregates = [cmd for name, cmd in log.sent if name == "aggregate"]
assert len(aggregates) == 2, "one aggregate to open, one to resume"
assert "resumeAfter" in aggregates[1]["pipeline"][0]["$changeStream"], aggregates[1]

# --- Another client kills the cursor: CursorNotFound, resumed likewise. -----
log.sent.clear()
log.replies.clear()
with orders.watch(max_await_time_ms=200) as s:
    cursor_id = next(r["cursor"]["id"] for name, r in log.replies if name == "aggregate")
    other = client(URI)
    killed = other.shop.command("killCursors", "orders", cursors=[cursor_id])
    assert killed["cursorsKilled"] == [cursor_id]
    other.shop.orders.insert_one({"_id": 200})
    other.close()
    assert s.next()["documentKey"]["_id"] == 200
    assert s.try_next() is None
assert [name for name, _ in log.sent].count("aggregate") == 2
c.close()
done("resume")
