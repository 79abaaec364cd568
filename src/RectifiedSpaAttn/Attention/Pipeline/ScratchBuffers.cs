using System.Runtime.InteropServices;
using RectifiedSpaAttn.Compute;

namespace RectifiedSpaAttn.Attention.Pipeline;

/// <summary>
/// Device buffers of one attention call, rented from the accelerator's <see cref="ScratchPool"/> for work on one stream
/// and handed back together, behind a marker recorded on that stream (the work may still be queued when they go back).
/// The call's temporaries live in one; the buffers its result reads later (diagnostics, the density) in another that the
/// result owns. Empty requests still get one element, so that every kernel argument is a real buffer (OpenCL drivers
/// differ on null buffer arguments). Buffers come back with old contents: every step writes what it reads.
/// </summary>
internal sealed class ScratchBuffers(AcceleratorStream stream) : IDisposable
{
    private readonly List<Action<SharedMarker>> _returns = [];
    private readonly ScratchPool _pool = ScratchPool.For(stream.Accelerator);

    /// <summary>The stream the buffers are used on.</summary>
    public AcceleratorStream Stream => stream;

    public DeviceBuffer<T> Allocate<T>(long length) where T : unmanaged
    {
        DeviceBuffer<T> buffer = _pool.Rent<T>(stream, Math.Max(length, 1));
        _returns.Add(marker => _pool.Return(buffer, stream, marker));
        return buffer;
    }

    /// <summary>A buffer holding <paramref name="data"/>, uploaded on the stream (the data is staged, so the span may change after this returns).</summary>
    public DeviceBuffer<T> Upload<T>(ReadOnlySpan<T> data) where T : unmanaged
    {
        DeviceBuffer<T> buffer = Allocate<T>(data.Length);
        if (!data.IsEmpty) buffer.CopyFrom(data, 0, stream);
        return buffer;
    }

    /// <summary>Uploads booleans as bytes (0 or 1), the form kernels read masks in.</summary>
    public DeviceBuffer<byte> UploadMask(ReadOnlySpan<bool> mask) => Upload(MemoryMarshal.AsBytes(mask));

    /// <summary>Hands every buffer back to the pool, behind a marker on the stream.</summary>
    public void Dispose()
    {
        // A disposed accelerator has freed the buffers already.
        if (_returns.Count == 0 || stream.Accelerator.IsDisposed)
        {
            _returns.Clear();
            return;
        }
        SharedMarker marker = SharedMarker.Record(stream);
        try
        {
            foreach (Action<SharedMarker> giveBack in _returns) giveBack(marker);
        }
        finally
        {
            marker.Release();
            _returns.Clear();
        }
    }
}
