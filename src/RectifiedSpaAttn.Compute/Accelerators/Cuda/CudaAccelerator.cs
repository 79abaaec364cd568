using static RectifiedSpaAttn.Compute.Cuda.CudaApi;

namespace RectifiedSpaAttn.Compute.Cuda;

/// <summary>
/// An NVIDIA GPU through the CUDA driver API: the device's primary context, memory from <c>cuMemAlloc</c>, kernels
/// JIT-compiled from each variant's PTX on first use (cached per accelerator) and launched with <c>cuLaunchKernel</c>.
/// Any thread may use it: every call makes the context current first.
/// </summary>
public sealed unsafe class CudaAccelerator : Accelerator
{
    private readonly int _device;
    private readonly nint _context;
    private readonly Dim3 _maxGroup;
    private readonly Dim3 _maxGrid;
    private readonly CudaModuleCache _modules = new();
    private readonly CudaStream _defaultStream;

    internal CudaAccelerator(AcceleratorInfo info) : base(info)
    {
        int device;
        CudaErrors.Check(cuDeviceGet(&device, info.Index), "cuDeviceGet");
        nint context;
        CudaErrors.Check(cuDevicePrimaryCtxRetain(&context, device), "cuDevicePrimaryCtxRetain");
        _device = device;
        _context = context;
        try
        {
            MakeCurrent();
            _maxGroup = new Dim3(CudaDriver.Attribute(device, AttrMaxBlockDimX), CudaDriver.Attribute(device, AttrMaxBlockDimY), CudaDriver.Attribute(device, AttrMaxBlockDimZ));
            _maxGrid = new Dim3(CudaDriver.Attribute(device, AttrMaxGridDimX), CudaDriver.Attribute(device, AttrMaxGridDimY), CudaDriver.Attribute(device, AttrMaxGridDimZ));
        }
        catch
        {
            cuDevicePrimaryCtxRelease(device);
            throw;
        }
        _defaultStream = new CudaStream(this, 0, isDefault: true);
    }

    /// <inheritdoc/>
    public override AcceleratorStream DefaultStream => _defaultStream;

    /// <summary>Makes this accelerator's context current on the calling thread.</summary>
    internal void MakeCurrent() => CudaErrors.Check(cuCtxSetCurrent(_context), "cuCtxSetCurrent");

    /// <summary>The driver's device ordinal (what NCCL and the CUDA runtime call the device number).</summary>
    internal int DeviceOrdinal => _device;

    private protected override nint AllocateCore(long bytes)
    {
        MakeCurrent();
        ulong pointer;
        CudaErrors.Check(cuMemAlloc(&pointer, (nuint)bytes), "cuMemAlloc_v2", $"{bytes} bytes on {Name}");
        return (nint)pointer;
    }

    private protected override void FreeCore(nint handle)
    {
        MakeCurrent();
        CudaErrors.Check(cuMemFree((ulong)handle), "cuMemFree_v2");
    }

    private protected override void CopyToDeviceCore(nint handle, long byteOffset, void* source, long bytes)
    {
        MakeCurrent();
        CudaErrors.Check(cuMemcpyHtoD((ulong)handle + (ulong)byteOffset, source, (nuint)bytes), "cuMemcpyHtoD_v2");
    }

    private protected override void CopyFromDeviceCore(nint handle, long byteOffset, void* destination, long bytes)
    {
        MakeCurrent();
        CudaErrors.Check(cuMemcpyDtoH(destination, (ulong)handle + (ulong)byteOffset, (nuint)bytes), "cuMemcpyDtoH_v2");
    }

    private protected override void CopyToDeviceAsyncCore(AcceleratorStream stream, nint handle, long byteOffset, void* stagedSource, long bytes)
    {
        MakeCurrent();
        CudaErrors.Check(cuMemcpyHtoDAsync((ulong)handle + (ulong)byteOffset, stagedSource, (nuint)bytes, ((CudaStream)stream).Handle), "cuMemcpyHtoDAsync_v2");
    }

    private protected override void CopyFromDeviceOnCore(AcceleratorStream stream, nint handle, long byteOffset, void* destination, long bytes)
    {
        MakeCurrent();
        nint s = ((CudaStream)stream).Handle;
        // Into pageable memory the driver copies synchronously anyway; the stream synchronisation covers the pinned case.
        CudaErrors.Check(cuMemcpyDtoHAsync(destination, (ulong)handle + (ulong)byteOffset, (nuint)bytes, s), "cuMemcpyDtoHAsync_v2");
        CudaErrors.Check(cuStreamSynchronize(s), "cuStreamSynchronize");
    }

