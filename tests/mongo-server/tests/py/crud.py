"""CRUD through pymongo, every BSON type round-tripping, catalog listing."""

import datetime
import re
import uuid

import bson
from bson import Binary, Code, Decimal128, Int64, MaxKey, MinKey, ObjectId, Regex, Timestamp
from bson.binary import UuidRepresentation
from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument
from pymongo import ASCENDING, DESCENDING
from pymongo.errors import BulkWriteError, DuplicateKeyError

from harness import CommandLog, URI, client, done

log = CommandLog()
c = client(URI, event_listeners=[log], uuidRepresentation="standard")
db = c.shop
orders = db.orders

# Every BSON type MongoDB has, nested in documents and arrays.
oid = ObjectId()
when = datetime.datetime(2024, 5, 17, 12, 30, 45, 123000)
u = uuid.UUID("12345678-1234-5678-1234-567812345678")
everything = {
    "_id": oid,
    "double": 1.5,
    "string": "héllo",
    "doc": {"nested": {"deeper": [1, {"x": "y"}]}},
    "array": [1, "two", 3.0, None, [4]],
    "binary": Binary(b"\x00\x01\xff", 0),
    "binary_old": Binary(b"\x02\x03", 2),
    "uuid": u,
    "md5": Binary(b"0123456789abcdef", 5),
    "user_binary": Binary(b"custom", 128),
    "objectid": ObjectId("65f4c121ac8791800bdca1ef"),
    "bool": True,
    "date": when,
    "null": None,
    "regex": Regex("^ab+c$", "im"),
    "code": Code("function() { return 1; }"),
    "int32": 42,
    "timestamp": Timestamp(1700000000, 7),
    "int64": Int64(1 << 40),
    "decimal": Decimal128("1234567.891234567891234567891234"),
    "min": MinKey(),
    "max": MaxKey(),
}
orders.insert_one(everything)
# Byte for byte: the stored document comes back exactly as it was encoded.
raw = orders.with_options(codec_options=CodecOptions(document_class=RawBSONDocument, uuid_representation=UuidRepresentation.STANDARD))
assert raw.find_one({"_id": oid}).raw == bson.encode(everything, codec_options=raw.codec_options)
back = orders.find_one({"_id": oid})
assert isinstance(back["int64"], Int64) and isinstance(back["decimal"], Decimal128)
assert back["uuid"] == u and back["binary_old"].subtype == 2 and back["user_binary"].subtype == 128
assert back["regex"].pattern == "^ab+c$" and back["regex"].flags == re.I | re.M
assert back["timestamp"] == Timestamp(1700000000, 7)
orders.delete_one({"_id": oid})

# insert_many goes out as one OP_MSG with a "documents" document sequence.
result = orders.insert_many([{"_id": i, "n": i, "group": i % 3, "tags": ["even" if i % 2 == 0 else "odd"]} for i in range(20)])
assert result.inserted_ids == list(range(20))
assert orders.count_documents({}) == 20
assert orders.estimated_document_count() == 20
assert orders.count_documents({"group": 1}) == 7

# find: filters, sort, skip, limit, projection.
assert [d["_id"] for d in orders.find({"n": {"$gte": 15}})] == [15, 16, 17, 18, 19]
assert [d["_id"] for d in orders.find({"tags": "odd", "n": {"$lt": 6}})] == [1, 3, 5]
assert [d["_id"] for d in orders.find({"$or": [{"n": 2}, {"n": {"$in": [4, 8]}}]})] == [2, 4, 8]
assert [d["_id"] for d in orders.find().sort([("group", DESCENDING), ("n", ASCENDING)]).limit(3)] == [2, 5, 8]
assert [d["_id"] for d in orders.find().sort("n", DESCENDING).skip(2).limit(2)] == [17, 16]
assert orders.find_one({"_id": 3}, {"n": 1, "_id": 0}) == {"n": 3}
assert orders.find_one({"_id": 3}, {"tags": 0}) == {"_id": 3, "n": 3, "group": 0}
assert orders.find_one({"missing": {"$exists": True}}) is None

# update: $set, $unset, $inc, replacement, multi, upsert.
r = orders.update_one({"_id": 1}, {"$set": {"status": "paid", "address.city": "Oslo"}, "$unset": {"tags": ""}})
assert (r.matched_count, r.modified_count) == (1, 1)
assert orders.find_one({"_id": 1}) == {"_id": 1, "n": 1, "group": 1, "status": "paid", "address": {"city": "Oslo"}}
r = orders.update_one({"_id": 1}, {"$set": {"status": "paid"}})
assert (r.matched_count, r.modified_count) == (1, 0), "a no-op $set modifies nothing"
r = orders.update_many({"group": 2}, {"$inc": {"n": 100}})
assert (r.matched_count, r.modified_count) == (6, 6)
assert orders.find_one({"_id": 2})["n"] == 102
r = orders.replace_one({"_id": 4}, {"replaced": True})
assert r.modified_count == 1 and orders.find_one({"_id": 4}) == {"_id": 4, "replaced": True}
r = orders.update_one({"_id": 100}, {"$set": {"new": 1}}, upsert=True)
assert r.upserted_id == 100 and orders.find_one({"_id": 100}) == {"_id": 100, "new": 1}
r = orders.replace_one({"sku": "x"}, {"sku": "x", "qty": 2}, upsert=True)
assert isinstance(r.upserted_id, ObjectId)

# delete: one, many.
assert orders.delete_one({"group": 0}).deleted_count == 1
assert orders.delete_many({"group": 0}).deleted_count == 6
assert orders.count_documents({"group": 0}) == 0

# Duplicate _id: DuplicateKeyError (11000); unordered bulk inserts the rest.
try:
    orders.insert_one({"_id": 1})
    raise AssertionError("duplicate _id accepted")
except DuplicateKeyError as e:
    assert e.code == 11000
try:
    orders.insert_many([{"_id": 1}, {"_id": 500}, {"_id": 501}], ordered=False)
    raise AssertionError("duplicate _id accepted")
except BulkWriteError as e:
    assert e.details["nInserted"] == 2 and e.details["writeErrors"][0]["index"] == 0
try:
    orders.update_one({"_id": 1}, {"$set": {"_id": 2}})
    raise AssertionError("changing _id accepted")
except Exception as e:  # WriteError 66 ImmutableField
    assert getattr(e, "code", None) == 66, e

# Catalog.
db.create_collection("audit")
c.inventory.items.insert_one({"_id": "widget"})
assert c.list_database_names() == ["inventory", "shop"], c.list_database_names()
databases = {d["name"]: d for d in c.list_databases()}
assert databases["shop"]["sizeOnDisk"] > 0 and databases["shop"]["empty"] is False
assert sorted(db.list_collection_names()) == ["audit", "orders"]
info = {x["name"]: x for x in db.list_collections()}
assert info["orders"]["type"] == "collection"
collection_uuid = info["orders"]["info"]["uuid"]
assert isinstance(collection_uuid, uuid.UUID) or (isinstance(collection_uuid, Binary) and collection_uuid.subtype == 4)
assert db.list_collection_names(filter={"name": "audit"}) == ["audit"]
db.drop_collection("audit")
assert db.list_collection_names() == ["orders"]

# Every reply carried the replica-set gossip fields the driver tracks.
assert c.admin.command("ping")["operationTime"] >= Timestamp(0, 0)
assert "insert" in log.names() and "find" in log.names()
inserts_with_sequence = [cmd for name, cmd in log.sent if name == "insert" and len(cmd.get("documents", [])) == 20]
assert inserts_with_sequence, "insert_many of 20 documents went out as one insert command"
c.close()
done("crud")
