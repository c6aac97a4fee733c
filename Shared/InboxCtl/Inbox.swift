import ArgumentParser
import InboxAPI

/// `inboxctl inbox`: policy-service's inbox activity state, the 60-day rule (GetInboxState,
/// ActivateInbox).
struct InboxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inbox",
        abstract: "Show whether the organisation's inbox is active, and activate it (policy-service).",
        discussion: """
            An inbox is deactivated after 60 days (the organisation's inactivity days) without an agent opening it \
            or the team replying. While deactivated, events are held by the gateway (never lost) and nothing can \
            be assigned. Only activation turns it back on; then `inboxctl inbound release` delivers what was held.

            Examples:
              inboxctl inbox state
              inboxctl inbox activate && inboxctl inbound release
              inboxctl inbox state --organization org_0123abcd --json     # operator token
            """,
        subcommands: [InboxStateCommand.self, InboxActivate.self]
    )

    static func show(_ state: Inbox_V1_InboxState, _ output: Output) throws {
        if output.json { return try output.message(state) }
        let active = state.status == .active
        output.fields([
            ("Organisation", state.organizationID),
            ("Status", Format.label(state.status)),
            ("Last activity", Format.moment(state.lastActivityAt)),
            ("Activity", Format.label(state.lastActivityKind)),
            (active ? "Deactivates" : "Deactivated", Format.moment(active ? state.deactivatesAt : state.deactivatedAt)),
            ("Days left", active ? "\(state.daysLeft)" : ""),
        ])
        if state.status == .deactivated {
            Output.note(
                "activate it with `inboxctl inbox activate`, then `inboxctl inbound release` delivers held events")
        }
    }
}

struct InboxStateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "state",
        abstract: "Show the inbox's state: active or deactivated, last activity, days left.",
        discussion: """
            Examples:
              inboxctl inbox state
              inboxctl inbox state --organization org_0123abcd     # operator token
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "The organisation (operator tokens; admins and agents see their own).")
    var organization: String?

    func run() async throws {
        let connection = try Connection(self.global)
        let metadata = try connection.metadata()
        let id = self.organization ?? ""
        let state = try await connection.policy { policy in
            try await policy.getInboxState(
                .with { $0.organizationID = id }, metadata: metadata, options: connection.options)
        }
        try InboxCommand.show(state, Output(json: self.global.json))
    }
}

struct InboxActivate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "activate",
        abstract: "Activate the inbox (admin or operator); counts as activity.",
        discussion: """
            Examples:
              inboxctl inbox activate
              inboxctl inbox activate --organization org_0123abcd     # operator token
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "The organisation (operator tokens; admins activate their own).")
    var organization: String?

    func run() async throws {
        let connection = try Connection(self.global)
        let metadata = try connection.metadata()
        let id = self.organization ?? ""
        let state = try await connection.policy { policy in
            try await policy.activateInbox(
                .with { $0.organizationID = id }, metadata: metadata, options: connection.options)
        }
        try InboxCommand.show(state, Output(json: self.global.json))
    }
}
