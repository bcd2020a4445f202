//! Civil-date arithmetic (proleptic Gregorian, UTC): the one place the domain
//! turns instants into YYYY-MM-DD days and checks or steps through them.

/// Days in `month` (1-12) of `year`.
pub fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// (year, month, day) of a day count since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
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

/// The UTC date `days_ahead` days after the instant `now_ms`, as YYYY-MM-DD.
pub fn date_of(now_ms: u64, days_ahead: i64) -> String {
    let (y, m, d) = civil_from_days((now_ms / 86_400_000) as i64 + days_ahead);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The UTC date of `now_ms`, YYYY-MM-DD.
pub fn date_of_ms(now_ms: u64) -> String {
    date_of(now_ms, 0)
}

/// The instant `ms` as an ISO 8601 UTC timestamp, `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn timestamp_of_ms(ms: u64) -> String {
    let (y, m, d) = civil_from_days((ms / 86_400_000) as i64);
    let in_day = ms % 86_400_000;
    let (h, min, s, milli) = (
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60,
        in_day % 1000,
    );
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}.{milli:03}Z")
}

/// Whether `s` has the shape YYYY-MM-DD (digits and dashes; not yet a real day).
pub fn has_date_shape(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// (year, month, day) of a real calendar day written YYYY-MM-DD.
pub fn parse(s: &str) -> Option<(i64, u32, u32)> {
    if !has_date_shape(s) {
        return None;
    }
    let year: i64 = s[..4].parse().ok()?;
    let month: u32 = s[5..7].parse().ok()?;
    let day: u32 = s[8..].parse().ok()?;
    ((1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month))
        .then_some((year, month, day))
}

/// The months (YYYY-MM) from the month of `from` to the month of `to`, inclusive,
/// at most `cap + 1` of them (so a caller can tell a range over its cap).
pub fn months(from: &str, to: &str, cap: usize) -> Vec<String> {
    let (Some((mut y, mut m, _)), Some((ty, tm, _))) = (parse(from), parse(to)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    while (y, m) <= (ty, tm) && out.len() <= cap {
        out.push(format!("{y:04}-{m:02}"));
        m += 1;
        if m > 12 {
            m = 1;
            y += 1;
        }
    }
    out
}

/// The first day of the month `back` months before the month of `date`.
pub fn months_before(date: &str, back: u32) -> String {
    let (y, m, _) = parse(date).unwrap_or((1970, 1, 1));
    let total = y * 12 + (m as i64 - 1) - back as i64;
    format!(
        "{:04}-{:02}-01",
        total.div_euclid(12),
        total.rem_euclid(12) + 1
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_months_and_instants() {
        assert_eq!(date_of_ms(0), "1970-01-01");
        assert_eq!(date_of_ms(1_709_164_800_000), "2024-02-29");
        assert_eq!(date_of(0, -1), "1969-12-31");
        assert_eq!(parse("2024-02-29"), Some((2024, 2, 29)));
        assert_eq!(parse("2023-02-29"), None);
        assert_eq!(parse("2023-13-01"), None);
        assert_eq!(parse("2023-1-01"), None);
        assert_eq!(months("2024-11-05", "2025-02-01", 36).len(), 4);
        assert_eq!(months_before("2025-03-14", 11), "2024-04-01");
    }
}
