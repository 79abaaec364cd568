using System.Runtime.InteropServices;
using RectifiedSpaAttn.Compute;

namespace RectifiedSpaAttn.Attention.Pipeline;

/// <summary>
/// The temporary device buffers of one attention call, rented from the accelerator's <see cref="ScratchPool"/> and
/// handed back together. Empty requests still get one element, so that every kernel argument is a real buffer (OpenCL
/// drivers differ on null buffer arguments). Buffers come back with old contents: every step writes what it reads.
/// </summary>
internal sealed class ScratchBuffers(Accelerator accelerator) : IDisposable
{
    private readonly List<Action> _returns = [];
    private readonly ScratchPool _pool = ScratchPool.For(accelerator);

    public DeviceBuffer<T> Allocate<T>(long length) where T : unmanaged
    {
        DeviceBuffer<T> buffer = _pool.Rent<T>(accelerator, Math.Max(length, 1));
        _returns.Add(() => _pool.Return(buffer));
        return buffer;
    }

    public DeviceBuffer<T> Upload<T>(ReadOnlySpan<T> data) where T : unmanaged
    {
        DeviceBuffer<T> buffer = Allocate<T>(data.Length);
        if (!data.IsEmpty) buffer.CopyFrom(data, 0);
        return buffer;
    }

    /// <summary>Uploads booleans as bytes (0 or 1), the form kernels read masks in.</summary>
    public DeviceBuffer<byte> UploadMask(ReadOnlySpan<bool> mask) => Upload(MemoryMarshal.AsBytes(mask));

    public void Dispose()
    {
        foreach (Action giveBack in _returns) giveBack();
        _returns.Clear();
    }
}
