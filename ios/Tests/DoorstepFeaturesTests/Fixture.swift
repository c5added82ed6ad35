import DoorstepCore
import DoorstepFeatures
import DoorstepKit
import Foundation
import Observation
import XCTest

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The grid the station's codes cover in tests/with-server.sh.
let grid = "武昌区/中南路街道/丽岛社区/第1网格"

/// A real store per phone in a temporary folder; nothing of the core is faked.
@MainActor
class FeatureTestCase: XCTestCase {
    var dir: URL!
    let key = Data((0..<32).map { UInt8(($0 * 7) & 0xFF) })
    private var opened: [String: DoorstepServices] = [:]
    /// Settings kept apart per test.
    var settings: UserDefaults!
    private var suite = ""

    override func setUp() async throws {
        try await super.setUp()
        dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("doorstep-features-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        suite = "doorstep-test-\(UUID().uuidString)"
        settings = UserDefaults(suiteName: suite)
    }

    override func tearDown() async throws {
        opened = [:]
        settings.removePersistentDomain(forName: suite)
        if let dir { try? FileManager.default.removeItem(at: dir) }
        try await super.tearDown()
    }

    func folder(_ phone: String) -> URL { dir.appendingPathComponent(phone, isDirectory: true) }

    /// Writes through the raw bindings (the way synced data would arrive) into a phone's
    /// store, then closes it.
    @discardableResult
    func seed<T>(_ phone: String = "phone", _ body: (Doorstep) throws -> T) throws -> T {
        try FileManager.default.createDirectory(at: folder(phone), withIntermediateDirectories: true)
        let d = try Doorstep.open(
            path: folder(phone).appendingPathComponent(DoorstepServices.storeFile).path, key: key)
        return try body(d)
    }

    /// The services over a phone's store, opened once (again after `restart`).
    func services(_ phone: String = "phone") async throws -> DoorstepServices {
        if let s = opened[phone] { return s }
        let s = try await DoorstepServices.open(dir: folder(phone), keys: FixedKeyProvider(key))
        opened[phone] = s
        return s
    }

    /// Closes a phone's store as an app being killed would.
    func restart(_ phone: String = "phone") {
        opened[phone] = nil
    }

    /// The station server from tests/with-server.sh.
    var server: String {
        get throws {
            guard let s = ProcessInfo.processInfo.environment["DOORSTEP_TEST_SERVER"], !s.isEmpty else {
                XCTFail("DOORSTEP_TEST_SERVER is not set: run through tests/with-server.sh (tests/swift/run.sh does)")
                throw XCTSkip("no server")
            }
            return s
        }
    }
}

/// Waits until the view model's state meets `ok` (10 s at most), waking on each change of
/// its state, and returns that state.
@MainActor
func until<VM: ViewModel & Observable>(
    _ vm: VM, timeout: Double = 10, file: StaticString = #filePath, line: UInt = #line,
    _ ok: (VM.State) -> Bool
) async throws -> VM.State {
    let deadline = Date().addingTimeInterval(timeout)
    while !ok(vm.state) {
        if Date() > deadline {
            XCTFail("the state never came; last: \(vm.state)", file: file, line: line)
            throw CancellationError()
        }
        await changeOrTick(vm)
    }
    return vm.state
}

/// Returns when the view model's state changes, or after a short tick.
@MainActor
private func changeOrTick<VM: ViewModel & Observable>(_ vm: VM) async {
    let once = Once()
    await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
        withObservationTracking { _ = vm.state } onChange: { once.run { c.resume() } }
        Task {
            try? await Task.sleep(for: .milliseconds(100))
            once.run { c.resume() }
        }
    }
}

/// Runs its closure the first time only.
final class Once: @unchecked Sendable {
    private let lock = NSLock()
    private var done = false

    func run(_ f: () -> Void) {
        lock.lock()
        let first = !done
        done = true
        lock.unlock()
        if first { f() }
    }
}

