extension Duration {
    /// Whole milliseconds for librdkafka's `int timeout_ms` parameters, clamped to `0...Int32.max`.
    var clampedMilliseconds: Int32 {
        let (seconds, attoseconds) = components
        let milliseconds = seconds.multipliedReportingOverflow(by: 1000)
        guard !milliseconds.overflow else { return seconds < 0 ? 0 : .max }
        let total = milliseconds.partialValue + attoseconds / 1_000_000_000_000_000
        return Int32(clamping: max(total, 0))
    }
}

extension ContinuousClock.Instant {
    /// Time left until `self`, never negative.
    var remaining: Duration {
        max(.zero, ContinuousClock.now.duration(to: self))
    }
}
