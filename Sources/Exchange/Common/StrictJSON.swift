import Foundation

/// Reads a JSON file strictly: the `JSONParser` (UTF-8, depth, duplicates), then a
/// `Shape` (types, required and unknown fields), then `Decodable`. For configuration and
/// registry files, where a typo must be an error rather than a silently ignored key.
enum StrictJSON {
    /// Why the bytes were refused; each problem names a JSON path.
    struct Invalid: Error {
        let problems: [FormProblem]
    }

    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], shape: Shape) throws -> T {
        let parsed: JSONParser.Result
        do {
            parsed = try JSONParser().parse(bytes)
        } catch {
            throw Invalid(problems: [FormProblem(.root, .syntax, "not valid JSON (\(error))")])
        }
        var problems = parsed.duplicateKeys.map { FormProblem($0, .duplicateKey, "appears more than once") }
        shape.check(parsed.value, at: .root, into: &problems)
        guard problems.isEmpty else { throw Invalid(problems: problems) }
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes))
        } catch {
            throw Invalid(problems: [FormProblem(.root, .wrongType, "could not be read")])
        }
    }
}
