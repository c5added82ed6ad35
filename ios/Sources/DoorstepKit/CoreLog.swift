import DoorstepCore
import Foundation
#if canImport(os)
import os
#endif

/// Sends the core's log lines to the unified log (`os_log`, subsystem `org.doorstep`,
/// the line's target as category) on Apple platforms, to standard error elsewhere. Core's
/// lines carry counts, codes, ids and timings, never personal data, so they are public.
public final class CoreLog: LogSink, @unchecked Sendable {
    private let write: @Sendable (LogLevel, String, String) -> Void

    /// A sink that hands each line to `write`; by default the system's log.
    public init(write: @escaping @Sendable (LogLevel, String, String) -> Void = CoreLog.system) {
        self.write = write
    }

    public func log(level: LogLevel, target: String, message: String) {
        write(level, target, message)
    }

    /// Installs `sink` for the rest of the process, at `level` and above. Once per process,
    /// before the store opens; a second call throws `DoorstepFailure.invalid`.
    public static func install(_ sink: CoreLog = CoreLog(), level: LogLevel = .info) throws {
        do {
            try setLogSink(sink: sink, level: level)
        } catch {
            throw DoorstepFailure.from(error)
        }
    }

    /// The system's log: `os_log` where there is one, standard error elsewhere.
    public static let system: @Sendable (LogLevel, String, String) -> Void = { level, target, message in
        #if canImport(os)
        let logger = Logger(subsystem: "org.doorstep", category: target)
        switch level {
        case .error: logger.error("\(message, privacy: .public)")
        case .warn: logger.warning("\(message, privacy: .public)")
        case .info: logger.info("\(message, privacy: .public)")
        case .debug, .trace: logger.debug("\(message, privacy: .public)")
        }
        #else
        FileHandle.standardError.write(Data("[\(level)] \(target): \(message)\n".utf8))
        #endif
    }
}
