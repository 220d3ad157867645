import GRDB

extension Outbox {
    /// Events with a delivery still pending on some channel (being retried, waiting behind an older
    /// event, or waiting for a digest): `countersign_notification_queue_depth`. A queue that only grows
    /// means a channel is down.
    package static func pendingEventCount(in db: Database) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COUNT(DISTINCT event_id) FROM outbox_deliveries WHERE state = 'pending'") ?? 0
    }
}
