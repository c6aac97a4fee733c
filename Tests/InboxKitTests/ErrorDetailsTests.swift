import Foundation
import GRPCCore
import GRPCInProcessTransport
import GRPCProtobuf
import InboxAPI
import InboxKit
import Logging
import SwiftProtobuf
import TestSupport
import Testing

/// Every refusal reaches a client with a stable reason and its typed details, in the standard
/// `grpc-status-details-bin` trailer (the Python grpcio client reads the same in IntegrationTests).
@Suite("Error details: reasons and typed details on the wire")
struct ErrorDetailsTests {
    static let windowEnd = Date(timeIntervalSince1970: 1_780_000_000)

    /// What SendReply answers when policy wants the human-agent tag.
    static let refusal: DomainError = DomainError.failedPrecondition(
        "the 24-hour window closed; a human-written reply can use the human-agent tag", reason: .replyRefused
    ).with(
        detail: Inbox_V1_ReplyRefusal.with {
            $0.reason = .humanAgentTagRequired
            $0.message = "the 24-hour window closed"
            $0.windowEndsAt = Google_Protobuf_Timestamp(date: Self.windowEnd)
            $0.humanAgentWindowEndsAt = Google_Protobuf_Timestamp(date: Self.windowEnd.addingTimeInterval(6 * 86_400))
        })

    /// Calls the probe behind the real interceptors (health is not public there, so tokens count).
    func call(_ service: String, metadata: Metadata? = nil) async throws -> RPCError? {
        let operatorMetadata = try await TestTokens.metadata(.operator)
        return try await InterceptorTests().withProbe { _, health in
            await #expect(throws: RPCError.self) {
                try await health.check(.with { $0.service = service }, metadata: metadata ?? operatorMetadata)
            }
        }
    }

    @Test func aReplyRefusalTravelsAsErrorInfoPlusTheTypedDetail() async throws {
        let error = try #require(try await self.call("reply-refused"))
        #expect(error.code == .failedPrecondition)
        let status = try #require(try error.unpackGoogleRPCStatus())
        #expect(status.code == .failedPrecondition)
        #expect(status.message == error.message)
        let info = try #require(status.details.first?.errorInfo)
        #expect(info.reason == "REPLY_REFUSED")
        #expect(info.domain == "inbox.v1")
        let any = try #require(status.details.dropFirst().first?.any)
        let refusal = try Inbox_V1_ReplyRefusal(unpackingAny: any)
        #expect(refusal.reason == .humanAgentTagRequired)
        #expect(refusal.windowEndsAt.date == Self.windowEnd)
        #expect(refusal.humanAgentWindowEndsAt.date == Self.windowEnd.addingTimeInterval(6 * 86_400))
    }

    @Test func everyDomainErrorCarriesItsReason() async throws {
        let notFound = try #require(try await self.call("not-found"))
        let info = try #require(try notFound.unpackGoogleRPCStatus()?.details.first?.errorInfo)
        #expect(info.reason == "RESOURCE_NOT_FOUND")

        let anonymous = try #require(try await self.call("not-found", metadata: [:]))
        #expect(anonymous.code == .unauthenticated)
        #expect(try anonymous.unpackGoogleRPCStatus()?.details.first?.errorInfo?.reason == "TOKEN_MISSING")

        let badToken = try #require(try await self.call("not-found", metadata: ["authorization": "Bearer nope"]))
        #expect(try badToken.unpackGoogleRPCStatus()?.details.first?.errorInfo?.reason == "TOKEN_INVALID")
    }

    @Test func internalErrorsCarryOnlyTheRequestID() async throws {
        let error = try #require(try await self.call("internal"))
        #expect(error.code == .internalError)
        let status = try #require(try error.unpackGoogleRPCStatus())
        #expect(status.details.first?.errorInfo?.reason == "INTERNAL")
        let requestInfo = try #require(status.details.dropFirst().first?.requestInfo)
        #expect(!requestInfo.requestID.isEmpty)
        #expect(error.message.contains(requestInfo.requestID))
        #expect(!"\(status)".contains("hunter2"))
    }

    @Test func batchesOverTheirLimitAreRefusedWithTheLimit() throws {
        try BatchLimit.check(500, field: "events")
        let error = try #require(#expect(throws: DomainError.self) { try BatchLimit.check(501, field: "events") })
        #expect(error.code == .invalidArgument)
        #expect(error.reason == .batchTooLarge)
        #expect(error.metadata == ["field": "events", "limit": "500", "size": "501"])
    }

    @Test func rateLimitsCarryRetryInfo() throws {
        let error = DomainError.resourceExhausted("slow down", retryAfter: .seconds(3))
        #expect(error.status.details.first?.errorInfo?.reason == "RATE_LIMITED")
        #expect(error.status.details.dropFirst().first?.retryInfo?.delay == .seconds(3))
    }

    /// The Swift catalogue, the proto enum and the README table list the same reasons.
    @Test func theCatalogueMatchesTheProtoEnumAndTheReadme() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let proto = try String(contentsOf: root.appendingPathComponent("Protos/inbox/v1/common.proto"), encoding: .utf8)
        let protoReasons = Set(
            proto.split(separator: "\n").compactMap { line -> String? in
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                guard trimmed.hasPrefix("ERROR_REASON_"), !trimmed.hasPrefix("ERROR_REASON_UNSPECIFIED") else {
                    return nil
                }
                return String(trimmed.dropFirst("ERROR_REASON_".count).prefix { $0 != " " })
            })
        let catalogue = ErrorReason.catalogue.map(\.reason.rawValue)
        #expect(Set(catalogue) == protoReasons)
        #expect(catalogue.count == Set(catalogue).count)

        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        for entry in ErrorReason.catalogue {
            let row = readme.split(separator: "\n").first { $0.hasPrefix("| `\(entry.reason.rawValue)` |") }
            #expect(row != nil, "README lacks a row for \(entry.reason)")
            #expect(row?.contains("`\(Self.statusName(entry.code))`") == true, "README row of \(entry.reason)")
        }
    }

    static func statusName(_ code: RPCError.Code) -> String {
        switch code {
        case .invalidArgument: "INVALID_ARGUMENT"
        case .unauthenticated: "UNAUTHENTICATED"
        case .permissionDenied: "PERMISSION_DENIED"
        case .notFound: "NOT_FOUND"
        case .alreadyExists: "ALREADY_EXISTS"
        case .failedPrecondition: "FAILED_PRECONDITION"
        case .resourceExhausted: "RESOURCE_EXHAUSTED"
        case .unavailable: "UNAVAILABLE"
        case .unimplemented: "UNIMPLEMENTED"
        case .internalError: "INTERNAL"
        default: "\(code)"
        }
    }
}
