import GRPCCore
import GRPCProtobuf
import InboxAPI
import InboxKit
import SwiftProtobuf

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Why a command failed and what to do about it. ArgumentParser prints it on standard error as
/// `Error: <problem>` and a `What to do:` line, and exits with status 1.
///
/// An RPC's error is explained from its status code, the stable reason of its
/// `google.rpc.ErrorInfo` and its typed details (a refused reply's `ReplyRefusal`, a rate limit's
/// `RetryInfo`, an internal error's request id), never from the message text alone; the code and
/// reason follow the problem in brackets (`[FAILED_PRECONDITION REPLY_REFUSED]`), so a script or
/// a search can find them.
struct CommandFailure: Error, CustomStringConvertible {
    var problem: String
    var remedy: String?

    init(_ problem: String, remedy: String? = nil) {
        self.problem = problem
        self.remedy = remedy
    }

    var description: String {
        guard let remedy = self.remedy else { return self.problem }
        return "\(self.problem)\nWhat to do: \(remedy)"
    }

    /// How to get a token, for every failure about a missing or refused one.
    static let tokenRemedy =
        "mint one with `inboxctl token --role agent --organization <org> --agent <id>` (or --role admin, or "
        + "--role operator for organisations; `inboxctl mint-token` is the same command) and pass it with --token "
        + "or export INBOX_TOKEN=<token>"

    /// A command that calls a service was given no token.
    static let missingToken = CommandFailure(
        "this command needs a bearer token, and neither --token nor INBOX_TOKEN gives one", remedy: tokenRemedy)
}

extension CommandFailure {
    /// The explanation of an RPC's error, naming the service and address that answered (or did not).
    init(_ error: RPCError, service: InboxService, address: PeerAddress) {
        let facts = ErrorFacts(error)
        let (problem, remedy) = Self.explain(error, facts, service: service, address: address)
        let tag = ([Self.name(of: error.code)] + (facts.reason.isEmpty ? [] : [facts.reason])).joined(separator: " ")
        self.init("\(problem) [\(tag)]", remedy: remedy ?? facts.catalogueAction)
    }

    private static func explain(_ error: RPCError, _ facts: ErrorFacts, service: InboxService, address: PeerAddress)
        -> (problem: String, remedy: String?)
    {
        let name = service.rawValue
        let at = "\(name) at \(address)"
        let message = error.message
        switch error.code {
        case .unavailable where facts.reason == ErrorReason.dependencyUnavailable.rawValue:
            return (
                "\(at) could not reach a service or database it needs: \(message)",
                "retry in a moment (repeating a command with the same --key is safe); "
                    + "`inboxctl health --addr <host:port>` checks each service"
            )
        case .unavailable:
            return (
                "could not reach \(at): \(message)",
                "is \(name) running at \(address)? Start the stack with deploy/local/up, or give its address with "
                    + "--\(name)-addr or \(service.addressVariable). With TLS between the services, give --tls-ca (and "
                    + "--tls-cert and --tls-key for mutual TLS), or the GRPC_TLS_* variables"
            )
        case .deadlineExceeded:
            return (
                "\(at) did not answer in time: \(message)",
                "is \(name) running at \(address)? If it is, retry, or wait longer with --timeout <seconds>"
            )
        case .unauthenticated where facts.reason == ErrorReason.tokenMissing.rawValue:
            return ("\(at) received no bearer token: \(message)", Self.tokenRemedy)
        case .unauthenticated:
            return (
                "\(at) refused the token: \(message)",
                "the token may have expired, or be signed with another key than the services' TOKEN_SIGNING_KEY / "
                    + "TOKEN_PUBLIC_KEYS: " + Self.tokenRemedy
            )
        case .permissionDenied where facts.reason == ErrorReason.organizationMismatch.rawValue:
            return (
                "\(at) refused: \(message)",
                "admins and agents act on their token's own organisation: leave --organization out, or use a token "
                    + "of that organisation"
            )
        case .permissionDenied:
            return (
                "\(at) refused: \(message)",
                "use a token whose role may make this call (operators create and list organisations; admins connect "
                    + "channels and activate the inbox; agents and admins work in the inbox): `inboxctl token --role "
                    + "<role> ...`"
            )
        case .invalidArgument:
            return ("\(at) refused the request: \(message)", Self.invalidArgumentRemedy(facts))
        case .notFound:
            let what = facts.metadata["resource"].map { " of the \($0)" } ?? ""
            return (
                "\(at): \(message)",
                "check the id\(what): ids belong to one organisation, and another organisation's are not found "
                    + "either (is the token for the right organisation?)"
            )
        case .alreadyExists where facts.reason == ErrorReason.idempotencyKeyReused.rawValue:
            return (
                "\(at): \(message)",
                "this --key was used for a different request: use a new key (the same request with the same key "
                    + "returns the first result)"
            )
        case .alreadyExists:
            return ("\(at): \(message)", "use the existing \(facts.metadata["resource"] ?? "resource") instead")
        case .failedPrecondition:
            return Self.failedPrecondition(message, facts, at: at)
        case .resourceExhausted:
            if let delay = facts.retryDelay {
                return ("\(at) is rate-limiting: \(message)", "retry in \(Format.span(delay.timeInterval))")
            }
            return ("\(at): \(message)", nil)
        case .unimplemented:
            return ("\(at) does not implement this call: \(message)", "this version of \(name) lacks it; do not retry")
        case .internalError:
            let request = facts.requestID.map { " (request id \($0))" } ?? ""
            return (
                "\(at) failed unexpectedly\(request): \(message)",
                "report the request id: \(name)'s log has the cause. A retry with the same --key is safe"
            )
        default:
            return ("\(at) answered \(Self.name(of: error.code)): \(message)", nil)
        }
    }

