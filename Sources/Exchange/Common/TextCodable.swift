/// A value whose JSON form is its one text spelling (`2026-11-20`, `M-2026-0001`):
/// decoded by parsing, refused if it does not parse, encoded as `description`.
public protocol TextCodable: Codable, CustomStringConvertible {
    /// Parses the text spelling; nil if it is not one.
    init?(_ text: String)
}

extension TextCodable {
    /// Decodes from the text spelling.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = Self(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a \(Self.self)"))
        }
        self = value
    }

    /// Encodes as the text spelling.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
