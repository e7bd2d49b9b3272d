"""Replica-set discovery and SCRAM authentication, as pymongo does them."""

from bson import Timestamp
from pymongo.errors import OperationFailure

from harness import PASSWORD, URI, URI_NO_AUTH, USER, client, done, expect_failure

# Replica-set URI with credentials: pymongo discovers a primary of set rs0.
c = client(URI)
assert c.admin.command("ping")["ok"] == 1.0
assert c.topology_description.topology_type_name == "ReplicaSetWithPrimary", c.topology_description
assert c.primary is not None

hello = c.admin.command("hello")
assert hello["isWritablePrimary"] is True
assert hello["setName"] == "rs0"
assert hello["hosts"] == [hello["me"]] and hello["primary"] == hello["me"]
assert hello["maxWireVersion"] >= 9  # pymongo 4.x needs MongoDB 4.4+
assert hello["logicalSessionTimeoutMinutes"] == 30
assert isinstance(hello["$clusterTime"]["clusterTime"], Timestamp)
assert "operationTime" in hello

info = c.server_info()  # buildInfo
assert info["version"].startswith("7."), info
assert info["versionArray"][0] == 7

status = c.admin.command("connectionStatus")
assert status["authInfo"]["authenticatedUsers"] == [{"user": USER, "db": "admin"}], status

# The default mechanism negotiated through saslSupportedMechs is SCRAM-SHA-256;
# SCRAM-SHA-1 (MongoDB's MD5-prehashed password) works when asked for.
for mechanism in ("SCRAM-SHA-256", "SCRAM-SHA-1"):
    m = client(URI, authMechanism=mechanism)
    assert m.admin.command("connectionStatus")["authInfo"]["authenticatedUsers"][0]["user"] == USER
    m.close()

# A wrong password: AuthenticationFailed (18), for both mechanisms.
for mechanism in ("SCRAM-SHA-256", "SCRAM-SHA-1"):
    bad = client(URI_NO_AUTH, username=USER, password=PASSWORD + "x", authMechanism=mechanism)
    expect_failure(18, bad.admin.command, "ping")
    bad.close()

# An unknown user fails the same way, revealing nothing more.
nobody = client(URI_NO_AUTH, username="nobody", password="x")
e = expect_failure(18, nobody.admin.command, "ping")
assert e.details["codeName"] == "AuthenticationFailed"
nobody.close()

# Without credentials: the handshake works, data commands are Unauthorized (13).
anon = client(URI_NO_AUTH)
assert anon.admin.command("ping")["ok"] == 1.0
e = expect_failure(13, anon.shop.orders.find_one)
assert e.details["codeName"] == "Unauthorized"
expect_failure(13, anon.list_database_names)
try:
    anon.shop.orders.watch()
    raise AssertionError("an unauthenticated change stream must fail")
except OperationFailure as e:
    assert e.code == 13, e.details
anon.close()

# Unknown commands: CommandNotFound (59).
expect_failure(59, c.admin.command, "noSuchCommand")
c.close()
done("handshake_and_auth")
