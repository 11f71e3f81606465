/// The product's name and version, shown by `maracd --version` and `maracctl --version`.
public enum Product {
    /// The command-line name of the daemon.
    public static let name = "maracd"
    /// The release version (semantic versioning).
    public static let version = "0.1.0"
    /// Version of the form interchange format this build reads (`formVersion`).
    public static let formVersion = 1
}
