#if canImport(SwiftUI) && canImport(UIKit)
import DoorstepFeatures
import DoorstepKit
import SwiftUI

/// The home screen: the sync bar, one tab per role (a station admin's phone has three), and
/// the chosen role's screen.
struct HomeView: View {
    let app: AppCoordinator
    let enrolment: Enrolment

    var body: some View {
        let models = app.home(enrolment)
        VStack(spacing: 0) {
            SyncBarView(state: models.syncBar.state) { models.syncBar.send($0) }
            if enrolment.roles.count > 1 {
                Picker(tr("home.role"), selection: bind(app.tab) { app.tab = $0 }) {
                    ForEach(enrolment.roles, id: \.self) { Text($0.words).tag($0) }
                }
                .pickerStyle(.segmented)
                .padding(.horizontal)
                .frame(minHeight: minTouch)
            }
            switch app.tab {
            case .socialWorker:
                if let m = models.dueList { DueListView(state: m.state) { m.send($0) } }
            case .marshal:
                if let m = models.marshal { MarshalView(state: m.state) { m.send($0) } }
            case .runner:
                if let m = models.runner { RunnerListView(state: m.state) { m.send($0) } }
            case .stationAdmin:
                EmptyView()
            }
        }
        .navigationTitle(tr("home.title", enrolment.user))
        .navigationBarTitleDisplayMode(.inline)
        .background(NetworkWatcher { models.syncBar.send(.networkReturned) })
    }
}
#endif
