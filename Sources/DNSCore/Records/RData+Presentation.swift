extension RData {
    /// Parses RDATA given as one presentation string (the CLI's `record add ... RDATA...`), through the
    /// same lexer and field parsers as zone files, so both accept exactly the same syntax.
    public init(type: RecordType, presentation text: String, origin: DomainName?, file: String = "<rdata>") throws(ZoneFileError) {
        var lexer = ZoneFileLexer(text, file: file)
        let tokens = try lexer.allEntries().flatMap(\.tokens)
        var parser = RDataParser(type: type, tokens: tokens, origin: origin, file: file)
        self = try RData.parse(type: type, parser: &parser)
        try parser.finish()
    }
}
