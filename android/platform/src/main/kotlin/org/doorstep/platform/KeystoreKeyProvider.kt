package org.doorstep.platform

import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import org.doorstep.sdk.KeyProvider
import org.doorstep.sdk.STORE_KEY_BYTES
import java.io.File
import java.security.KeyStore
import java.security.SecureRandom
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec

/**
 * The store key on a phone: 32 random bytes made once, kept in [file] only as AES-GCM
 * ciphertext under a key that never leaves the Android Keystore ([wrappingKey]). The
 * plain key exists only in memory while the store is opened, and is never logged.
 */
class KeystoreKeyProvider(
    private val file: File,
    private val wrappingKey: () -> SecretKey = { androidKeystoreKey(ALIAS) },
) : KeyProvider {
    override fun storeKey(): ByteArray = synchronized(this) {
        if (file.exists()) return unwrap(file.readBytes())
        val key = ByteArray(STORE_KEY_BYTES).also { SecureRandom().nextBytes(it) }
        file.parentFile?.mkdirs()
        val tmp = File(file.path + ".new")
        tmp.writeBytes(wrap(key))
        check(tmp.renameTo(file)) { "could not move the wrapped key into ${file.path}" }
        key
    }

    private fun wrap(key: ByteArray): ByteArray {
        val c = Cipher.getInstance(TRANSFORMATION)
        c.init(Cipher.ENCRYPT_MODE, wrappingKey())
        return byteArrayOf(c.iv.size.toByte()) + c.iv + c.doFinal(key)
    }

    private fun unwrap(blob: ByteArray): ByteArray {
        val ivLen = blob[0].toInt()
        val c = Cipher.getInstance(TRANSFORMATION)
        c.init(Cipher.DECRYPT_MODE, wrappingKey(), GCMParameterSpec(128, blob, 1, ivLen))
        return c.doFinal(blob, 1 + ivLen, blob.size - 1 - ivLen).also {
            check(it.size == STORE_KEY_BYTES) { "the wrapped store key is ${it.size} bytes, not $STORE_KEY_BYTES" }
        }
    }

    companion object {
        const val ALIAS = "doorstep-store-key-wrap"
        private const val TRANSFORMATION = "AES/GCM/NoPadding"

        /** The Keystore's AES key under [alias], made on first use; it cannot be exported. */
        fun androidKeystoreKey(alias: String): SecretKey {
            val ks = KeyStore.getInstance("AndroidKeyStore").apply { load(null) }
            (ks.getEntry(alias, null) as? KeyStore.SecretKeyEntry)?.let { return it.secretKey }
            val gen = KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, "AndroidKeyStore")
            gen.init(
                KeyGenParameterSpec.Builder(alias, KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT)
                    .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
                    .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
                    .setKeySize(256)
                    .build(),
            )
            return gen.generateKey()
        }
    }
}
