import Crypto

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What a signing just signed, so that the self-check before publishing can confirm the signer's own
/// signatures without repeating the public-key arithmetic for each one.
///
/// Why: verifying an ECDSA P-256 signature costs about three signings (`openssl speed`: 66.8k signs,
/// 22.4k verifies a second per core), so verifying every signature we had just made was more than half
/// of a first signing's CPU. What the self-check exists to catch is a signature over other bytes than a
/// validator will rebuild (canonical form, RRSIG fields, TTLs, owner case), a signature by a key that
/// is not the published one, or a signature that was not made at all; none of those needs the curve.
///
/// How: for each signature the signer records SHA-256(public key ‖ signed data ‖ signature). The
/// verifier, which rebuilds the signed data on its own from the published RRSIG and RRset, accepts a
/// signature when the same digest was recorded for the key it checks against: same key, same bytes, same
/// signature. That the private key belongs to the published public key is proven once per key and
/// receipt book: the first signature recorded for a key is verified with the public key in full, and a
/// key whose first signature fails gets no receipts (its signatures are then verified one by one, and
/// fail). Signatures without a receipt (kept from an earlier version, made by another signer) are always
/// verified in full.
public final class SignatureReceipts: @unchecked Sendable {
    struct Receipt: Hashable {
        var a, b, c, d: UInt64
    }

    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private var receipts: Set<Receipt> = []
    /// Public keys whose first signature was verified in full: true if it passed.
    private var proven: [[UInt8]: Bool] = [:]

    public init() {
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// How many signatures have receipts.
    public var count: Int { locked { receipts.count } }

    /// `key` signed `signedData`, giving `signature`. Called for every signature a signing makes, on all
    /// cores: one lock turn, except for each key's first signature, which is verified outside the lock.
    func record(_ key: SigningKey, signedData: [UInt8], signature: [UInt8]) {
        let receipt = Self.receipt(publicKey: key.publicKeyBytes, signedData: signedData, signature: signature)
        let proof = locked { () -> Bool? in
            let proof = proven[key.publicKeyBytes]
            if proof == true { receipts.insert(receipt) }
            return proof
        }
        guard proof == nil else { return }
        let valid = key.publicKey.isValidSignature(signature, over: signedData)
        locked {
            proven[key.publicKeyBytes] = proven[key.publicKeyBytes] ?? valid
            if proven[key.publicKeyBytes] == true { receipts.insert(receipt) }
        }
    }

    /// Whether `signature` over `signedData` was made here by the key whose public key is `publicKey`.
    func holds(publicKey: [UInt8], signedData: [UInt8], signature: [UInt8]) -> Bool {
        let receipt = Self.receipt(publicKey: publicKey, signedData: signedData, signature: signature)
        return locked { receipts.contains(receipt) }
    }

    static func receipt(publicKey: [UInt8], signedData: [UInt8], signature: [UInt8]) -> Receipt {
        var hasher = SHA256()
        // Lengths first, so that no two different triples hash the same bytes.
        for part in [publicKey, signedData, signature] {
            withUnsafeBytes(of: UInt32(truncatingIfNeeded: part.count).bigEndian) { hasher.update(bufferPointer: $0) }
            part.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        }
        return hasher.finalize().withUnsafeBytes { digest in
            Receipt(a: digest.loadUnaligned(fromByteOffset: 0, as: UInt64.self), b: digest.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
                    c: digest.loadUnaligned(fromByteOffset: 16, as: UInt64.self), d: digest.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
        }
    }

    private func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }
}
