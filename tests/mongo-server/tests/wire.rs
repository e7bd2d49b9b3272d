//! Wire-level checks a driver does not exercise: OP_MSG checksums,
//! `moreToCome`, the OP_QUERY handshake, the in-process API and the binary.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

use weir_mongo_server::bson::{Bson, Document, doc};
use weir_mongo_server::wire::{self, CHECKSUM_PRESENT, MORE_TO_COME, OP_QUERY, OP_REPLY, Request};
use weir_mongo_server::{CollectionSeed, MongoServer, ServerConfig};

fn connect(port: u16) -> TcpStream {
    let stream = TcpStream::connect(("127.0.0.1", port)).expect("connects");
    stream.set_read_timeout(Some(Duration::from_secs(10))).expect("sets a timeout");
    stream
}

fn send(stream: &mut TcpStream, request_id: i32, command: &Document, flags: u32) {
    let mut bytes = wire::encode_op_msg(request_id, 0, command, flags & CHECKSUM_PRESENT != 0).expect("encodes");
    if flags & MORE_TO_COME != 0 {
        bytes[16] |= MORE_TO_COME as u8;
        if flags & CHECKSUM_PRESENT != 0 {
            let end = bytes.len() - 4;
            let crc = wire::crc32c(&bytes[..end]);
            bytes[end..].copy_from_slice(&crc.to_le_bytes());
        }
    }
    stream.write_all(&bytes).expect("sends");
}

/// Reads one OP_MSG reply: (responseTo, flags, body).
fn receive(stream: &mut TcpStream) -> (i32, u32, Document) {
    let (header, message) = wire::read_message(stream).expect("reads").expect("a reply, not EOF");
    let Request::Msg(msg) = wire::parse_request(&header, &message).expect("a valid OP_MSG") else {
        panic!("expected OP_MSG, got opcode {}", header.op_code)
    };
    (header.response_to, msg.flags, msg.command)
}

fn op_query(stream: &mut TcpStream, request_id: i32, collection: &str, query: &Document) -> Document {
    let mut body = Vec::new();
    body.extend_from_slice(&0i32.to_le_bytes());
    body.extend_from_slice(collection.as_bytes());
    body.push(0);
    body.extend_from_slice(&0i32.to_le_bytes());
    body.extend_from_slice(&(-1i32).to_le_bytes());
    query.to_writer(&mut body).expect("encodes");
    let mut message = Vec::new();
    message.extend_from_slice(&(16 + body.len() as i32).to_le_bytes());
    message.extend_from_slice(&request_id.to_le_bytes());
    message.extend_from_slice(&0i32.to_le_bytes());
    message.extend_from_slice(&OP_QUERY.to_le_bytes());
    message.extend_from_slice(&body);
    stream.write_all(&message).expect("sends");
    let (header, reply) = wire::read_message(stream).expect("reads").expect("a reply");
    assert_eq!(header.op_code, OP_REPLY);
    assert_eq!(header.response_to, request_id);
    let number_returned = i32::from_le_bytes(reply[32..36].try_into().expect("4 bytes"));
    assert_eq!(number_returned, 1);
    Document::from_reader(&reply[36..]).expect("one document")
}

#[test]
fn checksummed_requests_get_checksummed_replies_and_bad_checksums_close_the_connection() {
    let server = MongoServer::start(ServerConfig::default()).expect("starts");
    let mut stream = connect(server.port());
    send(&mut stream, 7, &doc! { "ping": 1, "$db": "admin" }, CHECKSUM_PRESENT);
    // receive() goes through parse_request, which verifies the reply's CRC-32C.
    let (response_to, flags, reply) = receive(&mut stream);
    assert_eq!(response_to, 7);
    assert_eq!(flags & CHECKSUM_PRESENT, CHECKSUM_PRESENT);
    assert_eq!(reply.get_f64("ok").ok(), Some(1.0));
    assert!(reply.get_timestamp("operationTime").is_ok());
    assert!(reply.get_document("$clusterTime").is_ok());

    let mut corrupt = wire::encode_op_msg(8, 0, &doc! { "ping": 1, "$db": "admin" }, true).expect("encodes");
    let last = corrupt.len() - 1;
    corrupt[last] ^= 0xFF;
    stream.write_all(&corrupt).expect("sends");
    let after = wire::read_message(&mut stream);
    assert!(matches!(after, Ok(None) | Err(_)), "the server closes the connection instead of replying: {after:?}");
}

#[test]
fn more_to_come_requests_are_not_answered() {
    let server = MongoServer::start(ServerConfig::default()).expect("starts");
    let mut stream = connect(server.port());
    let insert = doc! { "insert": "c", "documents": [{ "_id": 1 }], "writeConcern": { "w": 0 }, "$db": "d" };
    send(&mut stream, 1, &insert, MORE_TO_COME);
    send(&mut stream, 2, &doc! { "count": "c", "$db": "d" }, 0);
    let (response_to, _, reply) = receive(&mut stream);
    assert_eq!(response_to, 2, "the first reply answers the second request");
    assert_eq!(reply.get_i32("n").ok(), Some(1), "the unacknowledged insert happened: {reply}");
}

