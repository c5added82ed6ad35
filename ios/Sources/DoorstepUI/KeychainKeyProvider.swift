#if canImport(Security) && canImport(UIKit)
import DoorstepKit
import Foundation
import Security

/// The store key kept in the Keychain: 32 random bytes made on first use, readable only on
/// this device and only after its first unlock (so a background sync can open the store),
/// never backed up to another device. The key is never logged.
public struct KeychainKeyProvider: KeyProvider {
    public let service: String
    public let account: String

    public init(service: String = "org.doorstep.app", account: String = "store-key") {
        self.service = service
        self.account = account
    }

    public func storeKey() throws -> Data {
        if let key = try read() { return key }
        var key = Data(count: storeKeyBytes)
        let made = key.withUnsafeMutableBytes { SecRandomCopyBytes(kSecRandomDefault, storeKeyBytes, $0.baseAddress!) }
        guard made == errSecSuccess else { throw DoorstepFailure.storeUnusable("no random bytes for a key (\(made))") }
        var add = query
        add[kSecValueData as String] = key
        add[kSecAttrAccessible as String] = kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly
        let status = SecItemAdd(add as CFDictionary, nil)
        // Another launch may have made it between the read and the add: keep theirs.
        if status == errSecDuplicateItem, let theirs = try read() { return theirs }
        guard status == errSecSuccess else { throw DoorstepFailure.storeUnusable("the Keychain refused the key (\(status))") }
        return key
    }

    private var query: [String: Any] {
        [kSecClass as String: kSecClassGenericPassword,
         kSecAttrService as String: service,
         kSecAttrAccount as String: account]
    }

    private func read() throws -> Data? {
        var q = query
        q[kSecReturnData as String] = true
        q[kSecMatchLimit as String] = kSecMatchLimitOne
        var out: CFTypeRef?
        let status = SecItemCopyMatching(q as CFDictionary, &out)
        if status == errSecItemNotFound { return nil }
        guard status == errSecSuccess, let key = out as? Data else {
            throw DoorstepFailure.storeUnusable("the Keychain did not give the key (\(status))")
        }
        guard key.count == storeKeyBytes else {
            throw DoorstepFailure.storeUnusable("the Keychain's key is \(key.count) bytes, not \(storeKeyBytes)")
        }
        return key
    }
}
#endif
