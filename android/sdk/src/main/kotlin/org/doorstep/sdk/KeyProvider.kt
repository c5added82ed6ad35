package org.doorstep.sdk

import java.io.File
import java.nio.file.Files
import java.nio.file.attribute.PosixFilePermission
import java.security.SecureRandom

/**
 * Where the 32-byte store key comes from: the Android Keystore on a phone, a file on a
 * desktop. Implementations never log the key.
 */
fun interface KeyProvider {
    /** The store key, made on first use and the same ever after. */
    fun storeKey(): ByteArray
}

/** Bytes in a store key. */
const val STORE_KEY_BYTES = 32

/**
 * A random key kept in a file only its owner can read: for the desktop build, which has no
 * Keystore. A phone uses the Keystore-backed provider in `platform/`.
 */
class FileKeyProvider(private val file: File) : KeyProvider {
    override fun storeKey(): ByteArray {
        if (file.exists()) return file.readBytes().also { check(it.size == STORE_KEY_BYTES) { "key file ${file.path} is not $STORE_KEY_BYTES bytes" } }
        file.parentFile?.mkdirs()
        val key = ByteArray(STORE_KEY_BYTES).also { SecureRandom().nextBytes(it) }
        file.writeBytes(key)
        runCatching {
            Files.setPosixFilePermissions(file.toPath(), setOf(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE))
        }
        return key
    }
}
