import Foundation

/// What maracctl shows of people: the one place a name, a date of birth or a person's words
/// reach its output. Only what the daemon answered a principal who may see it, after the
/// daemon logged the read (the coordinator's case list, `docs/access.md`), goes through
/// `print`: to standard output, which the principal asked for, never to standard error
/// (which ends up in logs) and never to a file. Every cell of a table another principal
/// filled in (a reason, a name) is made `displayable` first, so text someone else typed
/// cannot drive the reader's terminal.
enum Disclosure {
    /// Prints `line` to standard output only, made displayable.
    static func print(_ line: String) {
        Swift.print(displayable(line))
    }

    /// `text` with every control character (C0, DEL and C1: an escape sequence's start)
    /// replaced by U+FFFD.
    static func displayable(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        return String(String.UnicodeScalarView(text.unicodeScalars.map { isControl($0) ? "\u{FFFD}" : $0 }))
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }
}
