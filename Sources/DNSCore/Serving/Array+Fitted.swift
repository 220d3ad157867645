extension Array {
    /// The same elements in storage of their own size when more than an eighth of the capacity is unused;
    /// `self` (no copy) otherwise. For arrays built by appending and then kept for long.
    func fitted() -> [Element] {
        guard capacity - count > count / 8 else { return self }
        return [Element](unsafeUninitializedCapacity: count) { buffer, initialized in
            initialized = withUnsafeBufferPointer { source in
                buffer.initialize(fromContentsOf: source)
            }
        }
    }
}
