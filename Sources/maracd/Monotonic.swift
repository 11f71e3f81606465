import Foundation
import Glibc

/// The time the daemon's timers and deadlines run on: `CLOCK_MONOTONIC`, as a `Date`
/// counted from boot. A wall-clock step (NTP correcting a drifted clock, a wrong RTC after
/// a restart) never moves it, so a clock set back a day cannot stop rescans, sweeps,
/// checkpoints or connection deadlines for a day. Wall-clock time (`Date()`) is for what
/// is recorded: log entries, receipts, checkpoints' contents.
enum Monotonic {
    /// Now, on the monotonic clock.
    static func now() -> Date {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Date(timeIntervalSince1970: TimeInterval(time.tv_sec) + TimeInterval(time.tv_nsec) / 1_000_000_000)
    }
}