/// The station dashboard over HTTP, logged in as the admin tests/with-server.sh creates.
final class Dashboard: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
    let base: String
    private var session: URLSession!
    private var cookies: [String: String] = [:]

    init(base: String) {
        self.base = base
        super.init()
        session = URLSession(configuration: .ephemeral, delegate: self, delegateQueue: nil)
    }

    /// Logs in as the dashboard admin of DOORSTEP_TEST_ADMIN ("name:password").
    static func login(_ base: String) async throws -> Dashboard {
        guard let admin = ProcessInfo.processInfo.environment["DOORSTEP_TEST_ADMIN"],
              let colon = admin.firstIndex(of: ":")
        else {
            XCTFail("DOORSTEP_TEST_ADMIN is not set: run through tests/with-server.sh")
            throw XCTSkip("no dashboard admin")
        }
        let d = Dashboard(base: base)
        let form = try await d.request("GET", "/login")
        let csrf = try d.field("csrf", in: form.body)
        let reply = try await d.request(
            "POST", "/login",
            form: ["name": String(admin[..<colon]), "password": String(admin[admin.index(after: colon)...]), "csrf": csrf])
        guard d.cookies["ds_session"]?.isEmpty == false else {
            XCTFail("no session after logging in (status \(reply.status)): \(reply.body.prefix(300))")
            throw CancellationError()
        }
        return d
    }

    // Redirects are not followed: the login's reply sets the cookie.
    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void
    ) {
        completionHandler(nil)
    }

    func request(_ method: String, _ path: String, form: [String: String]? = nil) async throws -> (status: Int, body: String) {
        var r = URLRequest(url: URL(string: base + path)!)
        r.httpMethod = method
        var jar = cookies
        jar["ds_lang"] = "en"
        r.setValue(jar.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "; "), forHTTPHeaderField: "Cookie")
        if let form {
            r.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
            var allowed = CharacterSet.alphanumerics
            allowed.insert(charactersIn: "-._~")
            r.httpBody = form.map { k, v in
                "\(k)=\(v.addingPercentEncoding(withAllowedCharacters: allowed)!)"
            }.joined(separator: "&").data(using: .utf8)
        }
        let (data, response): (Data, HTTPURLResponse) = try await withCheckedThrowingContinuation { c in
            session.dataTask(with: r) { data, response, error in
                if let error { return c.resume(throwing: error) }
                c.resume(returning: (data ?? Data(), response as! HTTPURLResponse))
            }.resume()
        }
        for (name, value) in response.allHeaderFields {
            guard let n = name as? String, n.lowercased() == "set-cookie", let v = value as? String else { continue }
            // Several cookies may arrive folded into one header.
            for part in v.components(separatedBy: ",") {
                let pair = part.split(separator: ";")[0].trimmingCharacters(in: .whitespaces)
                if let eq = pair.firstIndex(of: "=") {
                    cookies[String(pair[..<eq])] = String(pair[pair.index(after: eq)...])
                }
            }
        }
        return (response.statusCode, String(decoding: data, as: UTF8.self))
    }

    /// The page at `path`, in English.
    func page(_ path: String) async throws -> String {
        let r = try await request("GET", path)
        XCTAssertEqual(r.status, 200, "GET \(path)")
        return r.body
    }

    /// The page at `path` once `ok` holds for it (the station takes in the phones' writes
    /// every two seconds), or, after 20 s, as it is.
    func page(_ path: String, once ok: (String) -> Bool) async throws -> String {
        let deadline = Date().addingTimeInterval(20)
        var html = try await page(path)
        while !ok(html), Date() < deadline {
            try await Task.sleep(for: .milliseconds(250))
            html = try await page(path)
        }
        return html
    }

    func field(_ name: String, in html: String) throws -> String {
        guard let m = html.range(of: "name=\"\(name)\" value=\"") else {
            XCTFail("no \(name) field")
            throw CancellationError()
        }
        let rest = html[m.upperBound...]
        return String(rest[..<rest.firstIndex(of: "\"")!])
    }

    /// A new one-time enrolment code from the devices page, for a user and role, and an
    /// area (its id in the station) for roles that have one.
    /// The station takes in the phones' writes every two seconds, so an area just synced
    /// may take that long to be offered.
    func enrolmentCode(user: String, role: String, areaId: String? = nil) async throws -> String {
        let devices = try await page("/devices")
        let csrf = try field("csrf", in: devices)
        var form = ["csrf": csrf, "user": user, "role": role]
        if let areaId { form["area"] = areaId }
        var r = try await request("POST", "/devices/enrol", form: form)
        let deadline = Date().addingTimeInterval(20)
        while r.status == 403, r.body.contains("is not one of yours"), Date() < deadline {
            try await Task.sleep(for: .milliseconds(250))
            r = try await request("POST", "/devices/enrol", form: form)
        }
        XCTAssertEqual(r.status, 200, "enrol: \(r.body.prefix(300))")
        guard let code = section(r.body, after: "id=\"code\"", to: "</code>")?.split(separator: ">").last else {
            XCTFail("no code in the reply: \(r.body.prefix(500))")
            throw CancellationError()
        }
        return String(code)
    }
}

/// The text between the first `after` and the next `to` after it.
func section(_ s: String, after: String, to: String) -> String? {
    guard let a = s.range(of: after) else { return nil }
    let rest = s[a.upperBound...]
    guard let b = rest.range(of: to) else { return nil }
    return String(rest[..<b.lowerBound])
}
