import InboxAPI
import InboxKit
import SwiftProtobuf

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// What a command prints on standard output: aligned tables and `key  value` blocks for people,
/// or with `--json` the API's own messages as JSON (SwiftProtobuf's mapping, one object per line),
/// for scripts. Notes for the person at the terminal (next-page hints, idempotency keys, progress)
/// go to standard error, so standard output stays parseable.
struct Output: Sendable {
    let json: Bool

    /// One line on standard output.
    func line(_ text: String = "") {
        Terminal.write(text + "\n", to: .standardOutput)
    }

    /// `message` as one line of JSON.
    func message(_ message: some SwiftProtobuf.Message) throws {
        self.line(try message.jsonString())
    }

    /// Label-value lines, the values aligned; empty values are left out.
    func fields(_ rows: [(String, String)]) {
        let shown = rows.filter { !$0.1.isEmpty }
        let width = shown.map { $0.0.count }.max() ?? 0
        for (label, value) in shown {
            self.line(label.padding(to: width) + "  " + value.replacingLineBreaks)
        }
    }

    /// `table`, or `empty` (on standard error) when it has no rows.
    func table(_ table: Table, empty: String) {
        guard !table.rows.isEmpty else {
            Self.note(empty)
            return
        }
        for line in table.rendered() { self.line(line) }
    }

    /// A line for the person at the terminal, on standard error.
    static func note(_ text: String) {
        Terminal.write(text + "\n", to: .standardError)
    }

    /// The hint that more rows exist than were shown.
    static func morePages(_ token: String) {
        guard !token.isEmpty else { return }
        Self.note("more: run again with --page-token \(token)")
    }
}

/// Rows under column titles: each column as wide as its longest cell, at most its limit (longer
/// text is cut with "…"), columns two spaces apart. Line breaks inside a cell become spaces.
struct Table {
    struct Column {
        let title: String
        let limit: Int
    }

    let columns: [Column]
    private(set) var rows: [[String]] = []

    /// Columns as (title, widest cell allowed).
    init(_ columns: (String, Int)...) {
        self.columns = columns.map { Column(title: $0.0, limit: max(2, $0.1)) }
    }

    mutating func add(_ cells: String...) {
        self.rows.append(cells)
    }

    func rendered() -> [String] {
        let cells = self.rows.map { row in
            self.columns.indices.map { index in index < row.count ? row[index].replacingLineBreaks : "" }
        }
        let widths = self.columns.enumerated().map { index, column in
            min(column.limit, max(column.title.count, cells.map { $0[index].count }.max() ?? 0))
        }
        func line(_ values: [String]) -> String {
            var text = ""
            for (index, value) in values.enumerated() {
                let cut = value.cut(to: widths[index])
                text += index == values.count - 1 ? cut : cut.padding(to: widths[index]) + "  "
            }
            while text.last == " " { text.removeLast() }
            return text
        }
        return [line(self.columns.map(\.title))] + cells.map(line)
    }
}

extension String {
    /// Padded with spaces to `width` characters.
    fileprivate func padding(to width: Int) -> String {
        self.count >= width ? self : self + String(repeating: " ", count: width - self.count)
    }

    /// At most `width` characters: longer text ends with "…".
    func cut(to width: Int) -> String {
        guard self.count > width else { return self }
        return String(self.prefix(max(0, width - 1))) + "…"
    }

    /// Line breaks and tabs as spaces (a table row stays one line).
    fileprivate var replacingLineBreaks: String {
        String(self.map { $0.isNewline || $0 == "\t" ? " " : $0 })
    }
}

/// How values are shown in tables: times in UTC, spans in words, enums by their proto names
/// without the type prefix (`DEAD_LETTERED`, `TWILIO_SMS`).
enum Format {
    /// `2025-05-01 12:03:04Z`; empty for an unset timestamp.
    static func time(_ timestamp: Google_Protobuf_Timestamp) -> String {
        guard let date = timestamp.dateIfSet else { return "" }
        return Self.time(date)
    }

    static func time(_ date: Date) -> String {
        String(date.formatted(.iso8601).map { $0 == "T" ? " " : $0 })
    }

