/// Why a journal step cannot be used.
public enum JournalError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Stored bytes that do not decode to a step.
    case corrupt(offset: Int, reason: String)

    public var description: String {
        switch self {
        case let .corrupt(offset, reason): "journal step corrupt at byte \(offset): \(reason)"
        }
    }
}
