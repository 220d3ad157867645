import ArgumentParser

/// `dns-primary`: the hidden, unsigned primary. Operators edit zones here; it expands ALIAS records on
/// outgoing transfers. The store and its admin commands work today; the daemon that serves and expands follows.
@main
struct DNSPrimary: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dns-primary",
        abstract: "Countersign's hidden primary: zones with ALIAS records, expanded on transfer.",
        subcommands: [ServeCommand.self, ZoneCommand.self, RecordCommand.self, TSIGCommand.self, ZoneFileCommand.self]
    )
}
