/// A configuration value that is missing or malformed. Its description is the one line a
/// process prints before it exits: it names the variable and what is wrong with it.
public struct ConfigurationError: Error, Equatable, CustomStringConvertible {
    public let variable: String
    public let problem: String

    public init(variable: String, problem: String) {
        self.variable = variable
        self.problem = problem
    }

    public var description: String { "\(self.variable): \(self.problem)" }
}
