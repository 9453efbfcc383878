import CCaffe2Proto

// Placeholder until the descriptor-driven text codec lands (issue 2, item 5).
func decodeText<M: CMessageBridge>(_ text: String, as _: M.Type) throws -> M {
    throw Caffe2Error(.parse, "text format reader not built yet")
}

func encodeText<M: CMessageBridge>(_ message: M) -> String {
    ""
}
