//! `time.precision.mode`: Debezium's temporal schemas and values.
//!
//! Connectors parse their database's text into plain numbers (days since
//! the epoch, microseconds past midnight, microseconds since the epoch,
//! all in the proleptic Gregorian calendar at UTC) and build Connect values
//! from those here, so the per-mode rules live in one place.

use weir_json::{write_two, write_u32};
use weir_sdk::{Schema, Value};

/// `io.debezium.time.Date`: int32 days since the epoch.
pub const DATE: &str = "io.debezium.time.Date";
/// `io.debezium.time.Time`: int32 milliseconds past midnight.
pub const TIME: &str = "io.debezium.time.Time";
/// `io.debezium.time.MicroTime`: int64 microseconds past midnight.
pub const MICRO_TIME: &str = "io.debezium.time.MicroTime";
/// `io.debezium.time.NanoTime`: int64 nanoseconds past midnight.
pub const NANO_TIME: &str = "io.debezium.time.NanoTime";
/// `io.debezium.time.Timestamp`: int64 milliseconds since the epoch.
pub const TIMESTAMP: &str = "io.debezium.time.Timestamp";
/// `io.debezium.time.MicroTimestamp`: int64 microseconds since the epoch.
pub const MICRO_TIMESTAMP: &str = "io.debezium.time.MicroTimestamp";
/// `io.debezium.time.NanoTimestamp`: int64 nanoseconds since the epoch.
pub const NANO_TIMESTAMP: &str = "io.debezium.time.NanoTimestamp";
/// `io.debezium.time.ZonedTimestamp`: ISO-8601 string with offset.
pub const ZONED_TIMESTAMP: &str = "io.debezium.time.ZonedTimestamp";
/// `io.debezium.time.ZonedTime`: ISO-8601 time string with offset.
pub const ZONED_TIME: &str = "io.debezium.time.ZonedTime";
/// `io.debezium.time.IsoDate`: `2017-09-15Z`.
pub const ISO_DATE: &str = "io.debezium.time.IsoDate";
/// `io.debezium.time.IsoTime`: `04:05:11.789Z`.
pub const ISO_TIME: &str = "io.debezium.time.IsoTime";
/// `io.debezium.time.IsoTimestamp`: `2019-07-09T02:28:57.123456Z`.
pub const ISO_TIMESTAMP: &str = "io.debezium.time.IsoTimestamp";
/// `io.debezium.time.MicroDuration`: int64 microseconds.
pub const MICRO_DURATION: &str = "io.debezium.time.MicroDuration";
/// `io.debezium.time.Interval`: ISO-8601 duration string.
pub const INTERVAL: &str = "io.debezium.time.Interval";
/// Kafka Connect's logical date (int32 days).
pub const CONNECT_DATE: &str = "org.apache.kafka.connect.data.Date";
/// Kafka Connect's logical time (int32 milliseconds).
pub const CONNECT_TIME: &str = "org.apache.kafka.connect.data.Time";
/// Kafka Connect's logical timestamp (int64 milliseconds).
pub const CONNECT_TIMESTAMP: &str = "org.apache.kafka.connect.data.Timestamp";

const MICROS_PER_DAY: i64 = 86_400_000_000;

/// Debezium's `time.precision.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimePrecision {
    /// Milli, micro or nano types by column precision (PostgreSQL's default).
    #[default]
    Adaptive,
    /// As `Adaptive`, but every TIME is `MicroTime` (MySQL's default).
    AdaptiveTimeMicroseconds,
    /// Kafka Connect's own logical types (millisecond precision).
    Connect,
    /// ISO-8601 strings at UTC.
    IsoString,
    /// Always microseconds.
    Microseconds,
    /// Always nanoseconds.
    Nanoseconds,
}

