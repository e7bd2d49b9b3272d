"""A resume point older than the retained change log: ChangeStreamHistoryLost
(286), whether resuming by token, by operation time, or falling behind on
an open stream. The server under test retains 5 entries."""

from pymongo.errors import OperationFailure

from harness import URI, client, done, expect_failure

c = client(URI)
orders = c.shop.orders

with c.start_session() as session:
    orders.insert_one({"_id": 0}, session=session)
    old_time = session.operation_time
with orders.watch(start_at_operation_time=old_time, max_await_time_ms=200) as s:
    old_token = s.next()["_id"]

# Ten more writes push the first out of a log that keeps five.
orders.insert_many([{"_id": i} for i in range(1, 11)])

e = expect_failure(286, orders.watch, resume_after=old_token)
assert e.details["codeName"] == "ChangeStreamHistoryLost", e.details
expect_failure(286, orders.watch, start_after=old_token)
expect_failure(286, orders.watch, start_at_operation_time=old_time)

# A token whose successors are all still retained resumes fine.
with c.start_session() as session:
    orders.insert_one({"_id": 11}, session=session)
    recent_time = session.operation_time
with orders.watch(start_at_operation_time=recent_time, max_await_time_ms=200) as s:
    recent = s.next()["_id"]
orders.insert_one({"_id": 12})
with orders.watch(resume_after=recent, max_await_time_ms=200) as s:
    assert s.next()["documentKey"]["_id"] == 12

# An open stream that falls more than five writes behind loses its history
# too; the error is not resumable, so pymongo raises it.
with orders.watch(max_await_time_ms=200) as s:
    assert s.try_next() is None
    orders.insert_many([{"_id": i} for i in range(100, 110)])
    try:
        s.next()
        raise AssertionError("a stream behind the retained log must fail")
    except OperationFailure as e:
        assert e.code == 286, e.details
        assert not e.has_error_label("ResumableChangeStreamError")
c.close()
done("history_lost")
