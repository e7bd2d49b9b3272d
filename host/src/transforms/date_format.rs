//! The part of Java's `SimpleDateFormat` that `TimestampConverter`'s
//! `format` uses in practice, always in UTC as Kafka configures it.
//!
//! Supported letters: `y` (`yy` two-digit), `M`/`L` (numeric, `MMM` short
//! and `MMMM` full English names), `d`, `D` (day of year), `E` (English day
//! names), `a`, `H`, `k`, `K`, `h`, `m`, `s`, `S` (milliseconds, a count
//! like Java's, not a fraction), `z`, `Z`, `X`; `'quoted text'` and `''`
//! for a quote. Not supported, and rejected when the config is validated:
//! `G` (era), `Y` (week year), `w`, `W`, `F`, `u`. Dates are proleptic
//! Gregorian, so they differ from Java's Julian calendar before 1582-10-15.
//! Parsing follows Java's lenient mode: out-of-range fields roll over
//! (month 13 is January of the next year), a numeric field directly
//! followed by another numeric field takes exactly its pattern width, and
//! text after the end of the pattern is ignored.

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MS_PER_DAY: i64 = 86_400_000;

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Text(String),
    Field { letter: char, count: usize },
}

/// A compiled pattern.
#[derive(Debug, Clone)]
pub(crate) struct DateFormat {
    pattern: String,
    tokens: Vec<Token>,
}

/// Days since 1970-01-01 of a proleptic Gregorian date (month 1-12).
pub(crate) fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date (year, month 1-12, day 1-31) of a day count since 1970-01-01.
pub(crate) fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

fn is_numeric(letter: char, count: usize) -> bool {
    match letter {
        'M' | 'L' => count < 3,
        'y' | 'd' | 'D' | 'H' | 'k' | 'K' | 'h' | 'm' | 's' | 'S' => true,
        _ => false,
    }
}

