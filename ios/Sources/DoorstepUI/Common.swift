#if canImport(SwiftUI) && canImport(UIKit)
import DoorstepFeatures
import DoorstepKit
import SwiftUI

/// Touch targets are at least this tall (48 dp on Android; 44 pt is Apple's floor).
let minTouch: CGFloat = 48

/// Makes a screen's view model once, when the screen first appears, and keeps it while the
/// screen lives; the view model's state drives `content`.
struct Host<Model: AnyObject, Content: View>: View {
    let make: @MainActor () -> Model
    @ViewBuilder let content: (Model) -> Content
    @State private var model: Model?

    var body: some View {
        Group {
            if let model {
                content(model)
            } else {
                ProgressView()
            }
        }
        .onAppear {
            if model == nil { model = make() }
        }
    }
}

/// A binding that reads from state and writes by sending an action.
func bind<T>(_ get: @autoclosure @escaping () -> T, _ set: @escaping (T) -> Void) -> Binding<T> {
    Binding(get: get, set: set)
}

/// A failure in words a person can read, with the core's detail in small print.
struct FailureText: View {
    let failure: DoorstepFailure

    var body: some View {
        VStack(alignment: .leading, spacing: 2) {
            Text(failure.words).font(.body.weight(.semibold)).foregroundStyle(.red)
            Text(failure.detail).font(.caption).foregroundStyle(.secondary)
        }
        .accessibilityElement(children: .combine)
    }
}

/// A button at least `minTouch` tall, full width.
struct WideButton: View {
    let title: String
    var role: ButtonRole?
    var prominent = true
    let action: () -> Void

    var body: some View {
        Button(role: role, action: action) {
            Text(title).frame(maxWidth: .infinity, minHeight: minTouch)
        }
        .buttonStyle(.borderedProminent)
        .tint(prominent ? .accentColor : .gray)
    }
}

/// Tags as chips; tapping one toggles it where `toggle` is given.
struct TagChips: View {
    let tags: [Tag]
    var chosen: [Tag] = []
    var toggle: ((Tag) -> Void)?

    var body: some View {
        ScrollView(.horizontal, showsIndicators: false) {
            HStack {
                ForEach(tags, id: \.self) { t in
                    let on = toggle == nil || chosen.contains(t)
                    Button(t.words) { toggle?(t) }
                        .buttonStyle(.bordered)
                        .tint(on ? .green : .gray)
                        .frame(minHeight: minTouch)
                        .disabled(toggle == nil)
                        .accessibilityAddTraits(on ? .isSelected : [])
                }
            }
        }
    }
}
#endif
