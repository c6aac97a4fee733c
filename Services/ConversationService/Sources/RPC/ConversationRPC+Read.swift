import GRPCCore
import InboxAPI
import InboxKit
import InboxRules
import SwiftProtobuf

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The bounds of the read and edit RPCs' inputs.
enum ReadLimits {
    /// Tags on a conversation, and in a filter.
    static let tags = 20
    static let tagLength = 1...50
    static let noteLength = 1...10_000
    /// Characters of a search (conversations by their messages, contacts by name and handle).
    static let queryLength = 200
}

extension ConversationRPC {
    // MARK: Lists and reads

    /// Newest activity first, keyset pages over (last_message_at, id): a conversation that gets a
    /// new message while a client pages moves to the front (the client sees it on its next first
    /// page), every other one is seen exactly once. `query` searches every message of a
    /// conversation, internal notes included. Listing is "inbox opened" activity.
    func listConversations(request: Inbox_V1_ListConversationsRequest, context: ServerContext) async throws
        -> Inbox_V1_ListConversationsResponse
    {
        let (caller, organizationID) = try Self.inboxCaller()
        let size = try PageToken.pageSize(request.pageSize)
        var listing = try Self.conversationListing(request.filter, organizationID: organizationID, limit: size + 1)
        listing.text = try Self.searchWords(request.query)
        if let cursor = try PageToken.decode("conversations", request.pageToken) {
            guard let after = TimeCursor(text: cursor) else { throw PageToken.invalid }
            listing.after = after
        }
        let page = try await self.repository.listConversations(listing)
        await self.activity.record(.inboxOpened, organizationID: organizationID, agentID: caller.agentID)
        let now = self.now()
        let rows = page.prefix(size)
        let next = page.count > size ? rows.last.map { PageToken.encode("conversations", $0.cursor.text) } : nil
        return .with {
            $0.conversations = rows.map { row in row.record.proto(now: now) }
            $0.nextPageToken = next ?? ""
        }
    }

    /// Opening a conversation is "inbox opened" activity too.
    func getConversation(request: Inbox_V1_GetConversationRequest, context: ServerContext) async throws
        -> Inbox_V1_Conversation
    {
        let (caller, organizationID) = try Self.inboxCaller()
        let record = try await self.conversation(request.conversationID, organizationID: organizationID)
        await self.activity.record(.inboxOpened, organizationID: organizationID, agentID: caller.agentID)
        return record.proto(now: self.now())
    }

    /// Every message of the conversation as stored (customer messages, replies, notes, hidden
    /// placeholders, deleted ones), by platform time; newest first unless `oldest_first`. A page
    /// token belongs to one conversation and one order.
    func listMessages(request: Inbox_V1_ListMessagesRequest, context: ServerContext) async throws
        -> Inbox_V1_ListMessagesResponse
    {
        let (_, organizationID) = try Self.inboxCaller()
        let id = try Self.id(request.conversationID, field: "conversation_id")
        let size = try PageToken.pageSize(request.pageSize)
        let scope = "\(id.text)/\(request.oldestFirst ? "oldest" : "newest")/"
        var after: TimeCursor?
        if let cursor = try PageToken.decode("messages", request.pageToken) {
            guard cursor.hasPrefix(scope), let position = TimeCursor(text: String(cursor.dropFirst(scope.count))) else {
                throw PageToken.invalid
            }
            after = position
        }
        _ = try await self.conversation(request.conversationID, organizationID: organizationID)
        let page = try await self.repository.listMessages(
            organizationID: organizationID, conversationID: id, oldestFirst: request.oldestFirst, after: after,
            limit: size + 1)
        let rows = page.prefix(size)
        let next = page.count > size ? rows.last.map { PageToken.encode("messages", scope + $0.cursor.text) } : nil
        return .with {
            $0.messages = rows.map { row in row.record.proto }
            $0.nextPageToken = next ?? ""
        }
    }

    func getContact(request: Inbox_V1_GetContactRequest, context: ServerContext) async throws -> Inbox_V1_Contact {
        let (_, organizationID) = try Self.inboxCaller()
        let id = try Self.id(request.contactID, field: "contact_id")
        guard let contact = try await self.repository.contactWithIdentities(id, organizationID: organizationID) else {
            throw DomainError.notFound("contact \(request.contactID) does not exist", resource: "contact")
        }
        return contact.proto
    }

