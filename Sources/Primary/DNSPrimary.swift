import ArgumentParser

/// `dns-primary`: the hidden, unsigned primary. Operators edit zones here; it expands ALIAS records on
/// outgoing transfers. Today it offers the offline zone-file tools; the daemon and its store follow.
@main
struct DNSPrimary: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dns-primary",
        abstract: "Countersign's hidden primary: zones with ALIAS records, expanded on transfer.",
        subcommands: [ZoneFileCommand.self]
    )
}
