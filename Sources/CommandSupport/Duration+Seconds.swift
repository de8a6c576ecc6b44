extension Duration {
    /// Seconds as a floating-point number, for rates and progress.
    package var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
