import Foundation
public import Logging

/// The body of every executable: read configuration, set up logging once, run, and turn any
/// failure into one line on standard error and a non-zero exit code — never a crash trace.
/// Exit codes: 0 stopped cleanly, 2 bad configuration, 1 any other failure.
public enum ServiceMain {
    public static func run(
        _ service: InboxService,
        environment given: Environment? = nil,
        _ body: @Sendable (Environment, Logger) async throws -> Void
    ) async -> Never {
        let level: Logger.Level
        let environment: Environment
        do {
            if let given { environment = given } else { environment = try await Environment.processAndFiles() }
        } catch {
            Self.fail(service, "configuration error: \(error)", code: 2)
        }
        do {
            level = try environment.logLevel()
        } catch {
            Self.fail(service, "configuration error: \(error)", code: 2)
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        MetricsServer.bootstrap()
        let logger = Logger(label: service.rawValue)
        do {
            try await body(environment, logger)
        } catch let error as ConfigurationError {
            Self.fail(service, "configuration error: \(error)", code: 2)
        } catch {
            Self.fail(service, "\(error)", code: 1)
        }
        exit(0)
    }

    static func fail(_ service: InboxService, _ message: String, code: Int32) -> Never {
        FileHandle.standardError.write(Data("\(service.rawValue): \(message)\n".utf8))
        exit(code)
    }
}
