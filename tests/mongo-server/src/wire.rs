//! Message framing: the standard header, OP_MSG (body and document-sequence
//! sections, optional CRC-32C), and the legacy OP_QUERY/OP_REPLY pair that
//! drivers use only for their first `hello`/`isMaster`
//! (https://www.mongodb.com/docs/manual/reference/mongodb-wire-protocol/).

mod crc32c;

use std::io::{Read, Write};

use bson::{Bson, Document};

pub use self::crc32c::crc32c;
use crate::error::WireError;

/// OP_REPLY, only ever sent in answer to OP_QUERY.
pub const OP_REPLY: i32 = 1;
/// OP_QUERY, accepted only for the legacy handshake.
pub const OP_QUERY: i32 = 2004;
/// OP_MSG, every other exchange.
pub const OP_MSG: i32 = 2013;

/// OP_MSG flag bit 0: a CRC-32C of the whole message follows the sections.
pub const CHECKSUM_PRESENT: u32 = 1;
/// OP_MSG flag bit 1: the sender expects no reply.
pub const MORE_TO_COME: u32 = 1 << 1;
/// OP_MSG flag bit 16: the client accepts exhaust replies (we never send them).
pub const EXHAUST_ALLOWED: u32 = 1 << 16;

/// MongoDB's `maxMessageSizeBytes`, also announced in `hello`.
pub const MAX_MESSAGE_SIZE: i32 = 48_000_000;
const HEADER_LEN: usize = 16;

/// The 16-byte header every message starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Total message length, header included.
    pub length: i32,
    /// The sender's id for this message.
    pub request_id: i32,
    /// The request this message answers (0 in requests).
    pub response_to: i32,
    /// The opcode.
    pub op_code: i32,
}

/// One decoded request.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// An OP_MSG command.
    Msg(OpMsg),
    /// A legacy OP_QUERY.
    Query(OpQuery),
}

/// An OP_MSG: flags and the command with its document sequences folded in.
#[derive(Debug, Clone, PartialEq)]
pub struct OpMsg {
    /// The flag bits.
    pub flags: u32,
    /// The body document, with each kind-1 section added as an array field
    /// named by its identifier (how the server interprets them).
    pub command: Document,
}

/// A legacy OP_QUERY.
#[derive(Debug, Clone, PartialEq)]
pub struct OpQuery {
    /// `<db>.$cmd` for commands.
    pub full_collection_name: String,
    /// The query document; a command, possibly wrapped in `$query`.
    pub query: Document,
}

/// Reads one whole message. `Ok(None)` means the peer closed the connection
/// between messages.
pub fn read_message(stream: &mut impl Read) -> Result<Option<(Header, Vec<u8>)>, WireError> {
    let mut head = [0u8; HEADER_LEN];
    match stream.read_exact(&mut head) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e.into()),
    }
    let field = |i: usize| i32::from_le_bytes([head[i], head[i + 1], head[i + 2], head[i + 3]]);
    let header = Header { length: field(0), request_id: field(4), response_to: field(8), op_code: field(12) };
    if header.length < HEADER_LEN as i32 || header.length > MAX_MESSAGE_SIZE {
        return Err(WireError::Length(header.length));
    }
    let mut message = vec![0u8; header.length as usize];
    message[..HEADER_LEN].copy_from_slice(&head);
    stream.read_exact(&mut message[HEADER_LEN..])?;
    Ok(Some((header, message)))
}

/// Decodes a whole message (header included) into a request.
pub fn parse_request(header: &Header, message: &[u8]) -> Result<Request, WireError> {
    match header.op_code {
        OP_MSG => parse_op_msg(message).map(Request::Msg),
        OP_QUERY => parse_op_query(message).map(Request::Query),
        other => Err(WireError::OpCode(other)),
    }
}