#[test]
fn op_query_serves_only_the_legacy_handshake() {
    let server = MongoServer::start(ServerConfig::default().replica_set("weir-rs")).expect("starts");
    let mut stream = connect(server.port());
    let hello = op_query(&mut stream, 1, "admin.$cmd", &doc! { "isMaster": 1, "helloOk": true });
    assert_eq!(hello.get_bool("ismaster").ok(), Some(true));
    assert_eq!(hello.get_bool("helloOk").ok(), Some(true));
    assert_eq!(hello.get_str("setName").ok(), Some("weir-rs"));
    assert_eq!(hello.get_array("hosts").ok(), Some(&vec![Bson::String(server.host())]));
    let wrapped = op_query(&mut stream, 2, "admin.$cmd", &doc! { "$query": { "hello": 1 } });
    assert_eq!(wrapped.get_f64("ok").ok(), Some(1.0));
    let find = op_query(&mut stream, 3, "shop.$cmd", &doc! { "find": "orders" });
    assert_eq!(find.get_i32("code").ok(), Some(352), "{find}");
    assert_eq!(find.get_str("codeName").ok(), Some("UnsupportedOpQueryCommand"));
}

#[test]
fn seeded_documents_are_found_but_only_later_writes_are_change_events() {
    let seed = CollectionSeed::new("shop", "orders").documents([doc! { "_id": 1 }, doc! { "_id": 2 }]);
    let server = MongoServer::start(ServerConfig::default().collection(seed)).expect("starts");
    let found = server.run_command("shop", doc! { "find": "orders" }).expect("find");
    let batch = found.get_document("cursor").and_then(|c| c.get_array("firstBatch")).expect("a batch");
    assert_eq!(batch.len(), 2);

    let opened = server
        .run_command(
            "admin",
            doc! { "aggregate": 1, "pipeline": [{ "$changeStream": { "allChangesForCluster": true } }], "cursor": {} },
        )
        .expect("aggregate");
    let cursor = opened.get_document("cursor").expect("cursor");
    assert!(cursor.get_array("firstBatch").expect("batch").is_empty(), "seeded data is older than the change log");
    let id = cursor.get_i64("id").expect("an open cursor");
    let first_token = cursor.get_document("postBatchResumeToken").expect("a token").clone();

    server.insert("shop", "orders", vec![doc! { "_id": 3 }]).expect("insert");
    let more = server
        .run_command("admin", doc! { "getMore": id, "collection": "$cmd.aggregate", "maxTimeMS": 1000 })
        .expect("getMore");
    let cursor = more.get_document("cursor").expect("cursor");
    let events = cursor.get_array("nextBatch").expect("batch");
    assert_eq!(events.len(), 1);
    let event = events[0].as_document().expect("an event");
    assert_eq!(event.get_str("operationType").ok(), Some("insert"));
    assert_eq!(event.get_document("fullDocument").ok(), Some(&doc! { "_id": 3 }));
    let token = cursor.get_document("postBatchResumeToken").expect("a token");
    assert!(token.get_str("_data").expect("hex") > first_token.get_str("_data").expect("hex"));

    let duplicate = server.insert("shop", "orders", vec![doc! { "_id": 1 }]).expect_err("a duplicate _id");
    assert_eq!(duplicate.code, 11000);
}

#[test]
fn stopping_closes_connections_and_the_port() {
    let server = MongoServer::start(ServerConfig::default()).expect("starts");
    let port = server.port();
    let mut stream = connect(port);
    send(&mut stream, 1, &doc! { "ping": 1, "$db": "admin" }, 0);
    receive(&mut stream);
    server.stop();
    assert!(matches!(wire::read_message(&mut stream), Ok(None) | Err(_)));
    // Another test spawning a process at that moment can hold a forked copy
    // of the listening socket until its exec closes it, so allow a moment.
    let refused = (0..50).any(|_| {
        let refused = TcpStream::connect(("127.0.0.1", port)).is_err();
        if !refused {
            std::thread::sleep(Duration::from_millis(100));
        }
        refused
    });
    assert!(refused, "nothing listens after stop");
}

#[test]
fn the_binary_prints_its_address_and_requires_auth_when_given_users() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_weir-mongo-server"))
        .args(["--port", "0", "--user", "weir:secret", "--replica-set", "rs9"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("reads its first line");
    let address = line.split_whitespace().nth(2).expect("listening on <host:port>");
    let port: u16 = address.rsplit(':').next().and_then(|p| p.parse().ok()).expect("a port");
    assert!(line.contains("replicaSet=rs9"), "{line}");

    let mut stream = connect(port);
    send(&mut stream, 1, &doc! { "hello": 1, "$db": "admin" }, 0);
    let (_, _, hello) = receive(&mut stream);
    assert_eq!(hello.get_str("setName").ok(), Some("rs9"));
    send(&mut stream, 2, &doc! { "find": "orders", "$db": "shop" }, 0);
    let (_, _, denied) = receive(&mut stream);
    assert_eq!(denied.get_i32("code").ok(), Some(13), "{denied}");
    let _ = child.kill();
    let _ = child.wait();
}
