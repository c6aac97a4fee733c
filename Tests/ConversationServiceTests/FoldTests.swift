import Foundation
import Logging
import PostgresNIO
import TestSupport
import Testing

@testable import ConversationService

/// Migration 4 replaced `fold()` (search's case and accent folding) with a faster version that
/// must give the same result for every text: the stored search vectors and the GIN index were
/// computed with the first one.
@Suite("conversation-service: fold() after migration 4 folds exactly as migration 2's")
struct FoldTests {
    @Test func theFasterFoldGivesTheSameTextForEveryCharacter() async throws {
        let first = try Self.migrationTwoFold()
        // Every character of its table alone and in upper case, every printable ASCII character,
        // and sentences mixing them.
        let table = try Self.mappedCharacters(first)
        var inputs = table.map(String.init) + table.map { String($0).uppercased() }
        inputs += (32...126).map { String(UnicodeScalar(UInt8($0))) }
        inputs += [
            "Réservation annulée, ÇA NE VA PAS ! Œuvre, Straße, Ĳssel, øre, Łódź, đồng",
            String(table) + " The quick brown fox, 1234567890 (x@y.z) [a|b] {c~d} ^_^ 'quoted' \"double\"",
            "日本語のテキストと English mixed, émoji 🎉, tab\there, newline\nthere",
        ]
        let logger = Logger(label: "fold-test")
        let (mismatches, folded) = try await ConversationHarness.with { h in
            let mismatches = try await h.database.withConnection { connection in
                try await connection.query(PostgresQuery(unsafeSQL: first), logger: logger)
                let rows = try await connection.query(
                    """
                    SELECT x, fold(x), pg_temp.fold_before(x) FROM unnest(\(inputs)::text[]) AS x
                    WHERE fold(x) IS DISTINCT FROM pg_temp.fold_before(x)
                    """,
                    logger: logger)
                var found: [String] = []
                for try await (input, now, before) in rows.decode((String, String, String).self) {
                    found.append("\(input): \(now) instead of \(before)")
                }
                return found
            }
            let rows = try await h.database.query("SELECT fold('Réservation HÔTEL Déçu Straße')", logger: logger)
            var folded = ""
            for try await text in rows.decode(String.self) { folded = text }
            return (mismatches, folded)
        }
        #expect(table.count > 250, "migration 2's table was not found whole (\(table.count) characters)")
        #expect(mismatches.isEmpty, "\(mismatches)")
        #expect(folded == "reservation hotel decu strasse")
    }

    /// Migration 2's `CREATE FUNCTION fold`, renamed to a temporary function of the connection.
    static func migrationTwoFold() throws -> String {
        let sql = ConversationMigrations.all.first { $0.version == 2 }?.sql ?? ""
        guard let start = sql.range(of: "CREATE FUNCTION fold("),
            let end = sql.range(of: "$$;", range: start.upperBound..<sql.endIndex)
        else { throw FoldTestError("migration 2 no longer creates fold()") }
        return String(sql[start.lowerBound..<end.upperBound])
            .replacingOccurrences(of: "CREATE FUNCTION fold(", with: "CREATE FUNCTION pg_temp.fold_before(")
    }

    /// The accented characters of the function's translate() table (its first quoted string
    /// after the ligatures).
    static func mappedCharacters(_ function: String) throws -> [Character] {
        guard let from = function.range(of: "'ĳ', 'ij'),") else { throw FoldTestError("no translate() table") }
        let rest = function[from.upperBound...]
        guard let open = rest.firstIndex(of: "'") else { throw FoldTestError("no translate() table") }
        let afterOpen = rest.index(after: open)
        guard let close = rest[afterOpen...].firstIndex(of: "'") else { throw FoldTestError("no translate() table") }
        return Array(rest[afterOpen..<close])
    }
}

struct FoldTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
