import CCaffe2Proto
import Synchronization

// Conversions between the Swift value types and protobuf-c structs.
// This file and CArena.swift are the only code that reads or writes the
// generated C structs; ProtoCodec.swift and TextFormat.swift reach protobuf-c
// through descriptors only.

/// A message type with a protobuf-c twin.
protocol CMessageBridge {
    associatedtype CMessage
    /// Runs the generated `__init` on uninitialised storage.
    static func cInit(_ p: UnsafeMutablePointer<CMessage>)
    init(c: UnsafePointer<CMessage>)
    func makeC(in arena: CArena) -> UnsafeMutablePointer<CMessage>
}

extension CMessageBridge {
    /// The protobuf-c descriptor of this message type (read from an
    /// initialised message, since the generated descriptor globals cannot be
    /// addressed reliably from Swift), cached per type.
    static var cDescriptor: UnsafePointer<ProtobufCMessageDescriptor> {
        let key = ObjectIdentifier(Self.self)
        if let d = descriptorCache.withLock({ $0[key] }) {
            return UnsafePointer(bitPattern: d)!
        }
        let m = UnsafeMutablePointer<CMessage>.allocate(capacity: 1)
        defer { m.deallocate() }
        cInit(m)
        let d = UnsafeRawPointer(m).assumingMemoryBound(to: ProtobufCMessage.self).pointee.descriptor!
        descriptorCache.withLock { $0[key] = UInt(bitPattern: d) }
        return d
    }
}

private let descriptorCache = Mutex<[ObjectIdentifier: UInt]>([:])

extension DeviceOption: CMessageBridge {
    static func cInit(_ p: UnsafeMutablePointer<Caffe2__DeviceOption>) { caffe2__device_option__init(p) }

    init(c: UnsafePointer<Caffe2__DeviceOption>) {
        let m = c.pointee
        self.init()
        $deviceType = present(m.has_device_type, DeviceType(rawValue: m.device_type))
        $deviceID = present(m.has_device_id, m.device_id)
        $randomSeed = present(m.has_random_seed, m.random_seed)
        $nodeName = swiftString(m.node_name)
        $numaNodeID = present(m.has_numa_node_id, m.numa_node_id)
        extraInfo = swiftStrings(m.n_extra_info, m.extra_info)
    }

    func makeC(in a: CArena) -> UnsafeMutablePointer<Caffe2__DeviceOption> {
        let p = a.message(Self.cInit)
        if let v = $deviceType {
            p.pointee.has_device_type = 1
            p.pointee.device_type = v.rawValue
        }
        if let v = $deviceID {
            p.pointee.has_device_id = 1
            p.pointee.device_id = v
        }
        if let v = $randomSeed {
            p.pointee.has_random_seed = 1
            p.pointee.random_seed = v
        }
        p.pointee.node_name = a.cString($nodeName)
        if let v = $numaNodeID {
            p.pointee.has_numa_node_id = 1
            p.pointee.numa_node_id = v
        }
        p.pointee.n_extra_info = extraInfo.count
        p.pointee.extra_info = a.cStrings(extraInfo)
        return p
    }
}

extension TensorProto.Segment: CMessageBridge {
    static func cInit(_ p: UnsafeMutablePointer<Caffe2__TensorProto__Segment>) {
        caffe2__tensor_proto__segment__init(p)
    }

    init(c: UnsafePointer<Caffe2__TensorProto__Segment>) {
        self.init(begin: c.pointee.begin, end: c.pointee.end)
    }

    func makeC(in a: CArena) -> UnsafeMutablePointer<Caffe2__TensorProto__Segment> {
        let p = a.message(Self.cInit)
        p.pointee.begin = begin
        p.pointee.end = end
        return p
    }
}

extension TensorProto: CMessageBridge {
    static func cInit(_ p: UnsafeMutablePointer<Caffe2__TensorProto>) { caffe2__tensor_proto__init(p) }

    init(c: UnsafePointer<Caffe2__TensorProto>) {
        let m = c.pointee
        self.init()
        dims = swiftArray(m.n_dims, m.dims)
        $dataType = present(m.has_data_type, DataType(rawValue: Int32(bitPattern: m.data_type.rawValue)))
        $dataFormat = present(m.has_data_format, m.data_format)
        floatData = swiftArray(m.n_float_data, m.float_data)
        int32Data = swiftArray(m.n_int32_data, m.int32_data)
        $byteData = present(m.has_byte_data, swiftBytes(m.byte_data))
        stringData = swiftBytesArray(m.n_string_data, m.string_data)
        doubleData = swiftArray(m.n_double_data, m.double_data)
        int64Data = swiftArray(m.n_int64_data, m.int64_data)
        $rawData = present(m.has_raw_data, swiftBytes(m.raw_data))
        $name = swiftString(m.name)
        deviceDetail = m.device_detail.map { DeviceOption(c: $0) }
        segment = m.segment.map { Segment(c: $0) }
    }

