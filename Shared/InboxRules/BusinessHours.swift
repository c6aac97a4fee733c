// Named time zones (`Europe/Paris`) need Foundation's international part, not only its essentials.
public import Foundation
public import InboxAPI
public import InboxKit

/// A weekly schedule in a time zone. A window whose end is before its start runs past midnight
/// into the next day (Friday 22:00–02:00 covers Saturday 01:00).
public struct BusinessHours: Sendable, Hashable, Codable {
    public struct Window: Sendable, Hashable, Codable {
        /// 1 = Monday … 7 = Sunday (ISO 8601).
        public var weekday: Int
        /// Minutes after local midnight.
        public var start: Int
        public var end: Int

        public init(weekday: Int, start: Int, end: Int) {
            self.weekday = weekday
            self.start = start
            self.end = end
        }
    }

    public var timeZone: String
    public var windows: [Window]

    public init(timeZone: String, windows: [Window]) {
        self.timeZone = timeZone
        self.windows = windows
    }

    /// Whether `instant` falls inside a window, judged in the schedule's local time (so a DST
    /// change moves the hours with the clock on the wall).
    public func contains(_ instant: Date) -> Bool {
        guard let zone = TimeZone(identifier: self.timeZone) else { return false }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let parts = calendar.dateComponents([.weekday, .hour, .minute], from: instant)
        // Calendar weekday: 1 = Sunday … 7 = Saturday; ours: 1 = Monday … 7 = Sunday.
        let weekday = ((parts.weekday ?? 1) + 5) % 7 + 1
        let minute = (parts.hour ?? 0) * 60 + (parts.minute ?? 0)
        let weekMinute = (weekday - 1) * 1440 + minute
        return self.intervals.contains { $0.contains(weekMinute) || $0.contains(weekMinute + 7 * 1440) }
    }

    /// The windows as minutes of the week (a crossing window extends into the next day; one on
    /// Sunday night wraps past the end of the week).
    var intervals: [Range<Int>] {
        self.windows.map { window in
            let start = (window.weekday - 1) * 1440 + window.start
            let length = window.end > window.start ? window.end - window.start : 1440 - window.start + window.end
            return start..<(start + length)
        }
    }

    /// Why the schedule is invalid, or nil: weekdays 1…7, times within a day, no empty window,
    /// no two windows overlapping.
    public var problem: String? {
        guard Self.isValidTimeZone(self.timeZone) else { return "time_zone '\(self.timeZone)' does not exist" }
        guard Self.windowCounts.contains(self.windows.count) else { return "windows must hold 1 to 50 windows" }
        for (index, window) in self.windows.enumerated() {
            guard (1...7).contains(window.weekday) else { return "windows[\(index)].weekday is not a day" }
            guard (0..<1440).contains(window.start), (0...1440).contains(window.end) else {
                return "windows[\(index)] has a time outside 00:00–24:00"
            }
            guard window.start != window.end else {
                return "windows[\(index)] is empty (start equals end)"
            }
        }
        // Overlaps, on a two-week line so that Sunday-night windows meet Monday mornings.
        let spans = self.intervals.flatMap { [$0, ($0.lowerBound + 7 * 1440)..<($0.upperBound + 7 * 1440)] }
        for (i, a) in self.intervals.enumerated() {
            for (j, b) in spans.enumerated() where j / 2 != i && a.overlaps(b) {
                return "windows[\(i)] and windows[\(j / 2)] overlap"
            }
        }
        return nil
    }

    /// Parses "HH:MM" (00:00 to 24:00) into minutes after midnight.
    public static func minutes(_ text: String) -> Int? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 2, parts[1].count == 2, let hours = Int(parts[0]),
            let minutes = Int(parts[1]), (0...24).contains(hours), (0..<60).contains(minutes),
            hours < 24 || minutes == 0
        else { return nil }
        return hours * 60 + minutes
    }

    public static func text(_ minutes: Int) -> String {
        String(format: "%02d:%02d", minutes / 60, minutes % 60)
    }
    /// How many windows a schedule holds.
    public static let windowCounts = 1...50

    public static func isValidTimeZone(_ identifier: String) -> Bool {
        !identifier.isEmpty && TimeZone(identifier: identifier) != nil
    }
}

extension BusinessHours {
    public var proto: Inbox_V1_BusinessHours {
        .with {
            $0.timeZone = self.timeZone
            $0.windows = self.windows.map { window in
                .with {
                    $0.weekday = Inbox_V1_Weekday(rawValue: window.weekday) ?? .unspecified
                    $0.start = BusinessHours.text(window.start)
                    $0.end = BusinessHours.text(window.end)
                }
            }
        }
    }

    public init(proto: Inbox_V1_BusinessHours, field: String) throws(DomainError) {
        var windows: [Window] = []
        for (index, window) in proto.windows.enumerated() {
            let path = "\(field).windows[\(index)]"
            guard (1...7).contains(window.weekday.rawValue) else {
                throw .invalidArgument("\(path).weekday must name a day", field: "\(path).weekday")
            }
            guard let start = BusinessHours.minutes(window.start), start < 1440 else {
                throw .invalidArgument("\(path).start must be HH:MM", field: "\(path).start")
            }
            guard let end = BusinessHours.minutes(window.end) else {
                throw .invalidArgument("\(path).end must be HH:MM (up to 24:00)", field: "\(path).end")
            }
            windows.append(Window(weekday: window.weekday.rawValue, start: start, end: end))
        }
        self.init(timeZone: proto.timeZone, windows: windows)
        if let problem = self.problem {
            throw .invalidArgument("\(field): \(problem)", field: field)
        }
    }
}
