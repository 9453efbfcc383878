extension OperatorRegistry {
    /// The operator reference in Markdown, generated from the schemas: what
    /// `docs/operators.md` holds and `caffe2 ops --markdown` prints.
    ///
    /// For every operator: its documentation, inputs, outputs, arguments,
    /// input/output counts, in-place rules, shape inference, element types,
    /// devices, and its gradient — the gradient operators its maker emits for
    /// a default instance of the operator (names from the schema's input and
    /// output docs), or the marker it carries.
    public func operatorReferenceMarkdown() -> String {
        var out = """
            # Operator reference

            Generated from the operator schemas by `swift run caffe2 ops --markdown > docs/operators.md`; \
            a test fails when this file is stale. \(operatorTypes.count) operators.

            Gradient operators are listed with the operators they belong to. "Gradient" shows what the \
            operator's gradient maker emits for a default instance (inputs and outputs named as in the \
            schema, `<name>_grad` for gradients, no arguments); makers that need arguments say so.


            """
        let forward = operatorTypes.filter { !($0.hasSuffix("Gradient") || $0.hasSuffix("Grad")) || gradientMaker($0) != nil }
        out += "| operator | inputs | outputs | in-place | gradient |\n|---|---|---|---|---|\n"
        for type in forward {
            guard let info = OperatorInfo(type: type, registry: self) else { continue }
            out += "| [\(type)](#\(type.lowercased())) | \(info.inputs) | \(info.outputs) | "
            out += "\(info.inPlace.isEmpty ? (info.enforcedInPlace.isEmpty ? "" : "enforced \(info.enforcedInPlace)") : info.inPlace) | \(info.gradient) |\n"
        }
        out += "\n"
        for type in operatorTypes {
            guard let info = OperatorInfo(type: type, registry: self), let schema = schema(type) else { continue }
            out += "## \(type)\n\n"
            if !info.documentation.isEmpty { out += info.documentation.trimmingCharacters(in: .whitespacesAndNewlines) + "\n\n" }
            if !schema.inputDocs.isEmpty {
                out += "**Inputs**\n\n"
                for d in schema.inputDocs.sorted(by: { $0.index < $1.index }) { out += "- \(d.index) `\(d.name)`: \(d.description)\n" }
                out += "\n"
            }
            if !schema.outputDocs.isEmpty {
                out += "**Outputs**\n\n"
                for d in schema.outputDocs.sorted(by: { $0.index < $1.index }) { out += "- \(d.index) `\(d.name)`: \(d.description)\n" }
                out += "\n"
            }
            if !schema.arguments.isEmpty {
                out += "**Arguments**\n\n"
                for a in schema.arguments { out += "- `\(a.name)`\(a.required ? " (required)" : ""): \(a.description)\n" }
                out += "\n"
            }
            out += "| | |\n|---|---|\n"
            out += "| inputs | \(info.inputs) |\n| outputs | \(info.outputs) |\n"
            if !info.inPlace.isEmpty { out += "| in-place allowed | \(info.inPlace) |\n" }
            if !info.enforcedInPlace.isEmpty { out += "| in-place required | \(info.enforcedInPlace) |\n" }
            out += "| shape inference | \(info.shapeInference.isEmpty ? "none (outputs unknown)" : info.shapeInference) |\n"
            if !info.types.isEmpty { out += "| types | \(info.types.joined(separator: ", ")) |\n" }
            out += "| devices | \(info.devices.joined(separator: ", "))\(info.engines.isEmpty ? "" : " (engines: \(info.engines.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value.joined(separator: ", "))" }.joined(separator: "; ")))") |\n"
            out += "| gradient | \(gradientSummary(type, schema: schema, info: info)) |\n\n"
        }
        return out
    }

    /// What the gradient maker of `type` does, for the reference.
    private func gradientSummary(_ type: String, schema: OperatorSchema, info: OperatorInfo) -> String {
        switch info.gradient {
        case "no-gradient": return "none (`NO_GRADIENT`)"
        case "should-not": return "refused (`SHOULD_NOT_DO_GRADIENT`)"
        case "not-implemented": return "not implemented (`GRADIENT_NOT_IMPLEMENTED_YET`)"
        case "none": return info.isGradientOperator ? "— (a gradient operator)" : "no gradient maker registered"
        default: break
        }
        func names(_ docs: [OperatorSchema.SlotDoc], _ count: Int, _ prefix: String) -> [String] {
            (0..<count).map { i in docs.first { $0.index == i }?.name ?? "\(prefix)\(i)" }
        }
        let ni = schema.maxInputs == Int.max ? max(schema.minInputs, 1) : schema.maxInputs
        let no = schema.maxOutputs == Int.max ? max(schema.minOutputs, 1) : max(schema.minOutputs, 1)
        for inputs in Set([ni, schema.minInputs]).sorted(by: >) {
            let def = OperatorDef(
                type: type, input: names(schema.inputDocs, inputs, "X"), output: names(schema.outputDocs, no, "Y"))
            guard let meta = try? gradient(for: def, gOutput: def.output.map { .dense($0 + "_grad") }) else { continue }
            if meta.ops.isEmpty {
                let pass = zip(def.input, meta.gInput).compactMap { name, g in g.map { "`\(name)` ← `\($0)`" } }
                return "pass-through: " + (pass.isEmpty ? "no input gets a gradient" : pass.joined(separator: ", "))
            }
            return meta.ops.map { op in
                "`\(op.type)(\(op.input.joined(separator: ", "))) → \(op.output.joined(separator: ", "))`"
            }.joined(separator: "; ")
        }
        return "a gradient maker (its ops depend on the arguments)"
    }
}

import Foundation
