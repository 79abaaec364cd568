using static RectifiedSpaAttn.Compute.OpenCL.OpenCLApi;

namespace RectifiedSpaAttn.Compute.OpenCL;

/// <summary>
/// An OpenCL device: its own context and in-order command queue, buffers from <c>clCreateBuffer</c>, programs built from
/// each variant's OpenCL C on first use (cached per accelerator) and launched with <c>clEnqueueNDRangeKernel</c>
/// (global size = grid × group). Variants with <see cref="KernelVariant.OpenCLUnsupportedReason"/> are refused.
/// </summary>
public sealed unsafe class OpenCLAccelerator : Accelerator
{
    private static readonly HashSet<int> s_fillPatternSizes = [1, 2, 4, 8, 16, 32, 64, 128];

    private readonly nint _device;
    private readonly nint _context;
    private readonly long[] _maxGroupPerAxis;
    private readonly OpenCLProgramCache _programs;
    private readonly OpenCLStream _defaultStream;

    internal OpenCLAccelerator(AcceleratorInfo info) : base(info)
    {
        _device = info.DeviceHandle;
        _maxGroupPerAxis = OpenCLQuery.MaxWorkItemSizes(_device);
        nint device = _device;
        int error;
        _context = clCreateContext(null, 1, &device, 0, null, &error);
        OpenCLErrors.Check(error, "clCreateContext", Name);
        try
        {
            _defaultStream = new OpenCLStream(this, CreateQueue(), isDefault: true);
        }
        catch
        {
            clReleaseContext(_context);
            throw;
        }
        _programs = new OpenCLProgramCache(_context, _device);
    }

    /// <summary>The device's OpenCL version string (e.g. <c>OpenCL 3.0 PoCL ...</c>).</summary>
    public string OpenCLVersion => Info.OpenCLVersion ?? "";

    /// <summary>The options this accelerator builds programs with.</summary>
    internal string BuildOptions => _programs.BuildOptions;

    /// <summary>The name of the device's platform.</summary>
    public string PlatformName => Info.PlatformName ?? "";

    /// <inheritdoc/>
    public override AcceleratorStream DefaultStream => _defaultStream;

    private nint Queue => _defaultStream.Queue;

    private nint CreateQueue()
    {
        int error;
        nint queue = clCreateCommandQueue(_context, _device, 0, &error);
        OpenCLErrors.Check(error, "clCreateCommandQueue", Name);
        return queue;
    }

    private protected override nint AllocateCore(long bytes)
    {
        int error;
        nint buffer = clCreateBuffer(_context, CL_MEM_READ_WRITE, (nuint)bytes, null, &error);
        OpenCLErrors.Check(error, "clCreateBuffer", $"{bytes} bytes on {Name}");
        return buffer;
    }

    private protected override void FreeCore(nint handle) => OpenCLErrors.Check(clReleaseMemObject(handle), "clReleaseMemObject");

    private protected override void CopyToDeviceCore(nint handle, long byteOffset, void* source, long bytes)
        => OpenCLErrors.Check(clEnqueueWriteBuffer(Queue, handle, CL_TRUE, (nuint)byteOffset, (nuint)bytes, source, 0, null, null), "clEnqueueWriteBuffer");

    private protected override void CopyFromDeviceCore(nint handle, long byteOffset, void* destination, long bytes)
        => OpenCLErrors.Check(clEnqueueReadBuffer(Queue, handle, CL_TRUE, (nuint)byteOffset, (nuint)bytes, destination, 0, null, null), "clEnqueueReadBuffer");

    private protected override void CopyToDeviceAsyncCore(AcceleratorStream stream, nint handle, long byteOffset, void* stagedSource, long bytes)
    {
        var openCLStream = (OpenCLStream)stream;
        nint evt;
        OpenCLErrors.Check(clEnqueueWriteBuffer(openCLStream.Queue, handle, CL_FALSE, (nuint)byteOffset, (nuint)bytes, stagedSource, 0, null, &evt), "clEnqueueWriteBuffer");
        openCLStream.Enqueued(evt);
    }

    private protected override void CopyFromDeviceOnCore(AcceleratorStream stream, nint handle, long byteOffset, void* destination, long bytes)
    {
        nint queue = ((OpenCLStream)stream).Queue;
        OpenCLErrors.Check(clEnqueueReadBuffer(queue, handle, CL_TRUE, (nuint)byteOffset, (nuint)bytes, destination, 0, null, null), "clEnqueueReadBuffer");
    }

