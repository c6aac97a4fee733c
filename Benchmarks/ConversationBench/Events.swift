import BenchSupport
import Foundation
import GRPCCore
import InboxAPI
import SwiftProtobuf

/// An existing conversation that ingested events can continue: what the gateway would name for a
/// new message in it.
struct BenchThread: Sendable {
    var channelID: String
    var platform: Inbox_V1_Platform
    var kind: Inbox_V1_MessageKind
    var threadKey: String
    var customer: String
    var parentPostID: String
    var parentCommentID: String

    init(_ conversation: Inbox_V1_Conversation) {
        self.channelID = conversation.channelID
        self.platform = conversation.platform
        self.kind = conversation.kind
        self.threadKey = conversation.threadKey
        self.customer =
            conversation.contact.platformUserID.isEmpty
            ? conversation.threadKey : conversation.contact.platformUserID
        self.parentPostID = conversation.parentPostID
        self.parentCommentID = conversation.parentCommentID
    }

    /// Threads of every age through the real API: the newest 1,000, and 500 each of the pending and
    /// resolved ones (older on average, and a new message re-opens a resolved one).
    static func sample(
        _ client: any Inbox_V1_ConversationService.ClientProtocol, metadata: Metadata
    ) async throws -> [BenchThread] {
        var threads: [BenchThread] = []
        let slices: [(statuses: [Inbox_V1_ConversationStatus], pages: Int)] = [
            ([], 10), ([.pending], 5), ([.resolved], 5),
        ]
        for slice in slices {
            var token = ""
            for _ in 0..<slice.pages {
                let page = try await client.listConversations(
                    .with {
                        $0.pageSize = 100
                        $0.pageToken = token
                        $0.filter = .with { $0.statuses = slice.statuses }
                    }, metadata: metadata)
                threads += page.conversations.map(BenchThread.init)
                token = page.nextPageToken
                if token.isEmpty { break }
            }
        }
        guard !threads.isEmpty else {
            throw BenchError("ListConversations returned no conversation: did the loader run for this organisation?")
        }
        return threads
    }
}

/// Builds the ingested events: new platform message ids every time; a share of them start a new
/// direct-message conversation (a new customer on an existing channel), the others continue a
/// sampled thread.
struct EventFactory: Sendable {
    static let newConversationShare = 0.3

    let organizationID: String
    let threads: [BenchThread]
    /// Direct-message threads, whose channels and platforms new customers write to.
    let directThreads: [BenchThread]
    /// Tells this run's ids from an earlier run's on the same database.
    let run = String(UInt32.random(in: 0...UInt32.max), radix: 36)

    init(organizationID: String, threads: [BenchThread]) throws {
        self.organizationID = organizationID
        self.threads = threads
        self.directThreads = threads.filter { $0.kind == .directMessage }
        guard !self.directThreads.isEmpty else { throw BenchError("no direct-message thread among the sample") }
    }

    func batch(_ name: String, size: Int) -> Inbox_V1_IngestEventsRequest {
        let now = Date()
        return .with { request in
            request.events = (0..<size).map { self.event("\(name)-\($0)", at: now) }
        }
    }

    /// One customer message; `name` makes its ids unique within the run.
    func event(_ name: String, at time: Date = Date()) -> Inbox_V1_InboundEvent {
        let id = "\(self.run)-\(name)"
        var thread: BenchThread
        let author: String
        if Double.random(in: 0..<1) < Self.newConversationShare {
            thread = self.directThreads.randomElement()!
            author = "bench-customer-\(id)"
            thread.threadKey = author
            thread.customer = author
        } else {
            thread = self.threads.randomElement()!
            // In comment threads other people answer too.
            let bystander = thread.kind != .directMessage && Bool.random()
            author = bystander ? "user-\(Int.random(in: 1...100_000))" : thread.customer
        }
        return .with {
            $0.id = "bench-event-\(id)"
            $0.organizationID = self.organizationID
            $0.channelID = thread.channelID
            $0.platform = thread.platform
            $0.type = .message
            $0.kind = thread.kind
            $0.platformEventID = "bench-pe-\(id)"
            $0.platformMessageID = "bench-pm-\(id)"
            $0.threadKey = thread.threadKey
            $0.parentPostID = thread.parentPostID
            $0.parentCommentID = thread.parentCommentID
            $0.author = .with {
                $0.platformUserID = author
                $0.handle = author
                $0.displayName = "Customer \(author)"
            }
            $0.text = Self.text()
            $0.occurredAt = Google_Protobuf_Timestamp(date: time)
            $0.receivedAt = Google_Protobuf_Timestamp(date: time)
            $0.platformAccountID = "acct-bench"
            $0.flags = .with { $0.isPaid = thread.kind == .darkPostComment }
        }
    }

    static let words = """
        bonjour hello merci thanks ma my commande order livraison delivery colis package remboursement refund \
        pas not reçu received toujours still depuis since semaine week problème problem numéro number \
        suivi tracking adresse address déjà already réservation booking hôtel hotel chambre room annulé \
        cancelled payé paid deux twice carte card compte account aide help urgent très very déçu disappointed \
        je i vous you la the le a et and de of pour for est is une un avec with sur on
        """.split(whereSeparator: \.isWhitespace).map(String.init)

    /// 4 to 24 words of the customer-service vocabulary, English and French.
    static func text() -> String {
        (0..<Int.random(in: 4...24)).map { _ in Self.words.randomElement()! }.joined(separator: " ")
    }
}