    /// By display name; `query` matches the beginnings of the words of names and handles, accents
    /// and case aside (see ``ConversationRepository/listContactsQuery(organizationID:query:after:limit:)``).
    func listContacts(request: Inbox_V1_ListContactsRequest, context: ServerContext) async throws
        -> Inbox_V1_ListContactsResponse
    {
        let (_, organizationID) = try Self.inboxCaller()
        let size = try PageToken.pageSize(request.pageSize)
        let query = try Self.searchWords(request.query)
        var after: (name: String, id: UUID)?
        if let cursor = try PageToken.decode("contacts", request.pageToken) {
            // "<id>:<display name>": the id has a fixed length, the name may hold anything.
            let parts = cursor.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, let id = UUID(uuidString: String(parts[0])) else { throw PageToken.invalid }
            after = (String(parts[1]), id)
        }
        let page = try await self.repository.listContacts(
            organizationID: organizationID, query: query, after: after, limit: size + 1)
        let rows = page.prefix(size)
        let next =
            page.count > size ? rows.last.map { PageToken.encode("contacts", "\($0.id.text):\($0.displayName)") } : nil
        return .with {
            $0.contacts = rows.map(\.proto)
            $0.nextPageToken = next ?? ""
        }
    }

    // MARK: Edits

    /// Status, snooze and tags, by field mask, validated whole before anything is written.
    func updateConversation(request: Inbox_V1_UpdateConversationRequest, context: ServerContext) async throws
        -> Inbox_V1_Conversation
    {
        let (_, organizationID) = try Self.inboxCaller()
        let id = try Self.id(request.conversationID, field: "conversation_id")
        let now = self.now()
        let edit = try Self.conversationEdit(request, now: now)
        guard
            let record = try await self.repository.updateConversation(
                id, organizationID: organizationID, edit: edit, now: now)
        else {
            throw DomainError.notFound(
                "conversation \(request.conversationID) does not exist", resource: "conversation")
        }
        // Resolving queued the release of its assignment.
        if edit.status == .resolved { self.signals.followUps.wake() }
        return record.proto(now: now)
    }

    /// An internal note: stored in the conversation (the writing agent from the token, no
    /// author), never sent to a platform. It is not customer or team activity, so the
    /// conversation's last message, its place in the list, its unread count and its message count
    /// stay as they are; watchers get a MESSAGE_CREATED.
    func addNote(request: Inbox_V1_AddNoteRequest, context: ServerContext) async throws -> Inbox_V1_Message {
        let (caller, organizationID) = try Self.inboxCaller()
        let id = try Self.id(request.conversationID, field: "conversation_id")
        let text = request.text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard ReadLimits.noteLength.contains(text.count) else {
            throw DomainError.invalidArgument("text must be 1 to 10000 characters", field: "text")
        }
        let key = try IdempotencyKey.optional(request.idempotencyKey)
        let conversation = try await self.conversation(request.conversationID, organizationID: organizationID)
        var unkeyed = request
        unkeyed.idempotencyKey = ""
        unkeyed.conversationID = id.text
        unkeyed.text = text
        let note = NoteDraft(
            organizationID: organizationID, conversationID: id, channelID: conversation.channelID,
            agentID: caller.agentID, text: text, idempotencyKey: key,
            fingerprint: "note:" + (try IdempotencyKey.fingerprint(unkeyed)))
        return try await self.repository.addNote(note, now: self.now()).message.proto
    }

    /// The read point is the team's: up to a message (inbound messages after it stay unread) or
    /// everything so far.
    func markConversationRead(request: Inbox_V1_MarkConversationReadRequest, context: ServerContext) async throws
        -> Inbox_V1_Conversation
    {
        let (_, organizationID) = try Self.inboxCaller()
        let id = try Self.id(request.conversationID, field: "conversation_id")
        var message: UUID?
        if !request.upToMessageID.isEmpty {
            message = try Self.id(request.upToMessageID, field: "up_to_message_id")
        }
        let now = self.now()
        guard
            let record = try await self.repository.markRead(
                id, organizationID: organizationID, upTo: message, now: now)
        else {
            throw DomainError.notFound(
                "conversation \(request.conversationID) does not exist", resource: "conversation")
        }
        return record.proto(now: now)
    }

    /// assignment-service's read model: one transaction per batch, one result per item in order.
    func setAssignee(request: Inbox_V1_SetAssigneeRequest, context: ServerContext) async throws
        -> Inbox_V1_SetAssigneeResponse
    {
        try Self.serviceCaller()
        try BatchLimit.check(request.items.count, field: "items")
        var results = request.items.map { item in
            Inbox_V1_SetAssigneeResult.with { $0.conversationID = item.conversationID }
        }
        var changes: [(index: Int, change: AssigneeChange)] = []
        for (index, item) in request.items.enumerated() {
            switch Self.assigneeChange(item, field: "items[\(index)]") {
            case .success(let change): changes.append((index, change))
            case .failure(let error):
                results[index].outcome = .invalid
                results[index].error = error.itemStatus
            }
        }
        let outcomes = try await self.repository.setAssignees(changes.map { item in item.change }, now: self.now())
        for (item, outcome) in zip(changes, outcomes) {
            switch outcome {
            case .applied(let version):
                results[item.index].outcome = .applied
                results[item.index].version = version
            case .stale(let version):
                results[item.index].outcome = .stale
                results[item.index].version = version
            case .notFound:
                results[item.index].outcome = .notFound
                results[item.index].error =
                    DomainError.notFound(
                        "conversation \(item.change.conversationID.text) does not exist in organization "
                            + item.change.organizationID, resource: "conversation"
                    ).itemStatus
            }
        }
        return .with { $0.results = results }
    }