impl DateFormat {
    /// Compiles a pattern; the error says what is wrong with it.
    pub fn new(pattern: &str) -> Result<Self, String> {
        let mut tokens: Vec<Token> = Vec::new();
        let mut text = String::new();
        let mut chars = pattern.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\'' {
                if chars.peek() == Some(&'\'') {
                    chars.next();
                    text.push('\'');
                    continue;
                }
                loop {
                    match chars.next() {
                        None => return Err("Unterminated quote".into()),
                        Some('\'') if chars.peek() == Some(&'\'') => {
                            chars.next();
                            text.push('\'');
                        }
                        Some('\'') => break,
                        Some(q) => text.push(q),
                    }
                }
            } else if c.is_ascii_alphabetic() {
                match c {
                    'y' | 'M' | 'L' | 'd' | 'D' | 'E' | 'a' | 'H' | 'k' | 'K' | 'h' | 'm' | 's' | 'S' | 'z' | 'Z'
                    | 'X' => {}
                    'G' | 'Y' | 'w' | 'W' | 'F' | 'u' => {
                        return Err(format!("pattern letter '{c}' is not supported by Weir"));
                    }
                    _ => return Err(format!("Illegal pattern character '{c}'")),
                }
                let mut count = 1;
                while chars.peek() == Some(&c) {
                    chars.next();
                    count += 1;
                }
                if !text.is_empty() {
                    tokens.push(Token::Text(std::mem::take(&mut text)));
                }
                tokens.push(Token::Field { letter: c, count });
            } else {
                text.push(c);
            }
        }
        if !text.is_empty() {
            tokens.push(Token::Text(text));
        }
        Ok(Self { pattern: pattern.to_string(), tokens })
    }

    /// The pattern as configured.
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// Formats milliseconds since the epoch.
    pub fn format(&self, millis: i64) -> String {
        let days = millis.div_euclid(MS_PER_DAY);
        let in_day = millis.rem_euclid(MS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        let hour = in_day / 3_600_000;
        let mut out = String::with_capacity(self.pattern.len() + 8);
        let pad = |out: &mut String, n: i64, width: usize| out.push_str(&format!("{n:0width$}"));
        for token in &self.tokens {
            let (letter, count) = match token {
                Token::Text(t) => {
                    out.push_str(t);
                    continue;
                }
                Token::Field { letter, count } => (*letter, *count),
            };
            match letter {
                'y' if count == 2 => pad(&mut out, year.rem_euclid(100), 2),
                'y' => pad(&mut out, year, count),
                'M' | 'L' if count >= 4 => out.push_str(MONTHS[(month - 1) as usize]),
                'M' | 'L' if count == 3 => out.push_str(&MONTHS[(month - 1) as usize][..3]),
                'M' | 'L' => pad(&mut out, month, count),
                'd' => pad(&mut out, day, count),
                'D' => pad(&mut out, days - days_from_civil(year, 1, 1) + 1, count),
                'E' => {
                    let name = DAYS[(days + 4).rem_euclid(7) as usize];
                    out.push_str(if count >= 4 { name } else { &name[..3] });
                }
                'a' => out.push_str(if hour < 12 { "AM" } else { "PM" }),
                'H' => pad(&mut out, hour, count),
                'k' => pad(&mut out, if hour == 0 { 24 } else { hour }, count),
                'K' => pad(&mut out, hour % 12, count),
                'h' => pad(&mut out, if hour % 12 == 0 { 12 } else { hour % 12 }, count),
                'm' => pad(&mut out, in_day / 60_000 % 60, count),
                's' => pad(&mut out, in_day / 1000 % 60, count),
                'S' => pad(&mut out, in_day % 1000, count),
                'z' => out.push_str(if count >= 4 { "Coordinated Universal Time" } else { "UTC" }),
                'Z' => out.push_str("+0000"),
                _ => out.push('Z'),
            }
        }
        out
    }

    /// Parses text into milliseconds since the epoch, `None` if it does not
    /// match.
    pub fn parse(&self, text: &str) -> Option<i64> {
        let mut rest = text;
        let (mut year, mut month, mut day, mut day_of_year) = (1970i64, 1i64, 1i64, None);
        let (mut hour24, mut hour12, mut pm) = (None, None, None);
        let (mut minute, mut second, mut milli, mut offset_minutes) = (0i64, 0i64, 0i64, 0i64);
        for (i, token) in self.tokens.iter().enumerate() {
            let (letter, count) = match token {
                Token::Text(t) => {
                    rest = rest.strip_prefix(t.as_str())?;
                    continue;
                }
                Token::Field { letter, count } => (*letter, *count),
            };
            if is_numeric(letter, count) {
                let abutting = matches!(self.tokens.get(i + 1), Some(Token::Field { letter, count }) if is_numeric(*letter, *count));
                let available = rest.bytes().take_while(u8::is_ascii_digit).count();
                let width = if abutting { count.min(available) } else { available };
                if width == 0 || (abutting && width < count) {
                    return None;
                }
                // Bounded so later arithmetic on hostile input cannot overflow.
                let n: i64 = rest[..width].parse().ok().filter(|n| *n <= 999_999_999)?;
                rest = &rest[width..];
                match letter {
                    'y' if count <= 2 && width == 2 => year = two_digit_year(n),
                    'y' => year = n,
                    'M' | 'L' => month = n,
                    'd' => day = n,
                    'D' => day_of_year = Some(n),
                    'H' => hour24 = Some(n),
                    'k' => hour24 = Some(if n == 24 { 0 } else { n }),
                    'K' => hour12 = Some(n),
                    'h' => hour12 = Some(if n == 12 { 0 } else { n }),
                    'm' => minute = n,
                    's' => second = n,
                    _ => milli = n,
                }
                continue;
            }
            match letter {
                'M' | 'L' => {
                    let (index, len) = match_name(rest, &MONTHS)?;
                    month = index as i64 + 1;
                    rest = &rest[len..];
                }
                'E' => rest = &rest[match_name(rest, &DAYS)?.1..],
                'a' => {
                    let head = rest.get(..2)?;
                    pm = Some(if head.eq_ignore_ascii_case("PM") {
                        true
                    } else if head.eq_ignore_ascii_case("AM") {
                        false
                    } else {
                        return None;
                    });
                    rest = &rest[2..];
                }
                _ => {
                    let (minutes, len) = parse_zone(rest)?;
                    offset_minutes = minutes;
                    rest = &rest[len..];
                }
            }
        }
        // Lenient: months beyond 12 (or below 1) roll into neighbouring years.
        let year = year.checked_add((month - 1).div_euclid(12))?;
        let month = (month - 1).rem_euclid(12) + 1;
        let days = match day_of_year {
            Some(d) => days_from_civil(year, 1, 1) + d - 1,
            None => days_from_civil(year, month, 1) + day - 1,
        };
        let hour = match (hour24, hour12) {
            (Some(h), _) => h,
            (None, h) => h.unwrap_or(0) + if pm == Some(true) { 12 } else { 0 },
        };
        let time = ((hour * 60 + minute - offset_minutes) * 60 + second) * 1000 + milli;
        days.checked_mul(MS_PER_DAY)?.checked_add(time)
    }
}