    private static func invalidArgumentRemedy(_ facts: ErrorFacts) -> String {
        switch facts.reason {
        case ErrorReason.pageTokenInvalid.rawValue:
            return "start again without --page-token (or --resume-token)"
        case ErrorReason.organizationRequired.rawValue:
            return "an operator token acts for the organisation it names: add --organization <id>, or use an admin "
                + "or agent token of that organisation"
        case ErrorReason.batchTooLarge.rawValue:
            return "send at most \(facts.metadata["limit"] ?? "the limit of") items at once"
        default:
            guard let field = facts.metadata["field"] else { return "fix the request and run the command again" }
            return "fix \(Self.option(forField: field)) and run the command again"
        }
    }

    private static func failedPrecondition(_ message: String, _ facts: ErrorFacts, at: String)
        -> (problem: String, remedy: String?)
    {
        switch facts.reason {
        case ErrorReason.replyRefused.rawValue:
            guard let refusal = facts.replyRefusal else {
                return ("policy refused the reply: \(message)", nil)
            }
            return (Self.refused(refusal, message: message), Self.remedy(for: refusal))
        case ErrorReason.inboxDeactivated.rawValue:
            return (
                "\(at): \(message)",
                "activate the inbox with `inboxctl inbox activate` (admin or operator), then retry; "
                    + "`inboxctl inbound release` delivers the events held meanwhile"
            )
        case ErrorReason.planDoesNotAllowPlatform.rawValue:
            return (
                "\(at): \(message)",
                "an operator moves the organisation to the enterprise plan (UpdateOrganization), or use another platform"
            )
        case ErrorReason.channelTokenInvalid.rawValue:
            return (
                "\(at): \(message)",
                "give the channel new credentials: `inboxctl channel rotate <channel> --access-token <token>`"
            )
        case ErrorReason.channelDisconnected.rawValue:
            return ("\(at): \(message)", "connect the channel again with `inboxctl channel connect`")
        default:
            return ("\(at): \(message)", nil)
        }
    }

    /// "policy refused the reply: <why> (REASON). The reply window closed at <time> (<how long ago>)."
    static func refused(_ refusal: Inbox_V1_ReplyRefusal, message: String, now: Date = Date()) -> String {
        var text =
            "policy refused the reply: \(refusal.message.isEmpty ? message : refusal.message) "
            + "(\(Format.label(refusal.reason)))"
        if let end = refusal.windowEndsAt.dateIfSet {
            text += ". The reply window \(end < now ? "closed" : "closes") at \(Format.moment(refusal.windowEndsAt))"
        }
        if let end = refusal.humanAgentWindowEndsAt.dateIfSet {
            text +=
                "; the human-agent tag \(end < now ? "was" : "is") usable until "
                + Format.moment(refusal.humanAgentWindowEndsAt)
        }
        return text
    }

