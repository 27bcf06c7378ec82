//! What the fleet was seen doing, in the terms both the watchdog and the report use:
//! a unit's last observed state, the evidence of a kill by its memory limit, and the
//! watchdog's history of restarts and crash loops. Pure data and logic, no D-Bus.

pub mod history;