/// Java resolves a two-digit year into the century that starts 80 years ago.
fn two_digit_year(yy: i64) -> i64 {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    let start = civil_from_days(now_ms.div_euclid(MS_PER_DAY)).0 - 80;
    let year = start - start.rem_euclid(100) + yy;
    if year < start { year + 100 } else { year }
}

/// The index and length of the longest full or three-letter name at the
/// start of `text`, ignoring case.
fn match_name(text: &str, names: &[&str]) -> Option<(usize, usize)> {
    let starts = |name: &str| text.get(..name.len()).is_some_and(|head| head.eq_ignore_ascii_case(name));
    names
        .iter()
        .enumerate()
        .find_map(|(i, name)| starts(name).then_some((i, name.len())))
        .or_else(|| names.iter().enumerate().find_map(|(i, name)| starts(&name[..3]).then_some((i, 3))))
}

/// A zone: `Z`, `UTC`/`GMT` optionally with an offset, or `±hh`, `±hhmm`,
/// `±hh:mm`. Returns minutes east of UTC and the length read.
fn parse_zone(text: &str) -> Option<(i64, usize)> {
    if text.starts_with('Z') {
        return Some((0, 1));
    }
    let prefix = ["UTC", "GMT"].into_iter().find(|p| text.starts_with(p)).map_or(0, str::len);
    let rest = &text[prefix..];
    let sign = match rest.as_bytes().first() {
        Some(b'+') => 1,
        Some(b'-') => -1,
        _ if prefix > 0 => return Some((0, prefix)),
        _ => return None,
    };
    let digits =
        |s: &str| s.get(..2).filter(|d| d.bytes().all(|b| b.is_ascii_digit())).and_then(|d| d.parse::<i64>().ok());
    let hours = digits(&rest[1..])?;
    let after = &rest[3..];
    let (minutes, len) = match after.strip_prefix(':') {
        Some(m) => (digits(m)?, 6),
        None => digits(after).map_or((0, 3), |m| (m, 5)),
    };
    Some((sign * (hours * 60 + minutes), prefix + len))
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: i64 = 1_700_000_000_123; // 2023-11-14T22:13:20.123Z, a Tuesday

    fn f(pattern: &str) -> DateFormat {
        DateFormat::new(pattern).unwrap()
    }

    #[test]
    fn civil_round_trip() {
        for days in [-719_468, -1, 0, 1, 11_016, 19_675, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil_from_days(19_675), (2023, 11, 14));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }

    #[test]
    fn formats_like_simple_date_format() {
        assert_eq!(f("yyyy-MM-dd HH:mm:ss.SSS").format(T), "2023-11-14 22:13:20.123");
        assert_eq!(f("yyyy-MM-dd'T'HH:mm:ss.SSSXXX").format(T), "2023-11-14T22:13:20.123Z");
        assert_eq!(f("EEE, d MMM yy hh:mm a Z").format(T), "Tue, 14 Nov 23 10:13 PM +0000");
        assert_eq!(f("EEEE MMMM D 'o''clock' ''").format(T), "Tuesday November 318 o'clock '");
        assert_eq!(f("S").format(5), "5");
        assert_eq!(f("yyyy-MM-dd HH:mm:ss").format(-1), "1969-12-31 23:59:59");
    }

    #[test]
    fn parses_like_lenient_simple_date_format() {
        assert_eq!(f("yyyy-MM-dd HH:mm:ss.SSS").parse("2023-11-14 22:13:20.123"), Some(T));
        assert_eq!(f("yyyy-MM-dd'T'HH:mm:ssXXX").parse("2023-11-15T00:13:20+02:00"), Some(T - 123));
        assert_eq!(f("yyyyMMddHHmmss").parse("20231114221320"), Some(T - 123));
        assert_eq!(f("dd MMM yyyy").parse("14 nov 2023 trailing"), Some(19_675 * MS_PER_DAY));
        assert_eq!(f("yyyy-MM-dd").parse("2023-13-01"), Some(days_from_civil(2024, 1, 1) * MS_PER_DAY));
        assert_eq!(f("hh:mm a").parse("12:30 AM"), Some(30 * 60_000));
        assert_eq!(f("yyyy-MM-dd").parse("2023/11/14"), None);
        assert_eq!(f("yyyy-MM-dd").parse(""), None);
    }

    #[test]
    fn unsupported_and_illegal_letters_are_rejected() {
        assert_eq!(DateFormat::new("YYYY-ww").unwrap_err(), "pattern letter 'Y' is not supported by Weir");
        assert_eq!(DateFormat::new("yyyy-bb").unwrap_err(), "Illegal pattern character 'b'");
        assert_eq!(DateFormat::new("'abc").unwrap_err(), "Unterminated quote");
    }
}