/// A cursor over message bytes that reports truncation by field name.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], WireError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len()).ok_or(WireError::Truncated(what))?;
        let slice = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(slice)
    }

    fn u32(&mut self, what: &'static str) -> Result<u32, WireError> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn i32(&mut self, what: &'static str) -> Result<i32, WireError> {
        self.u32(what).map(|v| v as i32)
    }

    fn cstring(&mut self, what: &'static str) -> Result<String, WireError> {
        let rest = &self.bytes[self.pos..];
        let nul = rest.iter().position(|&b| b == 0).ok_or(WireError::Truncated(what))?;
        let text = std::str::from_utf8(&rest[..nul]).map_err(|_| WireError::Utf8(what))?.to_owned();
        self.pos += nul + 1;
        Ok(text)
    }

    /// One BSON document, whose first four bytes give its own length.
    fn document(&mut self, what: &'static str) -> Result<Document, WireError> {
        let len_bytes = self.bytes.get(self.pos..self.pos + 4).ok_or(WireError::Truncated(what))?;
        let len = i32::from_le_bytes([len_bytes[0], len_bytes[1], len_bytes[2], len_bytes[3]]);
        let len = usize::try_from(len).map_err(|_| WireError::Truncated(what))?;
        let bytes = self.take(len, what)?;
        Ok(Document::from_reader(bytes)?)
    }

    fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }
}

fn parse_op_msg(message: &[u8]) -> Result<OpMsg, WireError> {
    let mut reader = Reader { bytes: message, pos: HEADER_LEN };
    let flags = reader.u32("flagBits")?;
    // Bits 0-15 must be understood by the receiver; we know 0 and 1.
    let unknown_required = flags & 0xFFFF & !(CHECKSUM_PRESENT | MORE_TO_COME);
    if unknown_required != 0 {
        return Err(WireError::RequiredFlags(unknown_required));
    }
    let mut end = message.len();
    if flags & CHECKSUM_PRESENT != 0 {
        end = end.checked_sub(4).filter(|&e| e >= reader.pos).ok_or(WireError::Truncated("checksum"))?;
        let tail = &message[end..];
        let expected = u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]);
        let actual = crc32c(&message[..end]);
        if expected != actual {
            return Err(WireError::Checksum { expected, actual });
        }
    }
    let mut sections = Reader { bytes: &message[..end], pos: reader.pos };
    let mut bodies = Vec::new();
    let mut sequences = Vec::new();
    while sections.remaining() > 0 {
        let kind = sections.take(1, "section kind")?[0];
        match kind {
            0 => bodies.push(sections.document("body section")?),
            1 => {
                let size = sections.i32("document sequence size")?;
                let size = usize::try_from(size)
                    .ok()
                    .and_then(|s| s.checked_sub(4))
                    .ok_or(WireError::Truncated("document sequence"))?;
                let mut seq = Reader { bytes: sections.take(size, "document sequence")?, pos: 0 };
                let identifier = seq.cstring("sequence identifier")?;
                let mut docs = Vec::new();
                while seq.remaining() > 0 {
                    docs.push(Bson::Document(seq.document("sequence document")?));
                }
                sequences.push((identifier, docs));
            }
            other => return Err(WireError::SectionKind(other)),
        }
    }
    if bodies.len() != 1 {
        return Err(WireError::BodyCount(bodies.len()));
    }
    let mut command = bodies.remove(0);
    for (identifier, docs) in sequences {
        command.insert(identifier, Bson::Array(docs));
    }
    Ok(OpMsg { flags, command })
}

fn parse_op_query(message: &[u8]) -> Result<OpQuery, WireError> {
    let mut reader = Reader { bytes: message, pos: HEADER_LEN };
    let _flags = reader.i32("OP_QUERY flags")?;
    let full_collection_name = reader.cstring("fullCollectionName")?;
    let _skip = reader.i32("numberToSkip")?;
    let _return = reader.i32("numberToReturn")?;
    let query = reader.document("query")?;
    Ok(OpQuery { full_collection_name, query })
}

fn header_bytes(out: &mut Vec<u8>, request_id: i32, response_to: i32, op_code: i32) {
    out.extend_from_slice(&0i32.to_le_bytes()); // patched once the length is known
    out.extend_from_slice(&request_id.to_le_bytes());
    out.extend_from_slice(&response_to.to_le_bytes());
    out.extend_from_slice(&op_code.to_le_bytes());
}

fn patch_length(out: &mut [u8]) {
    let len = out.len() as i32;
    out[..4].copy_from_slice(&len.to_le_bytes());
}

