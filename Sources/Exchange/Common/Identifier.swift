/// The product's short identifiers: agency ids, legal basis codes, form kinds.
public enum Identifier {
    /// Whether `s` is `[a-z0-9-]{1,64}` (the forms' and registries' one rule).
    public static func isLabel(_ s: String) -> Bool { Shape.isLabel(s) }
}
