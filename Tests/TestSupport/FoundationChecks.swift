public import GRPCCore
import GRPCProtobuf
public import InboxKit
import Logging
import Testing

/// Checks every service's tests run on its foundation: its migrations apply to its own schema as
/// its own role, once; and its whole v1 surface needs a token.
public enum FoundationChecks {
    public static func migrationsApplyOnce(_ service: InboxService, _ migrations: [Migration]) async throws {
        try await withTestDatabase { database in
            try await withPostgresClient(database.url(for: service), schema: service.schema) { client in
                let runner = MigrationRunner(schema: service.schema, migrations: migrations)
                let applied = try await runner.migrate(client, logger: Logger(label: "test"))
                #expect(applied == Array(1...migrations.count))
                #expect(try await runner.migrate(client, logger: Logger(label: "test")).isEmpty)
            }
        }
    }

    /// Calls every method of `descriptors` on `service` without a token and with an admin's;
    /// returns the outcomes with the token (the caller asserts what each should be).
    public static func everyMethodNeedsAToken(
        _ service: any RegistrableRPCService,
        _ descriptors: [MethodDescriptor]
    ) async throws -> [String: RPCError.Code?] {
        try await withInProcessServer(services: [service]) { client in
            let anonymous = await callEveryMethod(descriptors, client: client, metadata: [:])
            #expect(anonymous.count == descriptors.count)
            #expect(anonymous.values.allSatisfy { $0 == .unauthenticated })
            return await callEveryMethod(descriptors, client: client, metadata: try await TestTokens.metadata(.admin))
        }
    }

    /// Expects `call` to be refused whole for a batch over its limit: INVALID_ARGUMENT with the
    /// reason BATCH_TOO_LARGE naming `field` and the limit of 500.
    public static func expectBatchTooLarge(
        _ field: String, sourceLocation: SourceLocation = #_sourceLocation, _ call: () async throws -> Void
    ) async throws {
        let error = await #expect(throws: RPCError.self, sourceLocation: sourceLocation) { try await call() }
        #expect(error?.code == .invalidArgument, sourceLocation: sourceLocation)
        let info = try error?.unpackGoogleRPCStatus()?.details.first?.errorInfo
        #expect(info?.reason == "BATCH_TOO_LARGE", sourceLocation: sourceLocation)
        #expect(info?.metadata == ["field": field, "limit": "500", "size": "501"], sourceLocation: sourceLocation)
    }
}

/// The error of a call expected to fail: its status code, its ErrorInfo reason and the field the
/// ErrorInfo names (empty when none); nil when the call succeeded.
public func refusal(_ call: () async throws -> Void) async -> (code: RPCError.Code, reason: String, field: String)? {
    do {
        try await call()
        return nil
    } catch let error as RPCError {
        let info = try? error.unpackGoogleRPCStatus()?.details.first?.errorInfo
        return (error.code, info?.reason ?? "", info?.metadata["field"] ?? "")
    } catch {
        return (.unknown, "\(error)", "")
    }
}