/// Encodes an OP_MSG with one body section, appending a CRC-32C when asked.
pub fn encode_op_msg(request_id: i32, response_to: i32, body: &Document, checksum: bool) -> Result<Vec<u8>, WireError> {
    let mut out = Vec::with_capacity(256);
    header_bytes(&mut out, request_id, response_to, OP_MSG);
    let flags = if checksum { CHECKSUM_PRESENT } else { 0 };
    out.extend_from_slice(&flags.to_le_bytes());
    out.push(0);
    write_document(&mut out, body)?;
    if checksum {
        let len = out.len() as i32 + 4;
        out[..4].copy_from_slice(&len.to_le_bytes());
        let crc = crc32c(&out);
        out.extend_from_slice(&crc.to_le_bytes());
    } else {
        patch_length(&mut out);
    }
    Ok(out)
}

/// Encodes the OP_REPLY answering an OP_QUERY command: one document, no cursor.
pub fn encode_op_reply(request_id: i32, response_to: i32, document: &Document) -> Result<Vec<u8>, WireError> {
    let mut out = Vec::with_capacity(256);
    header_bytes(&mut out, request_id, response_to, OP_REPLY);
    out.extend_from_slice(&0i32.to_le_bytes()); // responseFlags
    out.extend_from_slice(&0i64.to_le_bytes()); // cursorID
    out.extend_from_slice(&0i32.to_le_bytes()); // startingFrom
    out.extend_from_slice(&1i32.to_le_bytes()); // numberReturned
    write_document(&mut out, document)?;
    patch_length(&mut out);
    Ok(out)
}

fn write_document(out: &mut Vec<u8>, document: &Document) -> Result<(), WireError> {
    document.to_writer(out as &mut dyn Write)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use bson::doc;

    use super::*;

    fn msg_with_sequence(checksum: bool) -> Vec<u8> {
        let mut out = Vec::new();
        header_bytes(&mut out, 7, 0, OP_MSG);
        out.extend_from_slice(&(if checksum { CHECKSUM_PRESENT } else { 0 }).to_le_bytes());
        out.push(0);
        write_document(&mut out, &doc! { "insert": "c", "$db": "d" }).unwrap();
        out.push(1);
        let mut seq = Vec::new();
        seq.extend_from_slice(b"documents\0");
        write_document(&mut seq, &doc! { "_id": 1 }).unwrap();
        write_document(&mut seq, &doc! { "_id": 2 }).unwrap();
        out.extend_from_slice(&(seq.len() as i32 + 4).to_le_bytes());
        out.extend_from_slice(&seq);
        if checksum {
            let len = out.len() as i32 + 4;
            out[..4].copy_from_slice(&len.to_le_bytes());
            let crc = crc32c(&out);
            out.extend_from_slice(&crc.to_le_bytes());
        } else {
            patch_length(&mut out);
        }
        out
    }

    #[test]
    fn document_sequences_become_array_fields() {
        for checksum in [false, true] {
            let bytes = msg_with_sequence(checksum);
            let (header, message) = read_message(&mut bytes.as_slice()).unwrap().unwrap();
            let Request::Msg(msg) = parse_request(&header, &message).unwrap() else { panic!("not OP_MSG") };
            assert_eq!(msg.command, doc! { "insert": "c", "$db": "d", "documents": [{ "_id": 1 }, { "_id": 2 }] });
        }
    }

    #[test]
    fn a_corrupted_checksummed_message_is_rejected() {
        let mut bytes = msg_with_sequence(true);
        let last_doc_byte = bytes.len() - 6;
        bytes[last_doc_byte] ^= 0x01;
        let (header, message) = read_message(&mut bytes.as_slice()).unwrap().unwrap();
        assert!(matches!(parse_request(&header, &message), Err(WireError::Checksum { .. })));
    }

    #[test]
    fn encoded_checksum_covers_the_whole_message() {
        let bytes = encode_op_msg(1, 7, &doc! { "ok": 1.0 }, true).unwrap();
        let (header, message) = read_message(&mut bytes.as_slice()).unwrap().unwrap();
        assert_eq!(header.length as usize, bytes.len());
        let Request::Msg(msg) = parse_request(&header, &message).unwrap() else { panic!("not OP_MSG") };
        assert_eq!(msg.flags, CHECKSUM_PRESENT);
    }

    #[test]
    fn unknown_required_flag_bits_are_rejected() {
        let mut bytes = encode_op_msg(1, 0, &doc! { "ping": 1 }, false).unwrap();
        bytes[16] |= 1 << 4;
        let (header, message) = read_message(&mut bytes.as_slice()).unwrap().unwrap();
        assert!(matches!(parse_request(&header, &message), Err(WireError::RequiredFlags(0x10))));
    }
}
