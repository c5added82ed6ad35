#if canImport(SwiftUI) && canImport(UIKit) && canImport(AVFoundation)
import AVFoundation
import SwiftUI
import UIKit

/// The camera, reading QR codes only. Of several codes in view it takes the one nearest
/// the centre; while `paused` it reads nothing, and the same text read again within
/// `repeatSeconds` is dropped, so one pass held up is one scan.
struct QRScannerView: UIViewRepresentable {
    let paused: Bool
    let onCode: (String) -> Void
    var repeatSeconds: TimeInterval = 2

    func makeCoordinator() -> Coordinator { Coordinator() }

    func makeUIView(context: Context) -> PreviewView {
        let view = PreviewView()
        context.coordinator.attach(to: view)
        return view
    }

    func updateUIView(_ view: PreviewView, context: Context) {
        context.coordinator.update(paused: paused, repeatSeconds: repeatSeconds, onCode: onCode)
    }

    static func dismantleUIView(_ view: PreviewView, coordinator: Coordinator) {
        coordinator.stop()
    }

    /// A view whose layer is the camera's preview.
    final class PreviewView: UIView {
        override class var layerClass: AnyClass { AVCaptureVideoPreviewLayer.self }
        var preview: AVCaptureVideoPreviewLayer { layer as! AVCaptureVideoPreviewLayer }
    }

    final class Coordinator: NSObject, AVCaptureMetadataOutputObjectsDelegate {
        private let session = AVCaptureSession()
        // startRunning blocks; it never runs on the main thread.
        private let queue = DispatchQueue(label: "org.doorstep.scanner")
        private var paused = false
        private var repeatSeconds: TimeInterval = 2
        private var onCode: (String) -> Void = { _ in }
        private var last: (text: String, at: Date)?

        func attach(to view: PreviewView) {
            view.preview.session = session
            view.preview.videoGravity = .resizeAspectFill
            AVCaptureDevice.requestAccess(for: .video) { [weak self] granted in
                guard granted, let self else { return }
                self.queue.async { self.configure() }
            }
        }

        private func configure() {
            guard let camera = AVCaptureDevice.default(for: .video),
                  let input = try? AVCaptureDeviceInput(device: camera),
                  session.canAddInput(input)
            else { return }
            session.beginConfiguration()
            session.addInput(input)
            let output = AVCaptureMetadataOutput()
            if session.canAddOutput(output) {
                session.addOutput(output)
                output.setMetadataObjectsDelegate(self, queue: .main)
                output.metadataObjectTypes = [.qr]
            }
            session.commitConfiguration()
            session.startRunning()
        }

        func update(paused: Bool, repeatSeconds: TimeInterval, onCode: @escaping (String) -> Void) {
            self.paused = paused
            self.repeatSeconds = repeatSeconds
            self.onCode = onCode
        }

        func stop() {
            queue.async { [session] in session.stopRunning() }
        }

        func metadataOutput(
            _ output: AVCaptureMetadataOutput, didOutput objects: [AVMetadataObject], from connection: AVCaptureConnection
        ) {
            guard !paused else { return }
            // Bounds are in the camera's unit square, whose centre is the frame's centre.
            let nearest = objects.compactMap { $0 as? AVMetadataMachineReadableCodeObject }
                .filter { $0.stringValue != nil }
                .min { distance($0.bounds) < distance($1.bounds) }
            guard let text = nearest?.stringValue else { return }
            if let last, last.text == text, Date().timeIntervalSince(last.at) < repeatSeconds { return }
            last = (text, Date())
            UINotificationFeedbackGenerator().notificationOccurred(.success)
            onCode(text)
        }

        private func distance(_ r: CGRect) -> CGFloat {
            hypot(r.midX - 0.5, r.midY - 0.5)
        }
    }
}
#endif
