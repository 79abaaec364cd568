using System.Runtime.InteropServices;

namespace RectifiedSpaAttn.Compute.Cpu;

/// <summary>
/// Runs kernels on the host: buffers live in native memory (64-byte aligned; a view's handle is its address) and a
/// launch calls the variant's CPU form (<see cref="KernelVariant.Cpu"/>) once per group, groups in parallel over all
/// processors. Launches complete before <see cref="AcceleratorStream.Launch"/> returns.
/// </summary>
public sealed class CpuAccelerator : Accelerator
{
    /// <summary>Alignment of buffers: a cache line, so vector loads of any width stay inside one.</summary>
    internal const int BufferAlignment = 64;

    /// <summary>The CPU forms of kernels emulate NVIDIA's execution model, so the limits follow a CUDA device.</summary>
    internal const int GroupSizeLimit = 1024;

    /// <summary>
    /// Shared memory is host memory here; the limit is an H100's (227 KiB per block with the opt-in) so that code
    /// choosing tile sizes from it picks on the CPU what it would pick on the GPU.
    /// </summary>
    internal const int SharedMemoryLimit = 227 * 1024;

    private readonly CpuStream _defaultStream;

    /// <summary>Creates a CPU accelerator (also available through <see cref="Context"/>).</summary>
    public CpuAccelerator() : this(CpuDevice.Describe()) { }

    internal CpuAccelerator(AcceleratorInfo info) : base(info) => _defaultStream = new CpuStream(this, isDefault: true);

    /// <inheritdoc/>
    public override AcceleratorStream DefaultStream => _defaultStream;

    private protected override unsafe nint AllocateCore(long bytes)
    {
        try
        {
            return (nint)NativeMemory.AlignedAlloc((nuint)bytes, BufferAlignment);
        }
        catch (OutOfMemoryException e)
        {
            throw new AcceleratorException($"Could not allocate {bytes} bytes of host memory for a CPU buffer.", e);
        }
    }

    private protected override unsafe void FreeCore(nint handle) => NativeMemory.AlignedFree((void*)handle);

    private protected override unsafe void CopyToDeviceCore(nint handle, long byteOffset, void* source, long bytes)
        => Buffer.MemoryCopy(source, (byte*)handle + byteOffset, bytes, bytes);

    private protected override unsafe void CopyFromDeviceCore(nint handle, long byteOffset, void* destination, long bytes)
        => Buffer.MemoryCopy((byte*)handle + byteOffset, destination, bytes, bytes);

    private protected override unsafe void CopyToDeviceAsyncCore(AcceleratorStream stream, nint handle, long byteOffset, void* stagedSource, long bytes)
        => CopyToDeviceCore(handle, byteOffset, stagedSource, bytes);

    private protected override unsafe void CopyFromDeviceOnCore(AcceleratorStream stream, nint handle, long byteOffset, void* destination, long bytes)
        => CopyFromDeviceCore(handle, byteOffset, destination, bytes);

    // Launches finish before they return, so an upload can be made at once: nothing to stage.
    private protected override bool StagesUploads => false;

    private protected override unsafe void FillCore(nint handle, long byteOffset, long bytes, void* pattern, int patternSize)
    {
        byte* start = (byte*)handle + byteOffset;
        var p = new ReadOnlySpan<byte>(pattern, patternSize);
        if (patternSize == 1)
        {
            NativeMemory.Fill(start, (nuint)bytes, p[0]);
            return;
        }
        // Write the pattern once, then double the filled prefix until the range is full.
        p.CopyTo(new Span<byte>(start, patternSize));
        long filled = patternSize;
        while (filled < bytes)
        {
            long n = Math.Min(filled, bytes - filled);
            Buffer.MemoryCopy(start, start + filled, n, n);
            filled += n;
        }
    }

    private protected override void SynchronizeCore()
    {
        // Launches are synchronous.
    }

    private protected override AcceleratorStream CreateStreamCore() => new CpuStream(this, isDefault: false);

    private protected override void LaunchCore(AcceleratorStream stream, KernelVariant variant, LaunchDimensions dims, ReadOnlySpan<KernelArgument> arguments)
        => CpuLauncher.Run(variant, dims, arguments);

    private protected override void DisposeCore() => _defaultStream.Release();
}
