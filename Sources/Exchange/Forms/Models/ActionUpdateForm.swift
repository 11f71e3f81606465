/// An agency's update on one of its actions (`docs/forms.md`, "action-update";
/// `docs/actions.md`): dropped into its inbox like any form.
public struct ActionUpdateForm: Codable, Equatable, Sendable {
    /// `"action-update"`.
    public var form: FormKind = .actionUpdate
    /// `1`.
    public var formVersion: Int = 1
    /// The owning agency; equals the inbox.
    public var agency: String
    /// The action's id, `<case>-A<n>`, as the minutes give it.
    public var action: String
    /// `in-progress`, `done`, `not-possible` or `blocked-by-changed-circumstances`.
    public var status: String
    /// The day of the status.
    public var date: CalendarDate
    /// What was done, or why not.
    public var note: String?
    /// Agency-specific fields, kept as written.
    public var extensions: JSONValue?

    /// The statuses an update may give (not `open`: that is the recorded state).
    public static let statuses = ActionStatus.allCases.filter { $0 != .open }.map(\.rawValue)
}