    func makeC(in a: CArena) -> UnsafeMutablePointer<Caffe2__TensorProto> {
        let p = a.message(Self.cInit)
        p.pointee.n_dims = dims.count
        p.pointee.dims = a.copy(dims)
        if let v = $dataType {
            p.pointee.has_data_type = 1
            p.pointee.data_type = Caffe2__TensorProto__DataType(rawValue: UInt32(bitPattern: v.rawValue))
        }
        if let v = $dataFormat {
            p.pointee.has_data_format = 1
            p.pointee.data_format = v
        }
        p.pointee.n_float_data = floatData.count
        p.pointee.float_data = a.copy(floatData)
        p.pointee.n_int32_data = int32Data.count
        p.pointee.int32_data = a.copy(int32Data)
        if let v = $byteData {
            p.pointee.has_byte_data = 1
            p.pointee.byte_data = a.binary(v)
        }
        p.pointee.n_string_data = stringData.count
        p.pointee.string_data = a.binaries(stringData)
        p.pointee.n_double_data = doubleData.count
        p.pointee.double_data = a.copy(doubleData)
        p.pointee.n_int64_data = int64Data.count
        p.pointee.int64_data = a.copy(int64Data)
        if let v = $rawData {
            p.pointee.has_raw_data = 1
            p.pointee.raw_data = a.binary(v)
        }
        p.pointee.name = a.cString($name)
        p.pointee.device_detail = deviceDetail?.makeC(in: a)
        p.pointee.segment = segment?.makeC(in: a)
        return p
    }
}

extension QTensorProto: CMessageBridge {
    static func cInit(_ p: UnsafeMutablePointer<Caffe2__QTensorProto>) { caffe2__qtensor_proto__init(p) }

    init(c: UnsafePointer<Caffe2__QTensorProto>) {
        let m = c.pointee
        self.init()
        dims = swiftArray(m.n_dims, m.dims)
        precision = m.precision
        scale = m.scale
        bias = m.bias
        isSigned = m.is_signed != 0
        data = swiftArray(m.n_data, m.data)
        $name = swiftString(m.name)
        $dataType = present(m.has_data_type, DataType(rawValue: Int32(bitPattern: m.data_type.rawValue)))
        scales = swiftArray(m.n_scales, m.scales)
        biases = swiftArray(m.n_biases, m.biases)
        $axis = present(m.has_axis, m.axis)
        $isMultiparam = present(m.has_is_multiparam, m.is_multiparam != 0)
    }

    func makeC(in a: CArena) -> UnsafeMutablePointer<Caffe2__QTensorProto> {
        let p = a.message(Self.cInit)
        p.pointee.n_dims = dims.count
        p.pointee.dims = a.copy(dims)
        p.pointee.precision = precision
        p.pointee.scale = scale
        p.pointee.bias = bias
        p.pointee.is_signed = cBool(isSigned)
        p.pointee.n_data = data.count
        p.pointee.data = a.copy(data)
        p.pointee.name = a.cString($name)
        if let v = $dataType {
            p.pointee.has_data_type = 1
            p.pointee.data_type = Caffe2__TensorProto__DataType(rawValue: UInt32(bitPattern: v.rawValue))
        }
        p.pointee.n_scales = scales.count
        p.pointee.scales = a.copy(scales)
        p.pointee.n_biases = biases.count
        p.pointee.biases = a.copy(biases)
        if let v = $axis {
            p.pointee.has_axis = 1
            p.pointee.axis = v
        }
        if let v = $isMultiparam {
            p.pointee.has_is_multiparam = 1
            p.pointee.is_multiparam = cBool(v)
        }
        return p
    }
}

extension TensorProtos: CMessageBridge {
    static func cInit(_ p: UnsafeMutablePointer<Caffe2__TensorProtos>) { caffe2__tensor_protos__init(p) }

    init(c: UnsafePointer<Caffe2__TensorProtos>) {
        self.init(protos: swiftMessages(c.pointee.n_protos, c.pointee.protos, TensorProto.init(c:)))
    }

