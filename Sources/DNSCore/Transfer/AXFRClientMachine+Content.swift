extension AXFRClientMachine {
    /// The answer records of one AXFR message (RFC 5936 §2.2): the authority and additional sections
    /// carry nothing of the zone and are not read.
    mutating func consume(_ answers: [ResourceRecord], stage: TransferError.Stage, now: Duration) -> Action {
        for (index, record) in answers.enumerated() {
            guard record.dnsClass == dnsClass else {
                return .failed(.wrongClass(name: record.name, type: record.type, found: record.dnsClass,
                                           expected: dnsClass, stage: stage))
            }
            guard record.name.isSubdomain(of: zone) else {
                return .failed(.outOfZone(zone: zone, name: record.name, type: record.type, stage: stage))
            }
            guard let opening = openingSOA else {
                guard record.type == .SOA, record.name == zone else {
                    return .failed(.firstRecordNotSOA(zone: zone, name: record.name, type: record.type))
                }
                openingSOA = record
                openingSOAWire = record.rdata.wireBytes(canonical: true)
                if let error = append(record) { return .failed(error) }
                continue
            }
            if record.type == .SOA {
                let isLast = index == answers.count - 1
                let sameSOA = record.name == zone && record.rdata.wireBytes(canonical: true) == openingSOAWire
                if sameSOA {
                    guard isLast else {
                        return .failed(.recordsAfterClosingSOA(stage: stage, count: answers.count - index - 1))
                    }
                    return close(opening: opening, now: now)
                }
                let openingSerial = Self.serial(of: opening)
                let found = Self.serial(of: record)
                guard isLast else {
                    return .failed(.soaInMiddle(opening: openingSerial, found: found, record: records.count + 1))
                }
                return .failed(.closingSOAMismatch(opening: openingSerial, closing: found,
                                                   reason: Self.difference(opening, record)))
            }
            if let error = append(record) { return .failed(error) }
        }
        return .needMore
    }

    /// Counts and keeps one record, or says which limit it crosses.
    mutating func append(_ record: ResourceRecord) -> TransferError? {
        guard records.count < limits.maxRecords else { return .tooManyRecords(limit: limits.maxRecords) }
        var covered: RecordType? = nil
        if case .rrsig(let signature) = record.rdata { covered = signature.typeCovered }
        let key = RRsetKey(name: record.name, type: record.type, covered: covered)
        let size = rrsetSizes[key, default: 0] + 1
        guard size <= limits.maxRecordsPerRRset else {
            return .rrsetTooLarge(name: record.name, type: record.type, limit: limits.maxRecordsPerRRset)
        }
        rrsetSizes[key] = size
        records.append(record)
        return nil
    }

    /// The closing SOA arrived as the last record of a message: with TSIG that message must be signed.
    mutating func close(opening: ResourceRecord, now: Duration) -> Action {
        if let verifier {
            do { try verifier.finish() } catch {
                return .failed(.tsig(stage: .transfer(message: messageCount), error))
            }
        }
        guard case .soa(let soa) = opening.rdata else {
            return .failed(.firstRecordNotSOA(zone: zone, name: opening.name, type: opening.type))
        }
        let result = Result(
            zone: zone, dnsClass: dnsClass, records: records, soa: soa, queriedSerial: queriedSerial,
            messageCount: messageCount, byteCount: byteCount, duration: now - startedAt,
            verifiedWithTSIG: verifier != nil, contentHash: Array(contentDigest.finalize()))
        records = []
        rrsetSizes = [:]
        return .complete(result)
    }

    static func serial(of record: ResourceRecord) -> SerialNumber {
        if case .soa(let soa) = record.rdata { return soa.serial }
        return SerialNumber(0)
    }

    /// Which part of two SOAs differs, for the error message.
    static func difference(_ opening: ResourceRecord, _ closing: ResourceRecord) -> String {
        if opening.name != closing.name { return "owner \(closing.name) instead of \(opening.name)" }
        guard case .soa(let a) = opening.rdata, case .soa(let b) = closing.rdata else { return "not an SOA" }
        if a.serial != b.serial { return "serial \(b.serial) instead of \(a.serial)" }
        return "same serial, other fields differ (\(b.presentation) instead of \(a.presentation))"
    }
}