    private protected override void FillCore(nint handle, long byteOffset, long bytes, void* pattern, int patternSize)
    {
        if (!s_fillPatternSizes.Contains(patternSize) || byteOffset % patternSize != 0)
        {
            FillByCopying(handle, byteOffset, bytes, pattern, patternSize);
            return;
        }
        OpenCLErrors.Check(clEnqueueFillBuffer(Queue, handle, pattern, (nuint)patternSize, (nuint)byteOffset, (nuint)bytes, 0, null, null), "clEnqueueFillBuffer");
        // Other queues do not wait for this one; finishing here keeps a fill ordered before launches on any stream.
        OpenCLErrors.Check(clFinish(Queue), "clFinish");
    }

    private protected override void SynchronizeCore()
    {
        OpenCLErrors.Check(clFinish(Queue), "clFinish");
        foreach (AcceleratorStream stream in CreatedStreams())
            OpenCLErrors.Check(clFinish(((OpenCLStream)stream).Queue), "clFinish");
    }

    private protected override AcceleratorStream CreateStreamCore() => new OpenCLStream(this, CreateQueue(), isDefault: false);

    private static void ThrowIfUnsupported(KernelVariant variant)
    {
        if (variant.OpenCLUnsupportedReason is { } reason)
            throw new NotSupportedException($"{variant.DisplayName} does not run on OpenCL: {reason}");
        if (string.IsNullOrEmpty(variant.OpenCL))
            throw new NotSupportedException($"{variant.DisplayName} has no OpenCL C, so it cannot run on OpenCL.");
    }

    private protected override void ValidateLaunch(KernelVariant variant, LaunchDimensions dims)
    {
        ThrowIfUnsupported(variant);
        int[] group = [dims.Group.X, dims.Group.Y, dims.Group.Z];
        for (int axis = 0; axis < 3; axis++)
        {
            long limit = axis < _maxGroupPerAxis.Length ? _maxGroupPerAxis[axis] : 1;
            if (group[axis] > limit)
                throw new ArgumentException($"The group {dims.Group} exceeds {Name}'s limit of {limit} work items along axis {"xyz"[axis]}.", nameof(dims));
        }
    }

    private protected override int MaxGroupSizeForCore(KernelVariant variant)
    {
        ThrowIfUnsupported(variant);
        return _programs.Get(variant).MaxGroupSize;
    }

    private protected override void LaunchCore(AcceleratorStream stream, KernelVariant variant, LaunchDimensions dims, ReadOnlySpan<KernelArgument> arguments)
    {
        OpenCLKernel kernel = _programs.Get(variant);
        if (dims.Group.Size > kernel.MaxGroupSize)
            throw new ArgumentException(
                $"{variant.DisplayName} can run at most {kernel.MaxGroupSize} work items per group on {Name}, but the group {dims.Group} has {dims.Group.Size}.",
                nameof(dims));
        if (kernel.StaticLocalBytes + dims.DynamicSharedMemoryBytes > MaxSharedMemoryPerGroup)
            throw new ArgumentException(
                $"{variant.DisplayName} uses {kernel.StaticLocalBytes} bytes of local memory; with {dims.DynamicSharedMemoryBytes} dynamic bytes it exceeds the {MaxSharedMemoryPerGroup} bytes per group of {Name}.",
                nameof(dims));

        nuint* global = stackalloc nuint[3];
        nuint* local = stackalloc nuint[3];
        global[0] = (nuint)((long)dims.Grid.X * dims.Group.X);
        global[1] = (nuint)((long)dims.Grid.Y * dims.Group.Y);
        global[2] = (nuint)((long)dims.Grid.Z * dims.Group.Z);
        local[0] = (nuint)dims.Group.X;
        local[1] = (nuint)dims.Group.Y;
        local[2] = (nuint)dims.Group.Z;
        var openCLStream = (OpenCLStream)stream;
        nint evt;
        // A kernel's arguments are shared state: set them and enqueue as one step.
        lock (kernel)
        {
            OpenCLArguments.Set(kernel, variant, arguments, dims.DynamicSharedMemoryBytes);
            OpenCLErrors.Check(
                clEnqueueNDRangeKernel(openCLStream.Queue, kernel.Kernel, 3, null, global, local, 0, null, &evt),
                "clEnqueueNDRangeKernel",
                $"{variant.DisplayName}, grid {dims.Grid}, group {dims.Group}");
        }
        // Kept for IsComplete and markers (the queue is in order: this command done means all before it are).
        openCLStream.Enqueued(evt);
    }

    private protected override void DisposeCore()
    {
        _programs.Clear();
        try
        {
            _defaultStream.Release();
        }
        catch (AcceleratorException)
        {
            // The context's release below reclaims the queue too.
        }
        clReleaseContext(_context);
    }
}