    func makeC(in a: CArena) -> UnsafeMutablePointer<Caffe2__TensorProtos> {
        let p = a.message(Self.cInit)
        p.pointee.n_protos = protos.count
        p.pointee.protos = a.pointers(protos.map { $0.makeC(in: a) })
        return p
    }
}

extension TensorShape: CMessageBridge {
    static func cInit(_ p: UnsafeMutablePointer<Caffe2__TensorShape>) { caffe2__tensor_shape__init(p) }

    init(c: UnsafePointer<Caffe2__TensorShape>) {
        let m = c.pointee
        self.init()
        dims = swiftArray(m.n_dims, m.dims)
        $dataType = present(m.has_data_type, DataType(rawValue: Int32(bitPattern: m.data_type.rawValue)))
        unknownDims = swiftArray(m.n_unknown_dims, m.unknown_dims)
        $unknownShape = present(m.has_unknown_shape, m.unknown_shape != 0)
        $name = swiftString(m.name)
    }

    func makeC(in a: CArena) -> UnsafeMutablePointer<Caffe2__TensorShape> {
        let p = a.message(Self.cInit)
        p.pointee.n_dims = dims.count
        p.pointee.dims = a.copy(dims)
        if let v = $dataType {
            p.pointee.has_data_type = 1
            p.pointee.data_type = Caffe2__TensorProto__DataType(rawValue: UInt32(bitPattern: v.rawValue))
        }
        p.pointee.n_unknown_dims = unknownDims.count
        p.pointee.unknown_dims = a.copy(unknownDims)
        if let v = $unknownShape {
            p.pointee.has_unknown_shape = 1
            p.pointee.unknown_shape = cBool(v)
        }
        p.pointee.name = a.cString($name)
        return p
    }
}

extension TensorShapes: CMessageBridge {
    static func cInit(_ p: UnsafeMutablePointer<Caffe2__TensorShapes>) { caffe2__tensor_shapes__init(p) }

    init(c: UnsafePointer<Caffe2__TensorShapes>) {
        self.init(shapes: swiftMessages(c.pointee.n_shapes, c.pointee.shapes, TensorShape.init(c:)))
    }

    func makeC(in a: CArena) -> UnsafeMutablePointer<Caffe2__TensorShapes> {
        let p = a.message(Self.cInit)
        p.pointee.n_shapes = shapes.count
        p.pointee.shapes = a.pointers(shapes.map { $0.makeC(in: a) })
        return p
    }
}

extension Argument: CMessageBridge {
    static func cInit(_ p: UnsafeMutablePointer<Caffe2__Argument>) { caffe2__argument__init(p) }

    init(c: UnsafePointer<Caffe2__Argument>) {
        let m = c.pointee
        self.init()
        $name = swiftString(m.name)
        f = present(m.has_f, m.f)
        i = present(m.has_i, m.i)
        s = m.has_s != 0 ? swiftBytes(m.s) : nil
        floats = swiftArray(m.n_floats, m.floats)
        ints = swiftArray(m.n_ints, m.ints)
        strings = swiftBytesArray(m.n_strings, m.strings)
        if m.t != nil || m.n != nil || m.n_tensors > 0 || m.n_nets > 0 || m.n_qtensors > 0 {
            t = m.t.map { TensorProto(c: $0) }
            n = m.n.map { NetDef(c: $0) }
            tensors = swiftMessages(m.n_tensors, m.tensors, TensorProto.init(c:))
            nets = swiftMessages(m.n_nets, m.nets, NetDef.init(c:))
            qtensors = swiftMessages(m.n_qtensors, m.qtensors, QTensorProto.init(c:))
        }
    }

    func makeC(in a: CArena) -> UnsafeMutablePointer<Caffe2__Argument> {
        let p = a.message(Self.cInit)
        p.pointee.name = a.cString($name)
        if let v = f {
            p.pointee.has_f = 1
            p.pointee.f = v
        }
        if let v = i {
            p.pointee.has_i = 1
            p.pointee.i = v
        }
        if let v = s {
            p.pointee.has_s = 1
            p.pointee.s = a.binary(v)
        }
        p.pointee.t = t?.makeC(in: a)
        p.pointee.n = n?.makeC(in: a)
        p.pointee.n_floats = floats.count
        p.pointee.floats = a.copy(floats)
        p.pointee.n_ints = ints.count
        p.pointee.ints = a.copy(ints)
        p.pointee.n_strings = strings.count
        p.pointee.strings = a.binaries(strings)
        p.pointee.n_tensors = tensors.count
        p.pointee.tensors = a.pointers(tensors.map { $0.makeC(in: a) })
        p.pointee.n_nets = nets.count
        p.pointee.nets = a.pointers(nets.map { $0.makeC(in: a) })
        p.pointee.n_qtensors = qtensors.count
        p.pointee.qtensors = a.pointers(qtensors.map { $0.makeC(in: a) })
        return p
    }
}

