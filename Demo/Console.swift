import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where the demo writes: standard output, unbuffered. On a terminal the live views redraw the
/// screen in place (ANSI: cursor home, clear, the frame); elsewhere (a pipe, a log, CI) they print
/// what changed as plain lines and the final table once.
struct Console: Sendable {
    let interactive: Bool
    let started = ContinuousClock.now

    /// Whether standard output is a terminal.
    static var standardOutputIsTerminal: Bool { isatty(STDOUT_FILENO) == 1 }

    func line(_ text: String = "") {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    /// A line that says when it happened: `  +3.4 s  text`.
    func event(_ text: String) {
        self.line("  " + self.elapsed().padded(to: 8) + text)
    }

    /// Replaces the screen with `lines` in one write (a terminal only; plain output prints events).
    func frame(_ lines: [String]) {
        guard self.interactive else { return }
        FileHandle.standardOutput.write(Data(("\u{1B}[H\u{1B}[2J" + lines.joined(separator: "\n") + "\n").utf8))
    }

    /// `+3.4 s` since the demo started.
    func elapsed() -> String {
        let duration = ContinuousClock.now - self.started
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return "+" + String(format: "%.1f", seconds) + " s"
    }
}

extension String {
    /// Padded with spaces to `width` characters (longer text is left as it is).
    func padded(to width: Int) -> String {
        self.count >= width ? self : self + String(repeating: " ", count: width - self.count)
    }

    /// At most `width` characters: longer text ends with "…"; line breaks become spaces.
    func cut(to width: Int) -> String {
        let flat = String(self.map { $0.isNewline || $0 == "\t" ? " " : $0 })
        guard flat.count > width else { return flat }
        return String(flat.prefix(max(0, width - 1))) + "…"
    }
}

/// Rows under column titles, each column as wide as its widest cell up to its limit, two spaces
/// apart.
struct TextTable {
    let columns: [(title: String, limit: Int)]
    var rows: [[String]] = []

    init(_ columns: [(title: String, limit: Int)]) {
        self.columns = columns
    }

    mutating func add(_ cells: [String]) {
        self.rows.append(cells)
    }

    func rendered(indent: String = "  ") -> [String] {
        let widths = self.columns.enumerated().map { index, column in
            min(
                column.limit,
                max(column.title.count, self.rows.map { index < $0.count ? $0[index].count : 0 }.max() ?? 0))
        }
        func line(_ cells: [String]) -> String {
            var text = indent
            for index in self.columns.indices {
                let cell = (index < cells.count ? cells[index] : "").cut(to: widths[index])
                text += index == self.columns.count - 1 ? cell : cell.padded(to: widths[index]) + "  "
            }
            while text.last == " " { text.removeLast() }
            return text
        }
        return [line(self.columns.map(\.title))] + self.rows.map(line)
    }
}

/// Lengths of time as the tables show them.
enum Span {
    /// `45s`, `12m`, `23h59m`, `6d23h`.
    static func short(_ seconds: Double) -> String {
        let total = Int(abs(seconds).rounded(.down))
        switch total {
        case ..<60: return "\(total)s"
        case ..<3600: return "\(total / 60)m"
        case ..<86_400: return "\(total / 3600)h\(String(format: "%02d", (total % 3600) / 60))m"
        default: return "\(total / 86_400)d\(total % 86_400 / 3600)h"
        }
    }

    /// `2026-05-01 12:03:04Z (2 h ago)`.
    static func moment(_ date: Date, now: Date = Date()) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(secondsFromGMT: 0)
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss'Z'"
        let distance = date.timeIntervalSince(now)
        let relative = distance >= 0 ? "in \(Self.short(distance))" : "\(Self.short(distance)) ago"
        return "\(formatter.string(from: date)) (\(relative))"
    }
}