    private protected override nint AllocateStagingCore(long bytes)
    {
        MakeCurrent();
        void* pointer;
        // Page-locked: a copy from pageable memory may make the driver wait for the stream before it returns.
        CudaErrors.Check(cuMemAllocHost(&pointer, (nuint)bytes), "cuMemAllocHost_v2", $"{bytes} bytes of page-locked host memory");
        return (nint)pointer;
    }

    private protected override void FreeStagingCore(nint pointer)
    {
        MakeCurrent();
        CudaErrors.Check(cuMemFreeHost((void*)pointer), "cuMemFreeHost");
    }

    private protected override void FillCore(nint handle, long byteOffset, long bytes, void* pattern, int patternSize)
    {
        MakeCurrent();
        ulong start = (ulong)handle + (ulong)byteOffset;
        var p = new ReadOnlySpan<byte>(pattern, patternSize);
        // The memset functions take 1-, 2- and 4-byte values; a longer pattern made of one repeated value fits them too.
        if (p.IndexOfAnyExcept(p[0]) < 0)
            CudaErrors.Check(cuMemsetD8(start, p[0], (nuint)bytes), "cuMemsetD8_v2");
        else if (patternSize % 2 == 0 && Repeats(p, 2) && byteOffset % 2 == 0)
            CudaErrors.Check(cuMemsetD16(start, *(ushort*)pattern, (nuint)(bytes / 2)), "cuMemsetD16_v2");
        else if (patternSize % 4 == 0 && Repeats(p, 4) && byteOffset % 4 == 0)
            CudaErrors.Check(cuMemsetD32(start, *(uint*)pattern, (nuint)(bytes / 4)), "cuMemsetD32_v2");
        else
            FillByCopying(handle, byteOffset, bytes, pattern, patternSize);
    }

    private protected override void SynchronizeCore()
    {
        MakeCurrent();
        CudaErrors.Check(cuCtxSynchronize(), "cuCtxSynchronize");
    }

    private protected override AcceleratorStream CreateStreamCore()
    {
        MakeCurrent();
        nint stream;
        CudaErrors.Check(cuStreamCreate(&stream, 0), "cuStreamCreate");
        return new CudaStream(this, stream, isDefault: false);
    }

    /// <summary>
    /// The best PTX target this device loads: <c>sm_90a</c> on compute capability 9.0 (H100, H200), where both the
    /// Hopper kernels' sm_90a modules and the portable sm_80 modules load; <c>sm_80</c> on every other device.
    /// </summary>
    public string PtxTarget => BestPtxTarget(Info.ComputeCapability) ?? "none";

    /// <summary>
    /// The best PTX target a CUDA device of <paramref name="computeCapability"/> loads: <c>sm_90a</c> on 9.0 (which
    /// loads sm_80 modules too), <c>sm_80</c> on 8.0 and later, null below 8.0 (no module of this library loads there).
    /// </summary>
    public static string? BestPtxTarget(Version? computeCapability) => computeCapability switch
    {
        { Major: 9, Minor: 0 } => "sm_90a",
        { Major: >= 8 } => "sm_80",
        _ => null,
    };

    /// <summary>Null when <paramref name="variant"/>'s PTX module loads on this device; otherwise why not.</summary>
    public string? UnsupportedReason(KernelVariant variant)
    {
        ArgumentNullException.ThrowIfNull(variant);
        if (string.IsNullOrEmpty(variant.Ptx)) return $"{variant.DisplayName} has no PTX, so it cannot run on CUDA.";
        if (!variant.PtxRunsOn(Info.ComputeCapability ?? new Version(0, 0)))
            return $"{variant.DisplayName} {variant.ArchitectureRequirement ?? "needs " + variant.PtxTarget}; {Name} has compute capability {ComputeCapability}.";
        return null;
    }

    /// <summary>Encodes a tensor map for this device (see <see cref="TensorMap"/>).</summary>
    internal void EncodeTensorMap(nint destination, ScalarType type, nint start, long[] dims, long[] strideBytes, int[] box, TensorMapSwizzle swizzle)
    {
        MakeCurrent();
        CudaTensorMaps.Encode(destination, type, start, dims, strideBytes, box, swizzle);
    }

