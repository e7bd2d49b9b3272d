//! The connector's offset: Debezium 3.x's MongoDB keys (`sec`, `ord`,
//! `resume_token` as base64 of the BSON token document, `initsync`,
//! `lsid`/`txnNumber`), so offsets read and altered through the REST API look
//! as they do with Debezium.

use serde_json::{Map, Value as Json};

use crate::bson::{Bson, Doc};
use weir_debezium::binary::base64_decode;

/// Partition `{"server_id": <topic.prefix>}`.
pub fn partition(prefix: &str) -> String {
    let mut m = Map::new();
    m.insert("server_id".into(), Json::String(prefix.to_string()));
    Json::Object(m).to_string()
}

/// One offset.
#[derive(Debug, Clone, PartialEq)]
pub struct Offset {
    /// Cluster-time seconds of the event, `-1` when only a token is known.
    pub sec: i64,
    /// Cluster-time increment, `-1` when unknown.
    pub ord: i64,
    /// Base64 of the BSON resume-token document.
    pub resume_token: Option<String>,
    /// The initial snapshot is running.
    pub initsync: bool,
    /// Session id (JSON) of a transaction's event.
    pub lsid: Option<String>,
    /// Transaction number of a transaction's event.
    pub txn_number: Option<i64>,
}

impl Default for Offset {
    fn default() -> Self {
        Self { sec: -1, ord: -1, resume_token: None, initsync: false, lsid: None, txn_number: None }
    }
}

/// Base64 of a token document's BSON, as `ResumeTokens.toBase64`.
pub fn token_to_base64(token: &Doc) -> String {
    let mut out = String::new();
    weir_json::write_base64(&mut out, &token.to_bytes());
    out
}

impl Offset {
    /// A position known only by its resume token (snapshot start, idle stream).
    pub fn token_only(token: &Doc) -> Self {
        Self { resume_token: Some(token_to_base64(token)), ..Self::default() }
    }

    /// The JSON object.
    pub fn to_json(&self) -> String {
        let mut m = Map::new();
        m.insert("sec".into(), Json::from(self.sec));
        m.insert("ord".into(), Json::from(self.ord));
        if self.initsync {
            m.insert("initsync".into(), Json::Bool(true));
        }
        if let (Some(lsid), Some(txn)) = (&self.lsid, self.txn_number) {
            m.insert("lsid".into(), Json::String(lsid.clone()));
            m.insert("txnNumber".into(), Json::from(txn));
        }
        if let Some(t) = &self.resume_token {
            m.insert("resume_token".into(), Json::String(t.clone()));
        }
        Json::Object(m).to_string()
    }

    /// Reads an offset; `None` when the text is not an object.
    pub fn parse(text: &str) -> Option<Self> {
        let v: Json = serde_json::from_str(text).ok()?;
        let o = v.as_object()?;
        let i = |k: &str| o.get(k).and_then(|v| v.as_i64().or_else(|| v.as_str()?.parse().ok()));
        Some(Self {
            sec: i("sec").unwrap_or(-1),
            ord: i("ord").unwrap_or(-1),
            resume_token: o.get("resume_token").and_then(Json::as_str).map(str::to_string),
            initsync: o.get("initsync").is_some_and(|v| v.as_bool() == Some(true) || v.as_str() == Some("true")),
            lsid: o.get("lsid").and_then(Json::as_str).map(str::to_string),
            txn_number: i("txnNumber"),
        })
    }

    /// The resume token document: base64 BSON (3.x), or the hex `_data`
    /// string Debezium 2.x stored.
    pub fn token(&self) -> Option<Doc> {
        let text = self.resume_token.as_deref()?;
        if let Some(doc) = base64_decode(text).and_then(|b| Doc::from_bytes(&b).ok()) {
            return Some(doc);
        }
        text.bytes().all(|b| b.is_ascii_hexdigit()).then(|| Doc::new().with("_data", text))
    }

    /// The cluster time to start at when there is no token.
    pub fn operation_time(&self) -> Option<Bson> {
        (self.sec > 0).then(|| Bson::Timestamp {
            t: u32::try_from(self.sec).unwrap_or(0),
            i: u32::try_from(self.ord.max(0)).unwrap_or(0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_round_trip_with_base64_bson_tokens() {
        let token = Doc::new().with("_data", "8264A1B2C3000000012B0429296E1404");
        let o = Offset { sec: 1_700_000_000, ord: 3, ..Offset::token_only(&token) };
        let json = o.to_json();
        assert_eq!(Offset::parse(&json), Some(o.clone()));
        assert_eq!(o.token(), Some(token.clone()));
        // The token is the BSON document {_data: "<hex>"} in base64.
        assert_eq!(
            o.resume_token.as_deref(),
            Some("MQAAAAJfZGF0YQAhAAAAODI2NEExQjJDMzAwMDAwMDAxMkIwNDI5Mjk2RTE0MDQAAA==")
        );
        // Debezium 2.x stored the hex string itself.
        let legacy = Offset::parse(r#"{"sec":5,"ord":1,"resume_token":"8264A1B2"}"#).expect("object");
        assert_eq!(legacy.token(), Some(Doc::new().with("_data", "8264A1B2")));
        assert_eq!(legacy.operation_time(), Some(Bson::Timestamp { t: 5, i: 1 }));
        let snap = Offset { initsync: true, ..Offset::token_only(&token) };
        assert!(snap.to_json().contains("\"initsync\":true"));
        assert!(Offset::parse(&snap.to_json()).is_some_and(|o| o.initsync));
        assert_eq!(partition("p"), r#"{"server_id":"p"}"#);
    }
}