    private static func remedy(for refusal: Inbox_V1_ReplyRefusal) -> String? {
        switch refusal.reason {
        case .humanAgentTagRequired:
            return "send it again with --human-agent-tag (for a reply a person wrote)"
        case .templateRequired:
            return "only an approved template may be sent now: `inboxctl reply <conversation> --template <name> "
                + "--language <code> [--param <value>]...`"
        case .windowClosed:
            return "nothing can be sent until the customer writes again"
        case .privateReplyAlreadySent, .privateReplyWindowClosed:
            return "answer publicly instead: --send-kind public"
        case .optedOut:
            return "the customer opted out (STOP); nothing can be sent until they opt back in (START)"
        case .inboxDeactivated:
            return "activate the inbox with `inboxctl inbox activate`, then retry"
        case .plan:
            return "an operator moves the organisation to the enterprise plan"
        case .channelDisconnected:
            return "connect the channel again with `inboxctl channel connect`"
        case .channelTokenInvalid:
            return "give the channel new credentials: `inboxctl channel rotate <channel> --access-token <token>`"
        default:
            return nil
        }
    }

    /// The command-line option for a request field an INVALID_ARGUMENT names.
    static func option(forField field: String) -> String {
        let options = [
            "external_account_id": "--account", "display_name": "--name", "idempotency_key": "--key",
            "page_token": "--page-token", "page_size": "--limit", "resume_token": "--resume-token",
            "organization_id": "--organization", "time_zone": "--time-zone", "web_chat.allowed_origins": "--origin",
            "web_chat.greeting": "--greeting", "web_chat.offline_message": "--offline-message",
            "conversation_id": "the conversation id", "channel_id": "the channel id", "agent_id": "the agent id",
            "team_id": "--team", "event_ids": "the event ids", "template.name": "--template",
            "template.language_code": "--language",
        ]
        if let option = options[field] { return option }
        if field.hasPrefix("credentials.") || field == "settings" || field == "plan" || field == "name"
            || field == "text" || field == "platform"
        {
            let last = field.split(separator: ".").last.map(String.init) ?? field
            return "--" + String(last.map { $0 == "_" ? "-" : $0 })
        }
        return "the field \(field)"
    }

    /// The proto name of a status code (`FAILED_PRECONDITION`).
    static func name(of code: RPCError.Code) -> String {
        switch code {
        case .cancelled: "CANCELLED"
        case .unknown: "UNKNOWN"
        case .invalidArgument: "INVALID_ARGUMENT"
        case .deadlineExceeded: "DEADLINE_EXCEEDED"
        case .notFound: "NOT_FOUND"
        case .alreadyExists: "ALREADY_EXISTS"
        case .permissionDenied: "PERMISSION_DENIED"
        case .resourceExhausted: "RESOURCE_EXHAUSTED"
        case .failedPrecondition: "FAILED_PRECONDITION"
        case .aborted: "ABORTED"
        case .outOfRange: "OUT_OF_RANGE"
        case .unimplemented: "UNIMPLEMENTED"
        case .internalError: "INTERNAL"
        case .unavailable: "UNAVAILABLE"
        case .dataLoss: "DATA_LOSS"
        case .unauthenticated: "UNAUTHENTICATED"
        default: "\(code)"
        }
    }
}

/// What an RPC error's `grpc-status-details-bin` trailer says (README "The v1 contract"): the
/// `google.rpc.ErrorInfo` reason and metadata, and the typed details this tool acts on. An error
/// without details (a transport failure, a proxy's answer) has none of them.
struct ErrorFacts {
    var reason = ""
    var metadata: [String: String] = [:]
    var replyRefusal: Inbox_V1_ReplyRefusal?
    var retryDelay: Duration?
    var requestID: String?

    init(_ error: RPCError) {
        let status = try? error.unpackGoogleRPCStatus()
        for detail in status?.details ?? [] {
            if let info = detail.errorInfo, self.reason.isEmpty {
                self.reason = info.reason
                self.metadata = info.metadata
            } else if let retry = detail.retryInfo {
                self.retryDelay = retry.delay
            } else if let request = detail.requestInfo {
                self.requestID = request.requestID
            } else if let any = detail.any, let refusal = try? Inbox_V1_ReplyRefusal(unpackingAny: any) {
                self.replyRefusal = refusal
            }
        }
        if self.requestID == nil {
            self.requestID = error.metadata[stringValues: "x-request-id"].first(where: { _ in true })
        }
    }

    /// What the README's table of reasons tells a caller to do, for reasons without advice of
    /// this tool's own.
    var catalogueAction: String? {
        ErrorReason.catalogue.first { $0.reason.rawValue == self.reason }?.callerAction
    }
}
