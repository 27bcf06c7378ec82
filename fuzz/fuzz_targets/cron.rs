//! `cron_restart` to `OnCalendar=`: never panics, and a translation is one line.
#![no_main]

use ecosystemd::plan::cron::to_on_calendar;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(schedule) = to_on_calendar(text)
    {
        assert!(!schedule.on_calendar.is_empty() && !schedule.on_calendar.contains('\n'));
    }
});
