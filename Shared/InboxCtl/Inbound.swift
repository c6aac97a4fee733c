import ArgumentParser
import InboxAPI

/// `inboxctl inbound`: channel-gateway's durable inbound log (ListInboundEvents,
/// ReplayInboundEvents, ReleaseHeldEvents).
struct InboundCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inbound",
        abstract: "Inspect the gateway's inbound log; replay dead-lettered events; release held ones.",
        discussion: """
            Admin tokens see their organisation's events; operator tokens see every organisation's, and UNROUTED \
            entries (for accounts no channel has yet).

            Examples:
              inboxctl inbound list --state dead-lettered
              inboxctl inbound list --channel 6f1c2b0e-0000-4000-8000-000000000001 --state held --state unparsed
              inboxctl inbound replay --dead-lettered --channel 6f1c2b0e-0000-4000-8000-000000000001
              inboxctl inbound replay 0190f1d2-0000-7000-8000-00000000000a 0190f1d2-0000-7000-8000-00000000000b
              inboxctl inbound release
            """,
        subcommands: [InboundList.self, InboundReplay.self, InboundRelease.self]
    )
}

struct InboundList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List stored inbound events, newest first.",
        discussion: """
            States: pending, delivered, held, dead-lettered, rejected, echo, unparsed, unrouted, awaiting-content.

            Examples:
              inboxctl inbound list --state dead-lettered --limit 200
              inboxctl inbound list --hidden --json
            """
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var page: PageOptions

    @Option(help: "Only events in this state (repeatable).")
    var state: [String] = []

    @Option(help: "Only this channel's events.")
    var channel: String?

    @Flag(help: "Only events hidden by a platform rule.")
    var hidden = false

    func run() async throws {
        let states = try self.state.map { try Names.parse($0, option: "--state") as Inbox_V1_InboundEventState }
        let connection = try Connection(self.global)
        let metadata = try connection.metadata()
        let (page, start, channel, hidden) = (self.page, self.page.pageToken ?? "", self.channel ?? "", self.hidden)
        let response = try await connection.gateway { gateway in
            var all = Inbox_V1_ListInboundEventsResponse.with { $0.nextPageToken = start }
            repeat {
                let next = try await gateway.listInboundEvents(
                    .with {
                        $0.channelID = channel
                        $0.states = states
                        $0.hiddenOnly = hidden
                        $0.pageSize = page.pageSize(after: all.events.count)
                        $0.pageToken = all.nextPageToken
                    }, metadata: metadata, options: connection.options)
                all.events += next.events
                all.nextPageToken = next.nextPageToken
            } while !all.nextPageToken.isEmpty && all.events.count < page.limit
            return all
        }
        let output = Output(json: self.global.json)
        if output.json { return try output.message(response) }
        var table = Table(
            ("ID", 36), ("STATE", 16), ("PLATFORM", 10), ("CHANNEL", 36), ("OCCURRED", 20), ("TRIES", 5),
            ("FROM", 20), ("TEXT", 40), ("LAST ERROR", 60))
        for stored in response.events {
            let event = stored.event
            table.add(
                event.id, Format.label(stored.state), Format.label(event.platform), event.channelID,
                Format.time(event.occurredAt), stored.attempts == 0 ? "" : "\(stored.attempts)",
                Format.author(event.author), event.text, stored.lastError)
        }
        output.table(table, empty: "no inbound events")
        Output.morePages(response.nextPageToken)
    }
}

