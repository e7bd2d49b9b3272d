//! LSNs and PostgreSQL's epoch.

/// Microseconds between the Unix epoch and PostgreSQL's (2000-01-01).
pub const PG_EPOCH_OFFSET_US: i64 = 946_684_800_000_000;

/// Formats an LSN as PostgreSQL writes it (`16/B374D848`).
pub fn format(lsn: u64) -> String {
    format!("{:X}/{:X}", lsn >> 32, lsn & 0xFFFF_FFFF)
}

/// Parses `16/B374D848`.
pub fn parse(text: &str) -> Option<u64> {
    let (hi, lo) = text.trim().split_once('/')?;
    Some((u64::from_str_radix(hi, 16).ok()? << 32) | u64::from_str_radix(lo, 16).ok()?)
}

/// Now, in microseconds since PostgreSQL's epoch.
pub fn pg_now_micros() -> i64 {
    unix_now_micros() - PG_EPOCH_OFFSET_US
}

/// Now, in microseconds since the Unix epoch.
pub fn unix_now_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn lsn_text_round_trips() {
        assert_eq!(super::parse("16/B374D848"), Some(0x16_B374_D848));
        assert_eq!(super::format(0x16_B374_D848), "16/B374D848");
        assert_eq!(super::parse("nonsense"), None);
    }
}
