using System.Runtime.CompilerServices;
using RectifiedSpaAttn.Compute;

namespace RectifiedSpaAttn.Tensors;

/// <summary>A dense, row-major tensor of <typeparamref name="T"/> in device memory; see <see cref="DeviceTensor"/>.</summary>
/// <typeparam name="T"><see cref="float"/>, <see cref="Half"/>, <see cref="Numerics.BFloat16"/>, <see cref="int"/> or <see cref="bool"/>.</typeparam>
public sealed class DeviceTensor<T> : DeviceTensor where T : unmanaged
{
    private readonly Action<DeviceBuffer<T>>? _release;
    private int _disposed;

    private DeviceTensor(Accelerator accelerator, ReadOnlySpan<int> shape) : base(accelerator, shape)
    {
        ElementType = ElementTypes.Of<T>();
        Buffer = accelerator.Allocate<T>(Length);
    }

    /// <summary>A tensor over <paramref name="buffer"/> (exactly its length) that hands it to <paramref name="release"/> when disposed instead of freeing it (pooled outputs).</summary>
    internal DeviceTensor(DeviceBuffer<T> buffer, ReadOnlySpan<int> shape, Action<DeviceBuffer<T>> release) : base(buffer.Accelerator, shape)
    {
        if (buffer.Length != Length)
            throw new ArgumentException($"The buffer has {buffer.Length} elements but shape {ShapeText} needs {Length}.", nameof(buffer));
        ElementType = ElementTypes.Of<T>();
        Buffer = buffer;
        _release = release;
    }

    /// <summary>The device memory behind the tensor.</summary>
    public DeviceBuffer<T> Buffer { get; }

    /// <summary>A view of all elements, to pass to kernels.</summary>
    /// <exception cref="ObjectDisposedException">The tensor was disposed.</exception>
    public ArrayView<T> View
    {
        get
        {
            ObjectDisposedException.ThrowIf(IsDisposed, this);
            return Buffer.View;
        }
    }

    /// <inheritdoc/>
    public override ElementType ElementType { get; }

    /// <inheritdoc/>
    public override bool IsDisposed => Volatile.Read(ref _disposed) != 0 || Buffer.IsDisposed;

    /// <summary>Allocates an uninitialised tensor of <paramref name="shape"/> on <paramref name="accelerator"/>.</summary>
    /// <exception cref="ArgumentException">An extent is negative.</exception>
    /// <exception cref="AcceleratorException">The device is out of memory.</exception>
    public static DeviceTensor<T> Allocate(Accelerator accelerator, params ReadOnlySpan<int> shape) => new(accelerator, shape);

    /// <summary>Copies <paramref name="source"/> to <paramref name="accelerator"/>.</summary>
    /// <param name="accelerator">The device.</param>
    /// <param name="source">The host tensor.</param>
    /// <param name="sourceName">What to call <paramref name="source"/> in error messages; by default the caller's
    /// expression for it (<c>q</c>, <c>k</c>, <c>v</c>), so a NaN is reported as "k contains NaN at [...]".</param>
    /// <exception cref="ArgumentException"><paramref name="source"/> holds a NaN or infinity (the message names the tensor and the index).</exception>
    public static DeviceTensor<T> Upload(Accelerator accelerator, HostTensor<T> source, [CallerArgumentExpression(nameof(source))] string? sourceName = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        return Upload(accelerator, source.Span, source.Shape, sourceName);
    }

    /// <summary>Copies <paramref name="source"/>, laid out row-major with <paramref name="shape"/>, to <paramref name="accelerator"/>.</summary>
    /// <param name="accelerator">The device.</param>
    /// <param name="source">The elements.</param>
    /// <param name="shape">The tensor's shape.</param>
    /// <param name="sourceName">What to call <paramref name="source"/> in error messages; by default the caller's expression for it.</param>
    /// <exception cref="ArgumentException">The span's length does not match the shape, or it holds a NaN or infinity.</exception>
    public static DeviceTensor<T> Upload(Accelerator accelerator, ReadOnlySpan<T> source, ReadOnlySpan<int> shape, [CallerArgumentExpression(nameof(source))] string? sourceName = null)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        var tensor = new DeviceTensor<T>(accelerator, shape);
        try
        {
            if (source.Length != tensor.Length)
                throw new ArgumentException($"The source has {source.Length} elements but shape {tensor.ShapeText} needs {tensor.Length}.", nameof(source));
            FiniteCheck.Require(source, shape, string.IsNullOrEmpty(sourceName) ? nameof(source) : sourceName, nameof(source));
            tensor.Buffer.CopyFrom(source);
            return tensor;
        }
        catch
        {
            tensor.Dispose();
            throw;
        }
    }

    /// <summary>Copies all elements into <paramref name="destination"/> (row-major).</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/>'s length differs from <see cref="DeviceTensor.Length"/>.</exception>
    public void CopyTo(Span<T> destination)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        Buffer.CopyTo(destination);
    }

    /// <summary>Overwrites all elements with <paramref name="source"/> (row-major), checked as <see cref="Upload(Accelerator, ReadOnlySpan{T}, ReadOnlySpan{int}, string?)"/> checks.</summary>
    /// <exception cref="ArgumentException">Wrong length, or a NaN or infinity.</exception>
    public void CopyFrom(ReadOnlySpan<T> source)
    {
        if (source.Length != Length)
            throw new ArgumentException($"The source has {source.Length} elements but the tensor {ShapeText} has {Length}.", nameof(source));
        FiniteCheck.Require(source, Shape, nameof(source));
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        Buffer.CopyFrom(source);
    }

    /// <summary>Copies the elements into a new host tensor.</summary>
    public new HostTensor<T> ToHost()
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        var host = new HostTensor<T>(Shape);
        Buffer.CopyTo(host.Span);
        return host;
    }

    /// <inheritdoc/>
    public override void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        if (_release is null) Buffer.Dispose();
        else _release(Buffer);
    }

    private protected override HostTensor ToHostCore() => ToHost();
}