    // MARK: Validation

    /// The filter as a listing; a value that is not valid names its field (`filter.statuses`, ...).
    static func conversationListing(_ filter: Inbox_V1_ConversationFilter, organizationID: String, limit: Int)
        throws(DomainError) -> ConversationListing
    {
        // One validation for lists and watches (FilterMatcher), so both refuse the same input.
        let matcher = try FilterMatcher(filter)
        var listing = ConversationListing(organizationID: organizationID, limit: limit)
        listing.statuses = matcher.statuses.sorted { $0.rawValue < $1.rawValue }
        listing.platforms = matcher.platforms.sorted { $0.rawValue < $1.rawValue }
        listing.kinds = matcher.kinds.sorted { $0.rawValue < $1.rawValue }
        listing.assigneeAgentID = matcher.assigneeAgentID
        listing.teamID = matcher.teamID
        listing.unassignedOnly = matcher.unassignedOnly
        listing.channelID = matcher.channelID
        listing.tags = matcher.tags
        listing.contactID = matcher.contactID
        listing.conversationIDs = matcher.conversationIDs.sorted { $0.uuidString < $1.uuidString }
        return listing
    }

    /// Tags as stored: trimmed, lowercase, each 1 to 50 characters, at most 20, duplicates dropped
    /// (the first occurrence keeps its place).
    static func normalizedTags(_ tags: [String], field: String) throws(DomainError) -> [String] {
        guard tags.count <= ReadLimits.tags else {
            throw .invalidArgument("\(field) has \(tags.count) tags; at most 20 are allowed", field: field)
        }
        var result: [String] = []
        for tag in tags {
            let normalised = tag.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
            guard ReadLimits.tagLength.contains(normalised.count) else {
                throw .invalidArgument("every tag in \(field) must be 1 to 50 characters", field: field)
            }
            if !result.contains(normalised) { result.append(normalised) }
        }
        return result
    }

    /// A search's words (nil when there are none to search for).
    static func searchWords(_ query: String) throws(DomainError) -> String? {
        let text = query.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { return nil }
        guard text.count <= ReadLimits.queryLength else {
            throw .invalidArgument("query must be at most 200 characters", field: "query")
        }
        return text
    }

    /// The mask's fields, checked together: nothing is written unless all of them are valid.
    static func conversationEdit(_ request: Inbox_V1_UpdateConversationRequest, now: Date) throws(DomainError)
        -> ConversationEdit
    {
        guard !request.updateMask.paths.isEmpty else {
            throw .invalidArgument(
                "update_mask must name the fields to change (status, snoozed_until, tags)", field: "update_mask")
        }
        var edit = ConversationEdit()
        for path in request.updateMask.paths {
            switch path {
            case "status":
                edit.status = try StoredStatus(proto: request.status, field: "status")
            case "snoozed_until":
                edit.snoozes = true
                edit.snoozedUntil = request.snoozedUntil.dateIfSet
            case "tags":
                edit.tags = try Self.normalizedTags(request.tags, field: "tags")
            default:
                throw .invalidArgument(
                    "update_mask names '\(path)'; only status, snoozed_until and tags can be changed",
                    field: "update_mask")
            }
        }
        if let until = edit.snoozedUntil {
            guard until > now else {
                throw .invalidArgument("snoozed_until must be in the future", field: "snoozed_until")
            }
            if let status = edit.status, status != .pending {
                throw .invalidArgument(
                    "a snoozed conversation is PENDING: set status PENDING or leave status out of update_mask",
                    field: "snoozed_until")
            }
        }
        return edit
    }

    /// One SetAssignee item, or why it is INVALID (naming `field`'s sub-field).
    static func assigneeChange(_ item: Inbox_V1_SetAssigneeItem, field: String) -> Result<AssigneeChange, DomainError> {
        guard !item.organizationID.isEmpty else {
            return .failure(
                .invalidArgument(
                    "\(field).organization_id is required", reason: .organizationRequired,
                    field: "\(field).organization_id"))
        }
        guard let id = UUID(uuidString: item.conversationID) else {
            return .failure(
                .invalidArgument("\(field).conversation_id is not an id", field: "\(field).conversation_id"))
        }
        guard item.version > 0 else {
            return .failure(.invalidArgument("\(field).version must be positive", field: "\(field).version"))
        }
        return .success(
            AssigneeChange(
                organizationID: item.organizationID, conversationID: id,
                agentID: item.agentID.isEmpty ? nil : item.agentID, teamID: item.teamID.isEmpty ? nil : item.teamID,
                version: item.version))
    }

}
