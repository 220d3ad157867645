/// Why a domain name could not be built, parsed or decoded.
public enum NameError: Error, Equatable, Sendable, CustomStringConvertible {
    case empty
    case emptyLabel
    case labelTooLong(length: Int)
    case nameTooLong(length: Int)
    case badEscape(String)
    case relativeWithoutOrigin(String)

    public var description: String {
        switch self {
        case .empty: "empty name"
        case .emptyLabel: "empty label (two dots in a row, or a leading dot)"
        case .labelTooLong(let length): "label of \(length) bytes is longer than 63"
        case .nameTooLong(let length): "name of \(length) bytes is longer than 255"
        case .badEscape(let text): "bad escape in \(text) (use \\X or \\DDD with DDD ≤ 255)"
        case .relativeWithoutOrigin(let text): "relative name \(text) with no origin to complete it"
        }
    }
}