extension OperatorDef: CMessageBridge {
    static func cInit(_ p: UnsafeMutablePointer<Caffe2__OperatorDef>) { caffe2__operator_def__init(p) }

    init(c: UnsafePointer<Caffe2__OperatorDef>) {
        let m = c.pointee
        self.init()
        input = swiftStrings(m.n_input, m.input)
        output = swiftStrings(m.n_output, m.output)
        $name = swiftString(m.name)
        $type = swiftString(m.type)
        arg = swiftMessages(m.n_arg, m.arg, Argument.init(c:))
        deviceOption = m.device_option.map { DeviceOption(c: $0) }
        engine = swiftString(m.engine)
        controlInput = swiftStrings(m.n_control_input, m.control_input)
        $isGradientOp = present(m.has_is_gradient_op, m.is_gradient_op != 0)
        $debugInfo = swiftString(m.debug_info)
        $domain = swiftString(m.domain)
        $opVersion = present(m.has_op_version, m.op_version)
    }

    func makeC(in a: CArena) -> UnsafeMutablePointer<Caffe2__OperatorDef> {
        let p = a.message(Self.cInit)
        p.pointee.n_input = input.count
        p.pointee.input = a.cStrings(input)
        p.pointee.n_output = output.count
        p.pointee.output = a.cStrings(output)
        p.pointee.name = a.cString($name)
        p.pointee.type = a.cString($type)
        p.pointee.n_arg = arg.count
        p.pointee.arg = a.pointers(arg.map { $0.makeC(in: a) })
        p.pointee.device_option = deviceOption?.makeC(in: a)
        p.pointee.engine = a.cString(engine)
        p.pointee.n_control_input = controlInput.count
        p.pointee.control_input = a.cStrings(controlInput)
        if let v = $isGradientOp {
            p.pointee.has_is_gradient_op = 1
            p.pointee.is_gradient_op = cBool(v)
        }
        p.pointee.debug_info = a.cString($debugInfo)
        p.pointee.domain = a.cString($domain)
        if let v = $opVersion {
            p.pointee.has_op_version = 1
            p.pointee.op_version = v
        }
        return p
    }
}

extension MapFieldEntry: CMessageBridge {
    static func cInit(_ p: UnsafeMutablePointer<Caffe2__MapFieldEntry>) { caffe2__map_field_entry__init(p) }

    init(c: UnsafePointer<Caffe2__MapFieldEntry>) {
        self.init(key: swiftString(c.pointee.key) ?? "", val: swiftString(c.pointee.val) ?? "")
    }

    func makeC(in a: CArena) -> UnsafeMutablePointer<Caffe2__MapFieldEntry> {
        let p = a.message(Self.cInit)
        p.pointee.key = a.cString(key)
        p.pointee.val = a.cString(val)
        return p
    }
}

extension BackendOptions: CMessageBridge {
    static func cInit(_ p: UnsafeMutablePointer<Caffe2__BackendOptions>) { caffe2__backend_options__init(p) }

    init(c: UnsafePointer<Caffe2__BackendOptions>) {
        self.init(
            backendName: swiftString(c.pointee.backend_name) ?? "",
            option: swiftMessages(c.pointee.n_option, c.pointee.option, MapFieldEntry.init(c:)))
    }

    func makeC(in a: CArena) -> UnsafeMutablePointer<Caffe2__BackendOptions> {
        let p = a.message(Self.cInit)
        p.pointee.backend_name = a.cString(backendName)
        p.pointee.n_option = option.count
        p.pointee.option = a.pointers(option.map { $0.makeC(in: a) })
        return p
    }
}

extension PartitionInfo: CMessageBridge {
    static func cInit(_ p: UnsafeMutablePointer<Caffe2__PartitionInfo>) { caffe2__partition_info__init(p) }

    init(c: UnsafePointer<Caffe2__PartitionInfo>) {
        let m = c.pointee
        self.init(name: swiftString(m.name) ?? "")
        deviceID = swiftArray(m.n_device_id, m.device_id)
        $extraInfo = swiftString(m.extra_info)
        backendOptions = swiftMessages(m.n_backend_options, m.backend_options, BackendOptions.init(c:))
    }

