import DNSCore
import Logging
import NIOPosix

extension NotifySender {
    /// A sender on NIO's process-wide event loop group, for a daemon that keeps no group of its own
    /// (`dns-primary serve`), so it need not depend on NIO itself.
    public convenience init(policy: Machine.Policy = Machine.Policy(), logger: Logger = Logger(label: "countersign.notify")) {
        self.init(group: MultiThreadedEventLoopGroup.singleton, policy: policy, clock: .system, logger: logger)
    }
}