    private protected override void ValidateLaunch(KernelVariant variant, LaunchDimensions dims)
    {
        if (UnsupportedReason(variant) is { } reason) throw new NotSupportedException(reason);
        Dim3 g = dims.Group, n = dims.Grid;
        if (g.X > _maxGroup.X || g.Y > _maxGroup.Y || g.Z > _maxGroup.Z)
            throw new ArgumentException($"The group {g} exceeds {Name}'s limits per axis {_maxGroup}.", nameof(dims));
        if (n.X > _maxGrid.X || n.Y > _maxGrid.Y || n.Z > _maxGrid.Z)
            throw new ArgumentException($"The grid {n} exceeds {Name}'s limits per axis {_maxGrid}.", nameof(dims));
    }

    private protected override int MaxGroupSizeForCore(KernelVariant variant)
    {
        if (UnsupportedReason(variant) is { } reason) throw new NotSupportedException(reason);
        MakeCurrent();
        return _modules.Get(variant).MaxThreadsPerGroup;
    }

    private protected override void LaunchCore(AcceleratorStream stream, KernelVariant variant, LaunchDimensions dims, ReadOnlySpan<KernelArgument> arguments)
    {
        MakeCurrent();
        CudaKernel kernel = _modules.Get(variant);
        if (dims.Group.Size > kernel.MaxThreadsPerGroup)
            throw new ArgumentException(
                $"{variant.DisplayName} can run at most {kernel.MaxThreadsPerGroup} threads per group on {Name} (its register use limits it), but the group {dims.Group} has {dims.Group.Size}.",
                nameof(dims));
        ConfigureDynamicShared(kernel, variant, dims.DynamicSharedMemoryBytes);

        int slots = CudaArguments.SlotCount(arguments);
        ulong* values = stackalloc ulong[slots];
        void** pointers = stackalloc void*[slots];
        CudaArguments.Marshal(arguments, values, pointers);
        CudaErrors.Check(
            cuLaunchKernel(
                kernel.Function,
                (uint)dims.Grid.X, (uint)dims.Grid.Y, (uint)dims.Grid.Z,
                (uint)dims.Group.X, (uint)dims.Group.Y, (uint)dims.Group.Z,
                (uint)dims.DynamicSharedMemoryBytes, ((CudaStream)stream).Handle, pointers, null),
            "cuLaunchKernel",
            $"{variant.DisplayName}, grid {dims.Grid}, group {dims.Group}, {dims.DynamicSharedMemoryBytes} bytes of dynamic shared memory");
    }

    /// <summary>Opts the function in to more than 48 KiB of dynamic shared memory when a launch asks for it.</summary>
    private void ConfigureDynamicShared(CudaKernel kernel, KernelVariant variant, int dynamicBytes)
    {
        if (dynamicBytes <= kernel.DynamicSharedLimit) return;
        if ((long)kernel.StaticSharedBytes + dynamicBytes > MaxSharedMemoryPerGroup)
            throw new ArgumentException(
                $"{variant.DisplayName} declares {kernel.StaticSharedBytes} bytes of static shared memory; with {dynamicBytes} dynamic bytes it exceeds the {MaxSharedMemoryPerGroup} bytes per group of {Name}.",
                "dims");
        lock (kernel)
        {
            if (dynamicBytes <= kernel.DynamicSharedLimit) return;
            CudaErrors.Check(cuFuncSetAttribute(kernel.Function, FuncAttrMaxDynamicSharedSizeBytes, dynamicBytes),
                "cuFuncSetAttribute", $"MAX_DYNAMIC_SHARED_SIZE_BYTES = {dynamicBytes} for {variant.DisplayName}");
            kernel.DynamicSharedLimit = dynamicBytes;
        }
    }

    private protected override void DisposeCore()
    {
        // Best effort: a context with a sticky error (e.g. after an illegal address) still has to be released.
        if (cuCtxSetCurrent(_context) == 0)
        {
            cuCtxSynchronize();
            _modules.Clear();
            _defaultStream.Release();
        }
        cuDevicePrimaryCtxRelease(_device);
    }

    private static bool Repeats(ReadOnlySpan<byte> pattern, int width)
    {
        for (int i = width; i < pattern.Length; i += width)
            if (!pattern.Slice(i, width).SequenceEqual(pattern[..width])) return false;
        return true;
    }
}