struct InboundReplay: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Send events to conversation-service again: the ids given, or every dead-lettered one.",
        discussion: """
            Dead-lettered, rejected and held events named by id are replayed; an UNPARSED one is parsed again \
            from its stored request (after a parser fix). With --dead-lettered the dead-lettered events (of \
            --channel, or of every channel) are listed and replayed a page at a time; a progress bar on standard \
            error follows the pages when there is more than one.

            Examples:
              inboxctl inbound replay --dead-lettered
              inboxctl inbound replay --dead-lettered --channel 6f1c2b0e-0000-4000-8000-000000000001
              inboxctl inbound replay 0190f1d2-0000-7000-8000-00000000000a
            """
    )

    /// ReplayInboundEvents takes at most this many ids per call.
    static let batch = 500

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The event ids to replay.")
    var events: [String] = []

    @Flag(help: "Replay every dead-lettered event (of --channel, or of every channel).")
    var deadLettered = false

    @Option(help: "With --dead-lettered: only this channel's.")
    var channel: String?

    func validate() throws {
        guard self.events.isEmpty == self.deadLettered else {
            throw ValidationError("give the event ids or --dead-lettered")
        }
        if self.channel != nil, !self.deadLettered {
            throw ValidationError("--channel goes with --dead-lettered")
        }
    }

    func run() async throws {
        let connection = try Connection(self.global)
        let metadata = try connection.metadata()
        let (given, deadLettered, channel) = (self.events, self.deadLettered, self.channel ?? "")
        let (asked, replayedTotal) = try await connection.gateway { gateway in
            var ids = given
            if deadLettered {
                // Listed first, so the progress bar knows the total.
                var token = ""
                repeat {
                    let page = try await gateway.listInboundEvents(
                        .with {
                            $0.channelID = channel
                            $0.states = [.deadLettered]
                            $0.pageSize = 100
                            $0.pageToken = token
                        }, metadata: metadata, options: connection.options)
                    ids += page.events.map(\.event.id)
                    token = page.nextPageToken
                } while !token.isEmpty
            }
            let batches = stride(from: 0, to: ids.count, by: deadLettered ? 100 : Self.batch).map {
                Array(ids[$0..<min($0 + (deadLettered ? 100 : Self.batch), ids.count)])
            }
            let bar = batches.count > 1 ? ProgressBar("replaying", total: ids.count) : nil
            var done = 0
            var replayed = 0
            for batch in batches {
                let response = try await gateway.replayInboundEvents(
                    .with { $0.eventIds = batch }, metadata: metadata, options: connection.options)
                done += batch.count
                replayed += Int(response.replayed)
                bar?.show(done, detail: "(\(replayed) replayed)")
            }
            bar?.finish()
            return (ids.count, replayed)
        }
        let output = Output(json: self.global.json)
        if output.json {
            return try output.message(Inbox_V1_ReplayInboundEventsResponse.with { $0.replayed = Int32(replayedTotal) })
        }
        if asked == 0 {
            output.line("nothing to replay: no dead-lettered events")
        } else {
            output.line(
                "replayed \(replayedTotal) of \(asked) events; the relay sends them to conversation-service now")
        }
        if replayedTotal < asked {
            Output.note(
                "\(asked - replayedTotal) were not replayed: already delivered or pending, or not of this "
                    + "organisation (`inboxctl inbound list` shows their state)")
        }
    }
}

struct InboundRelease: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "release",
        abstract: "Deliver the events held while the inbox was deactivated.",
        discussion: """
            Activate the inbox first (`inboxctl inbox activate`): held events of a deactivated inbox stay held. \
            Operators name the organisation with --organization.

            Examples:
              inboxctl inbound release
              inboxctl inbound release --channel 6f1c2b0e-0000-4000-8000-000000000001
              inboxctl inbound release --organization org_0123abcd      # operator token
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "Only this channel's held events.")
    var channel: String?

    @Option(help: "The organisation (operator tokens; admins act on their own).")
    var organization: String?

    func run() async throws {
        let connection = try Connection(self.global)
        let metadata = try connection.metadata()
        let request = Inbox_V1_ReleaseHeldEventsRequest.with {
            $0.organizationID = self.organization ?? ""
            $0.channelID = self.channel ?? ""
        }
        let response = try await connection.gateway { gateway in
            try await gateway.releaseHeldEvents(request, metadata: metadata, options: connection.options)
        }
        let output = Output(json: self.global.json)
        if output.json { return try output.message(response) }
        output.line("released \(response.released) held events into the inbox")
    }
}
