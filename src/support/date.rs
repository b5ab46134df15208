//! Calendar dates (UTC), timestamps and durations, on `jiff` (which rustsec compiles in): for
//! exemption expiry, the database's age, and publish times.

use std::fmt;
use std::str::FromStr;

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Span, SpanRelativeTo, Timestamp};

/// A calendar date, `YYYY-MM-DD`, in UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(jiff::civil::Date);

/// Why a string is not a valid `YYYY-MM-DD` date.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid date `{text}`: {reason} (expected YYYY-MM-DD)")]
pub struct DateError {
    text: String,
    reason: &'static str,
}

impl Date {
    /// Builds a date from its parts, checking that the day exists.
    pub fn new(year: i32, month: u8, day: u8) -> Option<Date> {
        let year = i16::try_from(year).ok()?;
        let month = i8::try_from(month).ok()?;
        let day = i8::try_from(day).ok()?;
        jiff::civil::Date::new(year, month, day).ok().map(Date)
    }

    /// Today's date in UTC, from the system clock.
    pub fn today() -> Date {
        Date::of(Timestamp::now())
    }

    /// The UTC date of a timestamp.
    pub fn of(timestamp: Timestamp) -> Date {
        Date(timestamp.to_zoned(TimeZone::UTC).date())
    }

    /// The UTC date of a Unix timestamp (clamped to the range dates support).
    pub fn from_unix_seconds(secs: i64) -> Date {
        let timestamp = Timestamp::from_second(secs).unwrap_or(if secs < 0 {
            Timestamp::MIN
        } else {
            Timestamp::MAX
        });
        Date::of(timestamp)
    }

    /// Whole days from `self` to `later` (negative when `later` is earlier).
    pub fn days_until(self, later: Date) -> i64 {
        self.0.duration_until(later.0).as_secs() / 86_400
    }

    /// The date `days` days after this one (clamped to the range dates support).
    pub fn add_days(self, days: i64) -> Date {
        Date(
            self.0
                .checked_add(Span::new().days(days.clamp(-7_304_484, 7_304_484)))
                .unwrap_or(if days < 0 {
                    jiff::civil::Date::MIN
                } else {
                    jiff::civil::Date::MAX
                }),
        )
    }
}

impl FromStr for Date {
    type Err = DateError;

    fn from_str(text: &str) -> Result<Date, DateError> {
        let error = |reason| DateError {
            text: text.to_owned(),
            reason,
        };
        let bytes = text.as_bytes();
        let shape = bytes.len() == 10
            && bytes.iter().enumerate().all(|(index, byte)| match index {
                4 | 7 => *byte == b'-',
                _ => byte.is_ascii_digit(),
            });
        if !shape {
            return Err(error("not of the form YYYY-MM-DD"));
        }
        let number = |range: std::ops::Range<usize>| text[range].parse::<u16>().unwrap_or(0);
        Date::new(
            i32::from(number(0..4)),
            number(5..7) as u8,
            number(8..10) as u8,
        )
        .ok_or_else(|| error("no such day"))
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Unix seconds of an RFC 3339 timestamp such as `2024-09-12T02:00:02.123Z`.
pub fn unix_seconds(timestamp: &str) -> Option<i64> {
    timestamp
        .trim()
        .parse::<Timestamp>()
        .ok()
        .map(Timestamp::as_second)
}

/// A Unix time as `2026-08-20 14:03 UTC`.
pub fn format_utc(seconds: i64) -> String {
    Timestamp::from_second(seconds)
        .map(|timestamp| timestamp.strftime("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|_| format!("{seconds} seconds after 1970"))
}

/// A Unix time as RFC 3339 (`2026-08-20T14:03:00Z`).
pub fn rfc3339(seconds: i64) -> String {
    Timestamp::from_second(seconds)
        .map(|timestamp| timestamp.to_string())
        .unwrap_or_default()
}

/// A Unix time, now.
pub fn now() -> i64 {
    Timestamp::now().as_second()
}

/// A span of whole days written as `90d`, `12w`, or `24h` (rounded up to days).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Days(pub u32);

/// Why a duration string could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid duration `{0}` (expected a number of days, weeks or hours such as \"90d\", \"12w\" or \"48h\")"
)]
pub struct DaysError(String);

/// A duration written with weeks, days, hours or minutes (`"3d"`, `"2w"`, `"36h"`,
/// `"1d 12h"`), as jiff's friendly format reads it; days are 24 hours. Months and years, whose
/// length varies, are refused.
pub fn parse_duration(text: &str) -> Option<SignedDuration> {
    let span: Span = text.trim().parse().ok()?;
    if span.get_years() != 0 || span.get_months() != 0 || span.is_negative() {
        return None;
    }
    span.to_duration(SpanRelativeTo::days_are_24_hours()).ok()
}

impl FromStr for Days {
    type Err = DaysError;

    fn from_str(text: &str) -> Result<Days, DaysError> {
        let error = || DaysError(text.to_owned());
        if !text.trim().ends_with(|c: char| c.is_ascii_alphabetic()) {
            return Err(error());
        }
        let duration = parse_duration(text).ok_or_else(error)?;
        let seconds = u64::try_from(duration.as_secs()).map_err(|_| error())?;
        u32::try_from(seconds.div_ceil(86_400))
            .map(Days)
            .map_err(|_| error())
    }
}

impl fmt::Display for Days {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}d", self.0)
    }
}