impl TimePrecision {
    /// Parses a configuration value (`adaptive`, `adaptive_time_microseconds`,
    /// `connect`, `isostring`, `microseconds`, `nanoseconds`).
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "adaptive" => Some(Self::Adaptive),
            "adaptive_time_microseconds" => Some(Self::AdaptiveTimeMicroseconds),
            "connect" => Some(Self::Connect),
            "isostring" => Some(Self::IsoString),
            "microseconds" => Some(Self::Microseconds),
            "nanoseconds" => Some(Self::Nanoseconds),
            _ => None,
        }
    }

    /// The required schema of a DATE column.
    pub fn date_schema(self) -> Schema {
        match self {
            Self::Connect => logical(Schema::int32(), CONNECT_DATE),
            Self::IsoString => logical(Schema::string(), ISO_DATE),
            _ => logical(Schema::int32(), DATE),
        }
    }

    /// The required schema of a TIME column with `precision` fractional
    /// digits.
    pub fn time_schema(self, precision: i32) -> Schema {
        match self.time_unit(precision) {
            TimeUnit::Connect => logical(Schema::int32(), CONNECT_TIME),
            TimeUnit::Iso => logical(Schema::string(), ISO_TIME),
            TimeUnit::Millis => logical(Schema::int32(), TIME),
            TimeUnit::Micros => logical(Schema::int64(), MICRO_TIME),
            TimeUnit::Nanos => logical(Schema::int64(), NANO_TIME),
        }
    }

    /// The required schema of a TIMESTAMP (without time zone) column with
    /// `precision` fractional digits.
    pub fn timestamp_schema(self, precision: i32) -> Schema {
        match self.timestamp_unit(precision) {
            TimeUnit::Connect => logical(Schema::int64(), CONNECT_TIMESTAMP),
            TimeUnit::Iso => logical(Schema::string(), ISO_TIMESTAMP),
            TimeUnit::Millis => logical(Schema::int64(), TIMESTAMP),
            TimeUnit::Micros => logical(Schema::int64(), MICRO_TIMESTAMP),
            TimeUnit::Nanos => logical(Schema::int64(), NANO_TIMESTAMP),
        }
    }

    /// A DATE value from days since the epoch.
    pub fn date_value(self, days: i64) -> Value {
        match self {
            Self::IsoString => Value::String(format!("{}Z", format_date(days))),
            // Debezium narrows epoch days to an int.
            _ => Value::Int32(days as i32),
        }
    }

    /// A TIME value from microseconds past midnight (which may be a whole
    /// day, PostgreSQL's `24:00:00`).
    pub fn time_value(self, precision: i32, micros: i64) -> Value {
        match self.time_unit(precision) {
            TimeUnit::Connect | TimeUnit::Millis => Value::Int32((micros / 1000) as i32),
            TimeUnit::Micros => Value::Int64(micros),
            TimeUnit::Nanos => Value::Int64(micros.saturating_mul(1000)),
            TimeUnit::Iso => Value::String(zoned_time(micros)),
        }
    }

    /// A TIMESTAMP (without time zone) value from microseconds since the
    /// epoch; `None` when the mode's unit cannot hold it (nanoseconds past
    /// the years 1677..2262).
    pub fn timestamp_value(self, precision: i32, micros: i64) -> Option<Value> {
        Some(match self.timestamp_unit(precision) {
            TimeUnit::Connect | TimeUnit::Millis => Value::Int64(micros.div_euclid(1000)),
            TimeUnit::Micros => Value::Int64(micros),
            TimeUnit::Nanos => Value::Int64(micros.checked_mul(1000)?),
            TimeUnit::Iso => Value::String(format_timestamp(micros, None)),
        })
    }

    fn time_unit(self, precision: i32) -> TimeUnit {
        match self {
            Self::Adaptive => adaptive(precision),
            Self::AdaptiveTimeMicroseconds | Self::Microseconds => TimeUnit::Micros,
            Self::Connect => TimeUnit::Connect,
            Self::IsoString => TimeUnit::Iso,
            Self::Nanoseconds => TimeUnit::Nanos,
        }
    }

    fn timestamp_unit(self, precision: i32) -> TimeUnit {
        match self {
            Self::Adaptive | Self::AdaptiveTimeMicroseconds => adaptive(precision),
            Self::Microseconds => TimeUnit::Micros,
            Self::Connect => TimeUnit::Connect,
            Self::IsoString => TimeUnit::Iso,
            Self::Nanoseconds => TimeUnit::Nanos,
        }
    }
}

#[derive(Clone, Copy)]
enum TimeUnit {
    Connect,
    Iso,
    Millis,
    Micros,
    Nanos,
}

fn adaptive(precision: i32) -> TimeUnit {
    if precision <= 3 {
        TimeUnit::Millis
    } else if precision <= 6 {
        TimeUnit::Micros
    } else {
        TimeUnit::Nanos
    }
}

fn logical(schema: Schema, name: &str) -> Schema {
    schema.named(name).version(1)
}

/// `io.debezium.time.ZonedTimestamp` (string, version 1).
pub fn zoned_timestamp_schema() -> Schema {
    logical(Schema::string(), ZONED_TIMESTAMP)
}

/// `io.debezium.time.ZonedTime` (string, version 1).
pub fn zoned_time_schema() -> Schema {
    logical(Schema::string(), ZONED_TIME)
}

/// `io.debezium.time.MicroDuration` (int64, version 1).
pub fn micro_duration_schema() -> Schema {
    logical(Schema::int64(), MICRO_DURATION)
}

