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
                var wasOnline: Bool?
                m.pathUpdateHandler = { path in
                    let online = path.status == .satisfied
                    defer { wasOnline = online }
                    guard online, wasOnline == false else { return }
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
#endif
