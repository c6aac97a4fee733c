/// The sending identity and secret of one connected channel, as its platform's API wants them.
///
/// Each platform has its own type in its own folder (`FacebookCredentials`,
/// `InstagramCredentials`, `WeChatCredentials`, ...) and its adapter takes exactly that type
/// (``OutboundAdapter/Credentials``): a new platform adds a type beside its adapter instead of a
/// case to an enum every platform shares. Where the platform is known only at run time (the
/// sender, the content fetcher), credentials travel as `any ChannelCredentials` and another
/// platform's type is refused as ``OutboundBuildError/wrongCredentials(platform:)``.
public protocol ChannelCredentials: Sendable {}
