extension ResourceRecord {
    /// Reads one RR (owner, fixed fields, RDATA) at the reader's position.
    public init(wire reader: inout WireReader) throws(WireError) {
        name = try reader.readName()
        let type = RecordType(try reader.readUInt16("RR type"))
        dnsClass = DNSClass(try reader.readUInt16("RR class"))
        ttl = try reader.readUInt32("RR TTL")
        let length = Int(try reader.readUInt16("RDLENGTH"))
        rdata = try RData.decode(type: type, length: length, from: &reader)
    }

    /// Appends the RR; RDLENGTH is patched after the (possibly compressed) RDATA is written.
    public func encode(to writer: inout WireWriter, canonical: Bool = false) {
        writer.write(name, compress: !canonical, canonical: canonical)
        writer.write(type.rawValue)
        writer.write(dnsClass.rawValue)
        writer.write(ttl)
        let lengthAt = writer.count
        writer.write(UInt16(0))
        rdata.encode(to: &writer, canonical: canonical)
        writer.patch(UInt16(writer.count - lengthAt - 2), at: lengthAt)
    }
}
