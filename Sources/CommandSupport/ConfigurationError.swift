/// A setting that cannot work, with a message that names it; the executable exits 2 for it (PRODUCT §8).
package struct ConfigurationError: Error, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}