/// A duration in words, coarsely: "40 seconds", "12 minutes", "3 hours", "5 days".
pub fn describe_duration(seconds: u64) -> String {
    let (value, unit) = match seconds {
        0..120 => (seconds, "second"),
        120..3_600 => (seconds / 60, "minute"),
        3_600..172_800 => (seconds / 3_600, "hour"),
        _ => (seconds / 86_400, "day"),
    };
    format!("{value} {unit}{}", if value == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_dates() {
        let date: Date = "2027-03-31".parse().unwrap();
        assert_eq!(date.to_string(), "2027-03-31");
        assert!("2027-02-29".parse::<Date>().is_err());
        assert!("2028-02-29".parse::<Date>().is_ok());
        assert!("2027-13-01".parse::<Date>().is_err());
        assert!("27-03-31".parse::<Date>().is_err());
        assert!("2027-3-31x".parse::<Date>().is_err());
        assert_eq!(
            "2027-02-30".parse::<Date>().unwrap_err().to_string(),
            "invalid date `2027-02-30`: no such day (expected YYYY-MM-DD)"
        );
    }

    #[test]
    fn day_arithmetic() {
        assert_eq!(Date::from_unix_seconds(0).to_string(), "1970-01-01");
        assert_eq!(Date::from_unix_seconds(-1).to_string(), "1969-12-31");
        let a: Date = "2026-08-21".parse().unwrap();
        let b: Date = "2026-11-24".parse().unwrap();
        assert_eq!(a.days_until(b), 95);
        assert_eq!(b.days_until(a), -95);
        assert_eq!(a.add_days(95), b);
        assert_eq!(b.add_days(i64::MAX).to_string(), "9999-12-31");
    }

    #[test]
    fn parses_durations() {
        assert_eq!("90d".parse(), Ok(Days(90)));
        assert_eq!("2w".parse(), Ok(Days(14)));
        assert_eq!("25h".parse(), Ok(Days(2)));
        assert!("90".parse::<Days>().is_err());
        assert!("d".parse::<Days>().is_err());
        assert!("3 months".parse::<Days>().is_err());
        assert_eq!(parse_duration("36h"), Some(SignedDuration::from_hours(36)));
        assert_eq!(
            parse_duration("1d 12h"),
            Some(SignedDuration::from_hours(36))
        );
        assert_eq!(parse_duration("-3d"), None);
        assert_eq!(parse_duration("1y"), None);
    }

    #[test]
    fn timestamps() {
        assert_eq!(unix_seconds("1970-01-02T00:00:01Z"), Some(86_401));
        assert_eq!(
            unix_seconds("2024-09-12T02:00:02.123Z"),
            Some(1_726_106_402)
        );
        assert_eq!(unix_seconds("yesterday"), None);
        assert_eq!(describe_duration(1), "1 second");
        assert_eq!(describe_duration(119), "119 seconds");
        assert_eq!(describe_duration(600), "10 minutes");
        assert_eq!(describe_duration(3 * 3600), "3 hours");
        assert_eq!(describe_duration(3600), "1 hour");
        assert_eq!(describe_duration(3599), "59 minutes");
        assert_eq!(describe_duration(86_400 * 9), "9 days");
    }
}
