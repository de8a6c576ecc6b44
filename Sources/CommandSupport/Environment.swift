import Foundation

/// The process environment, read by every option group: each flag can also come from an environment variable, and
/// the flag wins. Empty values count as unset.
package enum Environment {
    package static var values: [String: String] { ProcessInfo.processInfo.environment }

    /// `flag` if set, else the environment variable `name`; nil when neither is set or both are empty.
    package static func value(_ flag: String?, _ name: String) -> String? {
        nonEmpty(flag) ?? nonEmpty(values[name])
    }

    package static func nonEmpty(_ value: String?) -> String? {
        guard let value, !value.isEmpty else { return nil }
        return value
    }
}
