import Foundation

/// Where the 32-byte store key comes from: the Keychain on a phone (`KeychainKeyProvider`
/// in DoorstepUI), a file elsewhere. Implementations never log the key.
public protocol KeyProvider: Sendable {
    /// The store key, made on first use and the same ever after.
    func storeKey() throws -> Data
}

/// Bytes in a store key.
public let storeKeyBytes = 32

/// A random key kept in a file only its owner can read: for tests and a Mac build without
/// the Keychain. A phone uses the Keychain.
public struct FileKeyProvider: KeyProvider {
    public let url: URL

    public init(url: URL) {
        self.url = url
    }

    public func storeKey() throws -> Data {
        if let key = try? Data(contentsOf: url) {
            guard key.count == storeKeyBytes else {
                throw DoorstepFailure.storeUnusable("key file \(url.path) is not \(storeKeyBytes) bytes")
            }
            return key
        }
        var key = Data(count: storeKeyBytes)
        var rng = SystemRandomNumberGenerator()
        for i in 0..<storeKeyBytes { key[i] = UInt8.random(in: .min ... .max, using: &rng) }
        try FileManager.default.createDirectory(
            at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        guard FileManager.default.createFile(
            atPath: url.path, contents: key, attributes: [.posixPermissions: 0o600])
        else {
            throw DoorstepFailure.storage("cannot write the key file \(url.path)")
        }
        return key
    }
}

/// A key given as it is (tests, previews).
public struct FixedKeyProvider: KeyProvider {
    let key: Data

    public init(_ key: Data) {
        self.key = key
    }

    public func storeKey() throws -> Data { key }
}
