#if canImport(SwiftUI) && canImport(UIKit)
import Network
import SwiftUI

/// An invisible view that calls `returned` each time the network comes back after being
/// gone, so what was done offline goes up without a tap.
struct NetworkWatcher: View {
    let returned: @MainActor () -> Void
    @State private var monitor: NWPathMonitor?

    var body: some View {
        Color.clear
            .onAppear {
                guard monitor == nil else { return }
                let m = NWPathMonitor()
                let last = LastPath()
                m.pathUpdateHandler = { path in
                    let online = path.status == .satisfied
                    defer { last.online = online }
                    guard online, last.online == false else { return }
                    Task { @MainActor in returned() }
                }
                m.start(queue: DispatchQueue(label: "org.doorstep.network"))
                monitor = m
            }
            .onDisappear {
                monitor?.cancel()
                monitor = nil
            }
    }
}

/// The last path's state; only the monitor's serial queue touches it.
private final class LastPath: @unchecked Sendable {
    var online: Bool?
}
#endif