    func makeC(in a: CArena) -> UnsafeMutablePointer<Caffe2__PartitionInfo> {
        let p = a.message(Self.cInit)
        p.pointee.name = a.cString(name)
        p.pointee.n_device_id = deviceID.count
        p.pointee.device_id = a.copy(deviceID)
        p.pointee.extra_info = a.cString($extraInfo)
        p.pointee.n_backend_options = backendOptions.count
        p.pointee.backend_options = a.pointers(backendOptions.map { $0.makeC(in: a) })
        return p
    }
}

extension NetDef: CMessageBridge {
    static func cInit(_ p: UnsafeMutablePointer<Caffe2__NetDef>) { caffe2__net_def__init(p) }

    init(c: UnsafePointer<Caffe2__NetDef>) {
        let m = c.pointee
        self.init()
        $name = swiftString(m.name)
        op = Self.operators(m.n_op, m.op)
        type = swiftString(m.type)
        numWorkers = present(m.has_num_workers, m.num_workers)
        deviceOption = m.device_option.map { DeviceOption(c: $0) }
        arg = swiftMessages(m.n_arg, m.arg, Argument.init(c:))
        externalInput = swiftStrings(m.n_external_input, m.external_input)
        externalOutput = swiftStrings(m.n_external_output, m.external_output)
        partitionInfo = swiftMessages(m.n_partition_info, m.partition_info, PartitionInfo.init(c:))
    }

    func makeC(in a: CArena) -> UnsafeMutablePointer<Caffe2__NetDef> {
        let p = a.message(Self.cInit)
        p.pointee.name = a.cString($name)
        p.pointee.n_op = op.count
        p.pointee.op = a.pointers(op.map { $0.makeC(in: a) })
        p.pointee.type = a.cString(type)
        if let v = numWorkers {
            p.pointee.has_num_workers = 1
            p.pointee.num_workers = v
        }
        p.pointee.device_option = deviceOption?.makeC(in: a)
        p.pointee.n_arg = arg.count
        p.pointee.arg = a.pointers(arg.map { $0.makeC(in: a) })
        p.pointee.n_external_input = externalInput.count
        p.pointee.external_input = a.cStrings(externalInput)
        p.pointee.n_external_output = externalOutput.count
        p.pointee.external_output = a.cStrings(externalOutput)
        p.pointee.n_partition_info = partitionInfo.count
        p.pointee.partition_info = a.pointers(partitionInfo.map { $0.makeC(in: a) })
        return p
    }
}

extension NetDef {
    /// Ops converted in parallel for big nets (the C tree is read-only here, and
    /// each op becomes an independent Swift value).
    static func operators(_ n: Int, _ p: UnsafeMutablePointer<UnsafeMutablePointer<Caffe2__OperatorDef>?>?) -> [OperatorDef] {
        guard n >= 2048, Parallel.threadCount > 1, let p, (0..<n).allSatisfy({ p[$0] != nil }) else {
            return swiftMessages(n, p, OperatorDef.init(c:))
        }
        return [OperatorDef](unsafeUninitializedCapacity: n) { buffer, count in
            let out = UncheckedSendable(value: buffer.baseAddress!)
            let src = UncheckedSendable(value: p)
            let parts = Parallel.threadCount
            Parallel.forEach(parts) { part in
                for i in (n * part / parts)..<(n * (part + 1) / parts) {
                    (out.value + i).initialize(to: OperatorDef(c: src.value[i]!))
                }
            }
            count = n
        }
    }
}

extension ExecutionStep: CMessageBridge {
    static func cInit(_ p: UnsafeMutablePointer<Caffe2__ExecutionStep>) { caffe2__execution_step__init(p) }

    init(c: UnsafePointer<Caffe2__ExecutionStep>) {
        let m = c.pointee
        self.init()
        $name = swiftString(m.name)
        substep = swiftMessages(m.n_substep, m.substep, ExecutionStep.init(c:))
        network = swiftStrings(m.n_network, m.network)
        $numIter = present(m.has_num_iter, m.num_iter)
        $criteriaNetwork = swiftString(m.criteria_network)
        $reportNet = swiftString(m.report_net)
        $reportInterval = present(m.has_report_interval, m.report_interval)
        $runEveryMs = present(m.has_run_every_ms, m.run_every_ms)
        $concurrentSubsteps = present(m.has_concurrent_substeps, m.concurrent_substeps != 0)
        $shouldStopBlob = swiftString(m.should_stop_blob)
        $onlyOnce = present(m.has_only_once, m.only_once != 0)
        $createWorkspace = present(m.has_create_workspace, m.create_workspace != 0)
        $numConcurrentInstances = present(m.has_num_concurrent_instances, m.num_concurrent_instances)
    }