/// `io.debezium.time.Interval` (string, version 1).
pub fn interval_schema() -> Schema {
    logical(Schema::string(), INTERVAL)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (astronomical
/// years: 1 BC is year 0).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian (year, month, day) of days since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `yyyy-MM-dd` as `DateTimeFormatter.ISO_LOCAL_DATE` writes it: at least
/// four year digits, `+` above 9999, `-` before BC (astronomical) years.
pub fn format_date(days: i64) -> String {
    let mut out = String::with_capacity(10);
    write_date(&mut out, days);
    out
}

/// `HH:mm:ss` plus the fraction of `micros` (past midnight, below one
/// day): Java's ISO style (trailing zeros dropped, nothing when zero) when
/// `width` is `None`, else exactly `width` digits (1..=9), truncated.
pub fn format_time(micros: i64, width: Option<u32>) -> String {
    let mut out = String::with_capacity(15);
    write_time(&mut out, micros, width);
    out
}

/// An instant as `ISO_OFFSET_DATE_TIME` writes it at UTC
/// (`2024-01-02T03:04:05.5Z`), or with exactly `width` fraction digits.
pub fn format_timestamp(micros: i64, width: Option<u32>) -> String {
    let mut out = String::with_capacity(27);
    write_date(&mut out, micros.div_euclid(MICROS_PER_DAY));
    out.push('T');
    write_time(&mut out, micros.rem_euclid(MICROS_PER_DAY), width);
    out.push('Z');
    out
}

fn write_date(out: &mut String, days: i64) {
    let (year, month, day) = civil_from_days(days);
    if year > 9999 {
        out.push('+');
    } else if year < 0 {
        out.push('-');
    }
    // Written for every temporal column of every row, so without `format!`.
    match u32::try_from(year.unsigned_abs()) {
        Ok(y @ 0..=9999) => {
            write_two(out, y / 100);
            write_two(out, y % 100);
        }
        Ok(y) => write_u32(out, y, 4),
        Err(_) => weir_json::write_u64(out, year.unsigned_abs()),
    }
    out.push('-');
    write_two(out, month);
    out.push('-');
    write_two(out, day);
}

fn write_time(out: &mut String, micros: i64, width: Option<u32>) {
    // A time of day (callers take it modulo a day), so it fits 32 bits.
    let seconds = u32::try_from(micros.div_euclid(1_000_000)).unwrap_or(u32::MAX);
    let fraction = micros.rem_euclid(1_000_000) as u32;
    // Hours can pass 99 only for an out-of-range time; write them whole.
    match seconds / 3600 {
        hours @ 0..=99 => write_two(out, hours),
        hours => write_u32(out, hours, 2),
    }
    out.push(':');
    write_two(out, seconds / 60 % 60);
    out.push(':');
    write_two(out, seconds % 60);
    // Nanoseconds: microseconds and three zeros, nine digits.
    let nanos = fraction * 1000;
    match width {
        None if nanos == 0 => {}
        None => {
            let mut digits = 9;
            let mut trimmed = nanos;
            while trimmed.is_multiple_of(10) {
                trimmed /= 10;
                digits -= 1;
            }
            out.push('.');
            write_u32(out, trimmed, digits);
        }
        Some(w) => {
            let w = w.clamp(1, 9);
            out.push('.');
            write_u32(out, nanos / 10u32.pow(9 - w), w as usize);
        }
    }
}

/// Debezium's `ZonedTimestamp` string of an instant at UTC. `fraction_width`
/// is the column's fractional-seconds precision: PostgreSQL pads the
/// fraction to it when it is 1..=9 (DBZ-6163); otherwise (0, or unknown as
/// -1) Java's ISO style drops trailing zeros.
pub fn zoned_timestamp(micros: i64, fraction_width: i32) -> String {
    let width = u32::try_from(fraction_width).ok().filter(|w| (1..=9).contains(w));
    format_timestamp(micros, width)
}

/// Debezium's `ZonedTime` string of a time at UTC (`ISO_OFFSET_TIME`).
pub fn zoned_time(micros_of_day: i64) -> String {
    let mut out = String::with_capacity(16);
    write_time(&mut out, micros_of_day.rem_euclid(MICROS_PER_DAY), None);
    out.push('Z');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_round_trip() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2016, 11, 4), 17109);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        assert_eq!(days_from_civil(0, 3, 1), -719_468);
        assert_eq!(days_from_civil(2000, 2, 29), 11016);
        for days in [-3_000_000_i64, -719_529, -1, 0, 59, 60, 11016, 2_932_896, 107_000_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "{days}");
        }
        assert_eq!(civil_from_days(-2_440_588), (-4713, 11, 24));
    }

    #[test]
    fn formats_like_java_time() {
        assert_eq!(format_date(0), "1970-01-01");
        assert_eq!(format_date(days_from_civil(-4712, 12, 31)), "-4712-12-31");
        assert_eq!(format_date(days_from_civil(-1, 1, 1)), "-0001-01-01");
        assert_eq!(format_date(days_from_civil(21016, 11, 4)), "+21016-11-04");
        let micros = days_from_civil(2016, 11, 4) * MICROS_PER_DAY + (11 * 3600 + 51 * 60 + 30) * 1_000_000 + 123_456;
        assert_eq!(zoned_timestamp(micros, 6), "2016-11-04T11:51:30.123456Z");
        assert_eq!(zoned_timestamp(micros - 123_456, 6), "2016-11-04T11:51:30.000000Z");
        assert_eq!(zoned_timestamp(micros - 123_456, 0), "2016-11-04T11:51:30Z");
        assert_eq!(zoned_timestamp(micros, 3), "2016-11-04T11:51:30.123Z");
        assert_eq!(zoned_timestamp(micros - 3_456, -1), "2016-11-04T11:51:30.12Z");
        assert_eq!(zoned_timestamp(0, 0), "1970-01-01T00:00:00Z");
        assert_eq!(zoned_timestamp(-1, 6), "1969-12-31T23:59:59.999999Z");
        assert_eq!(zoned_time((11 * 3600 + 51 * 60 + 30) * 1_000_000 + 123_789), "11:51:30.123789Z");
        assert_eq!(zoned_time(0), "00:00:00Z");
        assert_eq!(
            format_timestamp(days_from_civil(-4713, 12, 31) * MICROS_PER_DAY + MICROS_PER_DAY - 1, None),
            "-4713-12-31T23:59:59.999999Z"
        );
    }

    #[test]
    fn schemas_per_mode() {
        let name = |s: Schema| s.name.unwrap_or_default();
        let m = TimePrecision::Adaptive;
        assert_eq!(name(m.time_schema(3)), TIME);
        assert_eq!(name(m.time_schema(6)), MICRO_TIME);
        assert_eq!(name(m.time_schema(0)), TIME);
        assert_eq!(name(m.timestamp_schema(3)), TIMESTAMP);
        assert_eq!(name(m.timestamp_schema(6)), MICRO_TIMESTAMP);
        assert_eq!(name(m.timestamp_schema(9)), NANO_TIMESTAMP);
        assert_eq!(name(TimePrecision::AdaptiveTimeMicroseconds.time_schema(2)), MICRO_TIME);
        assert_eq!(name(TimePrecision::AdaptiveTimeMicroseconds.timestamp_schema(2)), TIMESTAMP);
        assert_eq!(name(TimePrecision::Connect.date_schema()), CONNECT_DATE);
        assert_eq!(name(TimePrecision::Connect.time_schema(6)), CONNECT_TIME);
        assert_eq!(name(TimePrecision::Connect.timestamp_schema(6)), CONNECT_TIMESTAMP);
        assert_eq!(name(TimePrecision::IsoString.timestamp_schema(6)), ISO_TIMESTAMP);
        assert_eq!(name(TimePrecision::Nanoseconds.time_schema(1)), NANO_TIME);
        assert_eq!(TimePrecision::Adaptive.date_schema().version, Some(1));
        assert_eq!(TimePrecision::parse("ISOSTRING"), Some(TimePrecision::IsoString));
        assert_eq!(TimePrecision::parse("structured"), None);
    }

    #[test]
    fn values_per_mode() {
        let t = 13 * 3_600_000_000 + 51 * 60_000_000 + 30_123_456;
        assert_eq!(TimePrecision::Adaptive.time_value(3, t), Value::Int32(49_890_123));
        assert_eq!(TimePrecision::Adaptive.time_value(6, t), Value::Int64(t));
        assert_eq!(TimePrecision::Nanoseconds.time_value(6, t), Value::Int64(t * 1000));
        assert_eq!(TimePrecision::IsoString.time_value(6, t), Value::String("13:51:30.123456Z".into()));
        assert_eq!(TimePrecision::Adaptive.time_value(6, MICROS_PER_DAY), Value::Int64(86_400_000_000));
        assert_eq!(TimePrecision::Adaptive.timestamp_value(3, -1), Some(Value::Int64(-1)));
        assert_eq!(TimePrecision::Adaptive.timestamp_value(3, -1001), Some(Value::Int64(-2)));
        assert_eq!(TimePrecision::Nanoseconds.timestamp_value(6, i64::MAX / 10), None);
        assert_eq!(
            TimePrecision::IsoString.timestamp_value(6, 1_500_000),
            Some(Value::String("1970-01-01T00:00:01.5Z".into()))
        );
        assert_eq!(TimePrecision::IsoString.date_value(0), Value::String("1970-01-01Z".into()));
        assert_eq!(TimePrecision::Adaptive.date_value(17109), Value::Int32(17109));
    }
}