    /// A time and how far it is from now: `2025-05-01 12:03:04Z (in 3 h 5 min)`.
    static func moment(_ timestamp: Google_Protobuf_Timestamp, now: Date = Date()) -> String {
        guard let date = timestamp.dateIfSet else { return "" }
        return "\(Self.time(date)) (\(Self.relative(date, now: now)))"
    }

    /// `in 3 h 5 min` or `2 d 4 h ago`.
    static func relative(_ date: Date, now: Date = Date()) -> String {
        let seconds = date.timeIntervalSince(now)
        return seconds >= 0 ? "in \(Self.span(seconds))" : "\(Self.span(seconds)) ago"
    }

    /// A length of time in the two largest units: `45 s`, `12 min`, `3 h 5 min`, `2 d 4 h`.
    static func span(_ seconds: Double) -> String {
        let total = Int(abs(seconds).rounded())
        switch total {
        case ..<60:
            return "\(total) s"
        case ..<3600:
            return "\(total / 60) min"
        case ..<86_400:
            let minutes = (total % 3600) / 60
            return minutes == 0 ? "\(total / 3600) h" : "\(total / 3600) h \(minutes) min"
        default:
            let hours = (total % 86_400) / 3600
            return hours == 0 ? "\(total / 86_400) d" : "\(total / 86_400) d \(hours) h"
        }
    }

    static func duration(_ duration: Google_Protobuf_Duration) -> String {
        duration.seconds == 0 && duration.nanos == 0 ? "" : Self.span(Double(duration.seconds))
    }

    /// An enum value by its proto name without the type's prefix (`twilioSms` → `TWILIO_SMS`);
    /// empty for the zero value (`..._UNSPECIFIED`), which means "not set".
    static func label(_ value: some SwiftProtobuf.Enum) -> String {
        guard value.rawValue != 0 else { return "" }
        var label = ""
        var previous: Character?
        for character in String(describing: value) {
            if character.isUppercase, let previous, previous.isLowercase || previous.isNumber { label.append("_") }
            label += character.uppercased()
            previous = character
        }
        return label
    }

    /// Who wrote something: the display name, else the handle, else the platform id.
    static func author(_ author: Inbox_V1_Author) -> String {
        for candidate in [author.displayName, author.handle.isEmpty ? "" : "@\(author.handle)", author.platformUserID]
        where !candidate.isEmpty {
            return candidate
        }
        return ""
    }
}

/// Unbuffered writes to the standard streams (C's `stdout` and `stderr` are shared mutable state
/// that Swift 6 does not let a program touch), so a watch's lines and a progress bar appear at once.
enum Terminal {
    enum Stream: Int32 {
        case standardOutput = 1
        case standardError = 2
    }

    static func write(_ text: String, to stream: Stream) {
        var text = text
        text.withUTF8 { bytes in
            guard var next = bytes.baseAddress else { return }
            var left = bytes.count
            while left > 0 {
                let written = writeBytes(stream.rawValue, next, left)
                if written < 0, errno == EINTR { continue }
                guard written > 0 else { return }
                next += written
                left -= written
            }
        }
    }

    /// Whether the stream is a terminal (not a pipe or a file), where a progress bar may redraw
    /// its line.
    static func isInteractive(_ stream: Stream) -> Bool {
        isatty(stream.rawValue) == 1
    }
}

/// `write(2)`, outside ``Terminal`` whose own `write` would hide it.
private func writeBytes(_ descriptor: Int32, _ bytes: UnsafePointer<UInt8>, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}

/// A progress bar on standard error for work of a known size: redrawn in place on a terminal,
/// one line per step elsewhere (a log keeps every step).
struct ProgressBar {
    let title: String
    let total: Int
    private let interactive = Terminal.isInteractive(.standardError)

    init(_ title: String, total: Int) {
        self.title = title
        self.total = max(total, 1)
    }

    func show(_ done: Int, detail: String = "") {
        let width = 30
        let filled = min(width, done * width / self.total)
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let percent = min(100, done * 100 / self.total)
        let text = "\(self.title) [\(bar)] \(done)/\(self.total) \(percent)%" + (detail.isEmpty ? "" : " \(detail)")
        Terminal.write(self.interactive ? "\r\(text)" : "\(text)\n", to: .standardError)
    }

    /// Ends the redrawn line.
    func finish() {
        if self.interactive { Terminal.write("\n", to: .standardError) }
    }
}
