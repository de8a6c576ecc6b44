import Synchronization

/// A one-way stop flag shared between a service's async `run()` and the dedicated thread doing its work.
public final class StopSignal: Sendable {
    private let flag = Atomic<Bool>(false)

    public init() {}

    public var isStopped: Bool { flag.load(ordering: .acquiring) }

    public func stop() { flag.store(true, ordering: .releasing) }

    /// Sleeps in small steps so a stop request is honoured promptly.
    public func sleep(_ duration: Duration) {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: duration)
        while !isStopped, clock.now < deadline {
            let step = min(Duration.milliseconds(50), deadline - clock.now)
            guard step > .zero else { break }
            let (seconds, attoseconds) = step.components
            var spec = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
            nanosleep(&spec, nil)
        }
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
