public import InboxAPI
public import InboxKit

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The form a WhatsApp template's values must have (CHANNELS.md §3.4; Meta's Cloud API
/// `template.components`): one check for conversation-service's SendReply and the gateway's
/// DeliverMessage, so a reply Meta would refuse for its form is INVALID_ARGUMENT at once, naming the
/// field, instead of a stored message that fails later.
///
/// - `name` and `language_code` are required.
/// - Body variables are positional (`body_parameters`) or named (`named_body_parameters`), never
///   both; a text header's variable has a `parameter_name` exactly when the template's are named
///   (Meta refuses a mix, 132012). A named parameter's name is lower-case letters, digits and
///   underscores, once per template; every value is non-blank text.
/// - `header` sets one of text, image, video, document; a media header names its media by `link`
///   (http or https) or `media_id`, not both; only a document has a `filename`.
///
/// Whether the values fit the approved template (how many variables, which names) only Meta knows:
/// it answers that as a 132xxx error, which the gateway reports as the delivery's failure.
public enum TemplateRules {
    public static let maxNameLength = 512
    public static let maxLanguageCodeLength = 32
    public static let maxParameters = 100
    public static let maxParameterLength = 1024
    public static let maxParameterNameLength = 128
    public static let maxLinkLength = 2048
    public static let maxMediaIDLength = 512
    public static let maxFilenameLength = 240

    /// Throws INVALID_ARGUMENT naming the first field that is wrong; `field` is the template's own
    /// field name in the request.
    public static func check(_ template: Inbox_V1_Template, field: String = "template") throws(DomainError) {
        try Self.requiredText(template.name, field: "\(field).name", limit: Self.maxNameLength)
        try Self.requiredText(template.languageCode, field: "\(field).language_code", limit: Self.maxLanguageCodeLength)

        let positional = template.bodyParameters
        let named = template.namedBodyParameters
        guard positional.count <= Self.maxParameters else {
            throw .invalidArgument(
                "\(field).body_parameters holds at most \(Self.maxParameters) parameters",
                field: "\(field).body_parameters")
        }
        guard named.count <= Self.maxParameters else {
            throw .invalidArgument(
                "\(field).named_body_parameters holds at most \(Self.maxParameters) parameters",
                field: "\(field).named_body_parameters")
        }
        guard positional.isEmpty || named.isEmpty else {
            throw .invalidArgument(
                "a template's variables are positional (body_parameters) or named (named_body_parameters), "
                    + "not both",
                field: "\(field).named_body_parameters")
        }
        for (index, value) in positional.enumerated() {
            try Self.requiredText(value, field: "\(field).body_parameters[\(index)]", limit: Self.maxParameterLength)
        }
        var names = Set<String>()
        for (index, parameter) in named.enumerated() {
            let path = "\(field).named_body_parameters[\(index)]"
            try Self.checkName(parameter.parameterName, field: "\(path).parameter_name")
            guard names.insert(parameter.parameterName).inserted else {
                throw .invalidArgument(
                    "\(path).parameter_name \(parameter.parameterName) is given twice", field: "\(path).parameter_name")
            }
            try Self.requiredText(parameter.text, field: "\(path).text", limit: Self.maxParameterLength)
        }

        guard template.hasHeader else { return }
        try Self.checkHeader(
            template.header, field: "\(field).header", bodyNamed: !named.isEmpty, bodyPositional: !positional.isEmpty)
    }

    private static func checkHeader(
        _ header: Inbox_V1_TemplateHeader, field: String, bodyNamed: Bool, bodyPositional: Bool
    ) throws(DomainError) {
        switch header.value {
        case nil:
            throw .invalidArgument("\(field) must set text, image, video or document", field: field)
        case .text(let parameter):
            let path = "\(field).text"
            try Self.requiredText(parameter.text, field: "\(path).text", limit: Self.maxParameterLength)
            if parameter.parameterName.isEmpty {
                guard !bodyNamed else {
                    throw .invalidArgument(
                        "\(path).parameter_name is required: the template's body variables are named",
                        field: "\(path).parameter_name")
                }
            } else {
                try Self.checkName(parameter.parameterName, field: "\(path).parameter_name")
                guard !bodyPositional else {
                    throw .invalidArgument(
                        "\(path).parameter_name must be empty: the template's body variables are positional",
                        field: "\(path).parameter_name")
                }
            }
        case .image(let media):
            try Self.checkMedia(media, field: "\(field).image", document: false)
        case .video(let media):
            try Self.checkMedia(media, field: "\(field).video", document: false)
        case .document(let media):
            try Self.checkMedia(media, field: "\(field).document", document: true)
        }
    }

    private static func checkMedia(_ media: Inbox_V1_TemplateMedia, field: String, document: Bool)
        throws(DomainError)
    {
        let link = media.link.trimmingCharacters(in: .whitespaces)
        let id = media.mediaID.trimmingCharacters(in: .whitespaces)
        switch (link.isEmpty, id.isEmpty) {
        case (true, true):
            throw .invalidArgument("\(field).link or \(field).media_id is required", field: "\(field).link")
        case (false, false):
            throw .invalidArgument(
                "\(field) names its media by link or by media_id, not both", field: "\(field).media_id")
        case (false, true):
            guard link.count <= Self.maxLinkLength, link.hasPrefix("https://") || link.hasPrefix("http://") else {
                throw .invalidArgument(
                    "\(field).link must be an http(s) URL of at most \(Self.maxLinkLength) characters the platform "
                        + "can download",
                    field: "\(field).link")
            }
        case (true, false):
            guard id.count <= Self.maxMediaIDLength, !id.contains(where: { $0.isWhitespace }) else {
                throw .invalidArgument("\(field).media_id is not a media id", field: "\(field).media_id")
            }
        }
        if document {
            guard media.filename.count <= Self.maxFilenameLength else {
                throw .invalidArgument(
                    "\(field).filename must be at most \(Self.maxFilenameLength) characters", field: "\(field).filename"
                )
            }
        } else if !media.filename.isEmpty {
            throw .invalidArgument("\(field).filename is for documents only", field: "\(field).filename")
        }
    }

    private static let nameCharacters = Set("abcdefghijklmnopqrstuvwxyz0123456789_")

    /// A variable's name as Meta takes it: lower-case letters, digits and underscores.
    private static func checkName(_ name: String, field: String) throws(DomainError) {
        guard !name.isEmpty, name.count <= Self.maxParameterNameLength,
            name.allSatisfy({ Self.nameCharacters.contains($0) })
        else {
            throw .invalidArgument(
                "\(field) must be 1 to \(Self.maxParameterNameLength) lower-case letters, digits or underscores",
                field: field)
        }
    }

    private static func requiredText(_ value: String, field: String, limit: Int) throws(DomainError) {
        guard !value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw .invalidArgument("\(field) is required", field: field)
        }
        guard value.count <= limit else {
            throw .invalidArgument("\(field) must be at most \(limit) characters", field: field)
        }
    }
}