    func makeC(in a: CArena) -> UnsafeMutablePointer<Caffe2__ExecutionStep> {
        let p = a.message(Self.cInit)
        p.pointee.name = a.cString($name)
        p.pointee.n_substep = substep.count
        p.pointee.substep = a.pointers(substep.map { $0.makeC(in: a) })
        p.pointee.n_network = network.count
        p.pointee.network = a.cStrings(network)
        if let v = $numIter {
            p.pointee.has_num_iter = 1
            p.pointee.num_iter = v
        }
        p.pointee.criteria_network = a.cString($criteriaNetwork)
        p.pointee.report_net = a.cString($reportNet)
        if let v = $reportInterval {
            p.pointee.has_report_interval = 1
            p.pointee.report_interval = v
        }
        if let v = $runEveryMs {
            p.pointee.has_run_every_ms = 1
            p.pointee.run_every_ms = v
        }
        if let v = $concurrentSubsteps {
            p.pointee.has_concurrent_substeps = 1
            p.pointee.concurrent_substeps = cBool(v)
        }
        p.pointee.should_stop_blob = a.cString($shouldStopBlob)
        if let v = $onlyOnce {
            p.pointee.has_only_once = 1
            p.pointee.only_once = cBool(v)
        }
        if let v = $createWorkspace {
            p.pointee.has_create_workspace = 1
            p.pointee.create_workspace = cBool(v)
        }
        if let v = $numConcurrentInstances {
            p.pointee.has_num_concurrent_instances = 1
            p.pointee.num_concurrent_instances = v
        }
        return p
    }
}

extension PlanDef: CMessageBridge {
    static func cInit(_ p: UnsafeMutablePointer<Caffe2__PlanDef>) { caffe2__plan_def__init(p) }

    init(c: UnsafePointer<Caffe2__PlanDef>) {
        let m = c.pointee
        self.init()
        $name = swiftString(m.name)
        network = swiftMessages(m.n_network, m.network, NetDef.init(c:))
        executionStep = swiftMessages(m.n_execution_step, m.execution_step, ExecutionStep.init(c:))
    }

    func makeC(in a: CArena) -> UnsafeMutablePointer<Caffe2__PlanDef> {
        let p = a.message(Self.cInit)
        p.pointee.name = a.cString($name)
        p.pointee.n_network = network.count
        p.pointee.network = a.pointers(network.map { $0.makeC(in: a) })
        p.pointee.n_execution_step = executionStep.count
        p.pointee.execution_step = a.pointers(executionStep.map { $0.makeC(in: a) })
        return p
    }
}

extension BlobProto: CMessageBridge {
    static func cInit(_ p: UnsafeMutablePointer<Caffe2__BlobProto>) { caffe2__blob_proto__init(p) }

    init(c: UnsafePointer<Caffe2__BlobProto>) {
        let m = c.pointee
        self.init()
        $name = swiftString(m.name)
        $type = swiftString(m.type)
        tensor = m.tensor.map { TensorProto(c: $0) }
        $content = present(m.has_content, swiftBytes(m.content))
        qtensor = m.qtensor.map { QTensorProto(c: $0) }
        $contentNumChunks = present(m.has_content_num_chunks, m.content_num_chunks)
        $contentChunkID = present(m.has_content_chunk_id, m.content_chunk_id)
    }

    func makeC(in a: CArena) -> UnsafeMutablePointer<Caffe2__BlobProto> {
        let p = a.message(Self.cInit)
        p.pointee.name = a.cString($name)
        p.pointee.type = a.cString($type)
        p.pointee.tensor = tensor?.makeC(in: a)
        if let v = $content {
            p.pointee.has_content = 1
            p.pointee.content = a.binary(v)
        }
        p.pointee.qtensor = qtensor?.makeC(in: a)
        if let v = $contentNumChunks {
            p.pointee.has_content_num_chunks = 1
            p.pointee.content_num_chunks = v
        }
        if let v = $contentChunkID {
            p.pointee.has_content_chunk_id = 1
            p.pointee.content_chunk_id = v
        }
        return p
    }
}
