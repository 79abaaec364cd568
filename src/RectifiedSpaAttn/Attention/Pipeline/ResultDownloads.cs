using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Attention.Pipeline;

/// <summary>
/// What an <see cref="AttentionResult{T}"/> reads lazily: the device buffers its density and diagnostics live in (owned
/// until the result is disposed, then handed back to the scratch pool) and the downloads from them. A download waits
/// for the call's stream only (the copy is ordered on it), and each one runs at most once.
/// </summary>
internal sealed class ResultDownloads(ScratchBuffers owned) : IDisposable
{
    private readonly object _gate = new();
    private bool _disposed;

    /// <summary>The buffers the downloads read; allocate them here.</summary>
    public ScratchBuffers Buffers => owned;

    /// <summary>The fraction <c>total[0] / pairs</c>, read on first use.</summary>
    public Lazy<double> Density(DeviceBuffer<long> total, long pairs) => Later(stream =>
    {
        if (pairs == 0) return 0.0;
        Span<long> sum = stackalloc long[1];
        total.CopyTo(sum, 0, stream);
        return sum[0] / (double)pairs;
    });

    /// <summary><paramref name="buffer"/>'s first elements as a float tensor of <paramref name="shape"/>, read on first use.</summary>
    public Lazy<HostTensor<float>?> Floats(DeviceBuffer<float> buffer, int[] shape) => Later<HostTensor<float>?>(stream =>
    {
        var host = new HostTensor<float>(shape);
        if (host.Length > 0) buffer.CopyTo(host.Span, 0, stream);
        return host;
    });

    /// <summary><paramref name="buffer"/>'s first bytes as a mask of <paramref name="shape"/> (non-zero is true), read on first use.</summary>
    public Lazy<HostTensor<bool>?> Mask(DeviceBuffer<byte> buffer, int[] shape) => Later<HostTensor<bool>?>(stream =>
    {
        var bytes = new byte[new HostTensor<bool>(shape).Length];
        if (bytes.Length > 0) buffer.CopyTo(bytes, 0, stream);
        return new HostTensor<bool>(Array.ConvertAll(bytes, b => b != 0), shape);
    });

    /// <summary>Hands the buffers back to the pool; later reads throw.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            owned.Dispose();
        }
    }

    private Lazy<TValue> Later<TValue>(Func<AcceleratorStream, TValue> read) => new(() =>
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, typeof(AttentionResult<>));
            return read(ReadingStream());
        }
    });

    /// <summary>The call's stream, or when the caller has disposed it, the default stream after waiting for the whole accelerator.</summary>
    private AcceleratorStream ReadingStream()
    {
        AcceleratorStream stream = owned.Stream;
        if (!stream.IsDisposed) return stream;
        stream.Accelerator.Synchronize();
        return stream.Accelerator.DefaultStream;
    }
}
