import Foundation

/// Writes a line to standard output at once (print is block-buffered when piped, which would hide the
/// embedded cluster's address from a script or a log collector until exit).
package func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
