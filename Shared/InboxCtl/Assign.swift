import ArgumentParser
import InboxAPI

/// `inboxctl assign`: assignment-service's manual AssignConversation.
struct AssignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "assign",
        abstract: "Assign a conversation to an agent, or to a team's queue (assignment-service).",
        discussion: """
            Needs an agent or admin token. A person may assign over an agent's capacity (automatic routing never \
            does). Refused while the organisation's inbox is deactivated (`inboxctl inbox activate`).

            Examples:
              inboxctl assign 0190f1d2-0000-7000-8000-000000000001 alice --note "speaks French"
              inboxctl assign 0190f1d2-0000-7000-8000-000000000001 --team 5b7e0c1a-0000-4000-8000-000000000001
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The conversation id.")
    var conversation: String

    @Argument(help: "The agent id (or --team).")
    var agent: String?

    @Option(help: "A team id: the conversation waits in the team's queue.")
    var team: String?

    @Option(help: "Why, for the assignment's history.")
    var note: String?

    @Option(help: "Idempotency key: the same key again changes nothing.")
    var key: String?

    func validate() throws {
        guard (self.agent == nil) != (self.team == nil) else {
            throw ValidationError("give either the agent id or --team")
        }
    }

    func run() async throws {
        let connection = try Connection(self.global)
        let metadata = try connection.metadata()
        let request = Inbox_V1_AssignConversationRequest.with {
            $0.conversationID = self.conversation
            if let agent = self.agent { $0.agentID = agent }
            if let team = self.team { $0.teamID = team }
            $0.note = self.note ?? ""
            $0.idempotencyKey = self.key ?? ""
        }
        let assignment = try await connection.assignment { assignment in
            try await assignment.assignConversation(request, metadata: metadata, options: connection.options)
        }
        let output = Output(json: self.global.json)
        if output.json { return try output.message(assignment) }
        output.fields([
            ("Conversation", assignment.conversationID),
            ("State", Format.label(assignment.state)),
            ("Agent", assignment.agentID),
            ("Team", assignment.teamID),
            ("Source", Format.label(assignment.source)),
            ("Assigned", Format.time(assignment.assignedAt)),
            ("Why", assignment.explanation.summary),
        ])
    }
}
