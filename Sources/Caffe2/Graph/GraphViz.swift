// Graphviz DOT for a NetDef, in the spirit of Caffe2's net_drawer.py: operators
// are green boxes, blobs octagons, one blob node per version so that in-place
// and re-written blobs keep the graph acyclic.

/// How ``NetDef/graphvizDOT(_:)`` draws a net.
///
/// ```swift
/// var options = GraphvizOptions()
/// options.rankdir = .leftToRight
/// options.parameters = Set(initNet.op.flatMap(\.output))   // weights drawn grey
/// let dot = predictNet.graphvizDOT(options)
/// ```
public struct GraphvizOptions: Sendable, Equatable {
    /// The direction of the layout.
    public enum Direction: String, Sendable, CaseIterable {
        case topToBottom = "TB"
        case leftToRight = "LR"
        case bottomToTop = "BT"
        case rightToLeft = "RL"
    }

    /// Graphviz `rankdir`; top to bottom by default.
    public var rankdir: Direction = .topToBottom
    /// Blobs to draw as parameters (grey), e.g. the outputs of the init net.
    public var parameters: Set<String> = []
    /// Leave parameter blobs (and their edges) out of the drawing.
    public var hideParameters = false

    public init(rankdir: Direction = .topToBottom, parameters: Set<String> = [], hideParameters: Bool = false) {
        self.rankdir = rankdir
        self.parameters = parameters
        self.hideParameters = hideParameters
    }
}

extension NetDef {
    /// The net as a Graphviz `digraph` (render with `dot -Tsvg net.dot -o net.svg`).
    ///
    /// * Operators are green boxes labelled `#index Type`, then the op's name
    ///   and engine when set; gradient operators are red.
    /// * Blobs are octagons, one node per version: an operator that writes a
    ///   blob that already exists creates a new node labelled `name (v2)`, ...
    /// * In-place operators (an output that is also an input) have a bold red
    ///   edge labelled `in-place` to the blob's new version.
    /// * External inputs are blue, external outputs orange double octagons,
    ///   parameters (``GraphvizOptions/parameters``) grey.
    ///
    /// ```swift
    /// let net = try NetDef(textFormat: """
    ///     name: "inv" op { input: "X" output: "X" type: "Reciprocal" }
    ///     external_input: "X" external_output: "X"
    ///     """)
    /// print(net.graphvizDOT())
    /// ```
    public func graphvizDOT(_ options: GraphvizOptions = GraphvizOptions()) -> String {
        var lines: [String] = []
        lines.append("digraph \(dotString(name.isEmpty ? "net" : name)) {")
        lines.append("  rankdir=\(options.rankdir.rawValue);")
        lines.append("  node [fontname=\"Helvetica\", fontsize=10];")
        lines.append("  edge [fontname=\"Helvetica\", fontsize=8];")

        let externalInputs = Set(externalInput)
        let externalOutputs = Set(externalOutput)
        var current: [String: Int] = [:]  // blob name -> node number of its latest version
        var versions: [String: Int] = [:]  // blob name -> versions so far
        var blobNodes: [(id: Int, name: String, version: Int, isInput: Bool)] = []
        var edges: [String] = []

        func isHidden(_ blob: String) -> Bool { options.hideParameters && options.parameters.contains(blob) }

        func newBlobNode(_ blob: String, isInput: Bool) -> Int {
            let id = blobNodes.count
            let v = versions[blob, default: 0] + 1
            versions[blob] = v
            blobNodes.append((id, blob, v, isInput))
            current[blob] = id
            return id
        }

        var opLines: [String] = []
        for (i, op) in self.op.enumerated() {
            var label = [dotEscape("#\(i) \(op.type)")]
            if !op.name.isEmpty { label.append(dotEscape(op.name)) }
            if let e = op.engine, !e.isEmpty { label.append(dotEscape("engine: \(e)")) }
            let color = op.isGradientOp ? "#DB4437" : "#0F9D58"
            opLines.append(
                "  op\(i) [shape=box, style=\"filled,rounded\", fillcolor=\"\(color)\", color=\"\(color)\", fontcolor=\"#FFFFFF\", label=\"\(label.joined(separator: "\\n"))\"];"
            )
            for input in op.input where !isHidden(input) {
                let node = current[input] ?? newBlobNode(input, isInput: true)
                edges.append("  blob\(node) -> op\(i);")
            }
            for output in op.output where !isHidden(output) {
                let inPlace = op.input.contains(output)
                let node = newBlobNode(output, isInput: false)
                edges.append(
                    inPlace
                        ? "  op\(i) -> blob\(node) [color=\"#DB4437\", penwidth=2, label=\"in-place\"];"
                        : "  op\(i) -> blob\(node);")
            }
        }
        // The last version of each external output is the net's output.
        let finalOutputs = Set(externalOutputs.compactMap { current[$0] })
        for b in blobNodes {
            var label = dotEscape(b.name)
            if b.version > 1 { label += dotEscape(" (v\(b.version))") }
            var attributes = ["label=\"\(label)\""]
            if finalOutputs.contains(b.id) {
                attributes += ["shape=doubleoctagon", "style=filled", "fillcolor=\"#FDD0A2\""]
                if b.isInput && externalInputs.contains(b.name) { attributes.append("color=\"#4285F4\"") }
            } else if options.parameters.contains(b.name) && b.version == 1 {
                attributes += ["shape=octagon", "style=filled", "fillcolor=\"#EEEEEE\"", "fontcolor=\"#666666\""]
            } else if b.isInput && (externalInputs.contains(b.name) || externalInputs.isEmpty) {
                attributes += ["shape=octagon", "style=filled", "fillcolor=\"#C6DBEF\""]
            } else {
                attributes += ["shape=octagon"]
            }
            lines.append("  blob\(b.id) [\(attributes.joined(separator: ", "))];")
        }
        // External inputs no operator reads still appear, so the interface is complete.
        for name in externalInput where current[name] == nil && !isHidden(name) {
            let id = newBlobNode(name, isInput: true)
            lines.append("  blob\(id) [label=\"\(dotEscape(name))\", shape=octagon, style=filled, fillcolor=\"#C6DBEF\"];")
        }
        for name in externalOutput where current[name] == nil {
            let id = newBlobNode(name, isInput: false)
            lines.append("  blob\(id) [label=\"\(dotEscape(name))\", shape=doubleoctagon, style=filled, fillcolor=\"#FDD0A2\"];")
        }
        lines += opLines
        lines += edges
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }
}

/// Escapes text for use inside a double-quoted DOT string.
func dotEscape(_ s: String) -> String {
    var out = ""
    for c in s.unicodeScalars {
        switch c {
        case "\\": out += "\\\\"
        case "\"": out += "\\\""
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        default:
            if c.value < 0x20 { out += " " } else { out.unicodeScalars.append(c) }
        }
    }
    return out
}

/// A double-quoted DOT string.
func dotString(_ s: String) -> String { "\"\(dotEscape(s))\"" }
