import ArgumentParser
import InboxAPI
import SwiftProtobuf

/// The names commands take for the API's enums: the names the tables print, in any case, with
/// `-` or `_` between words (`web-chat`, `dead_lettered`, `OPEN`).
enum Names {
    /// The value of `Value` whose name is `text`, or a usage error listing the names.
    static func parse<Value: SwiftProtobuf.Enum & CaseIterable>(
        _ text: String, option: String, aliases: [String: Value] = [:]
    ) throws -> Value {
        let wanted = String(text.uppercased().map { $0 == "-" || $0 == " " ? "_" : $0 })
        if let value = aliases[wanted] { return value }
        for value in Value.allCases where value.rawValue != 0 && Format.label(value) == wanted {
            return value
        }
        throw ValidationError("\(option) must be one of \(Self.choices(Value.self)), got '\(text)'")
    }

    /// Every name of `Value`, lower case, for help and errors.
    static func choices<Value: SwiftProtobuf.Enum & CaseIterable>(_ type: Value.Type) -> String {
        Value.allCases.filter { $0.rawValue != 0 }.map { Format.label($0).lowercased() }.joined(separator: ", ")
    }

    /// A platform; also `sms` and `twilio` for Twilio SMS, `webchat` for web chat.
    static func platform(_ text: String, option: String = "--platform") throws -> Inbox_V1_Platform {
        try Self.parse(text, option: option, aliases: ["SMS": .twilioSms, "TWILIO": .twilioSms, "WEBCHAT": .webChat])
    }

    /// `key=value` pairs as a map (the value may contain `=`).
    static func settings(_ pairs: [String], option: String = "--setting") throws -> [String: String] {
        var settings: [String: String] = [:]
        for pair in pairs {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                throw ValidationError("\(option) must be key=value, got '\(pair)'")
            }
            settings[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
        }
        return settings
    }
}

/// How many rows a list shows and where it starts: pages of the API are read until `--limit`
/// rows are shown; the next page's token is printed (on standard error) when more remain.
struct PageOptions: ParsableArguments {
    @Option(help: "Show at most this many rows.")
    var limit: Int = 50

    @Option(help: "Start at this page (the token a previous run printed).")
    var pageToken: String?

    func validate() throws {
        guard (1...10_000).contains(self.limit) else { throw ValidationError("--limit must be from 1 to 10000") }
    }

    /// The page size to ask for when `shown` rows are shown already (the API's pages hold at most 100).
    func pageSize(after shown: Int) -> Int32 {
        Int32(max(1, min(100, self.limit - shown)))
    }
}

/// Which conversations a list, a search or a watch covers (`ConversationFilter`): every option
/// narrows the set; a repeated option matches any of its values (tags: every one).
struct ConversationFilterOptions: ParsableArguments {
    @Option(help: "open, pending or resolved (repeatable).")
    var status: [String] = []

    @Option(
        help:
            "A platform: facebook, instagram, whatsapp, x, linkedin, tiktok, telegram, sms, wechat, web-chat (repeatable)."
    )
    var platform: [String] = []

    @Option(help: "Only conversations assigned to this agent id.")
    var assignee: String?

    @Option(help: "Only conversations of this team id.")
    var team: String?

    @Flag(help: "Only conversations no agent is assigned to.")
    var unassigned = false

    @Option(help: "Only conversations of this channel id.")
    var channel: String?

    @Option(help: "Only conversations carrying this tag (repeatable: every tag).")
    var tag: [String] = []

    @Option(help: "Only conversations of this contact id.")
    var contact: String?

    var proto: Inbox_V1_ConversationFilter {
        get throws {
            let statuses = try self.status.map {
                try Names.parse($0, option: "--status") as Inbox_V1_ConversationStatus
            }
            let platforms = try self.platform.map { try Names.platform($0) }
            return .with {
                $0.statuses = statuses
                $0.platforms = platforms
                $0.assigneeAgentID = self.assignee ?? ""
                $0.teamID = self.team ?? ""
                $0.unassignedOnly = self.unassigned
                $0.channelID = self.channel ?? ""
                $0.tags = self.tag
                $0.contactID = self.contact ?? ""
            }
        }
    }
}
