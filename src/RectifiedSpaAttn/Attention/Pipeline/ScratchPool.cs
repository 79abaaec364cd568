using System.Runtime.CompilerServices;
using RectifiedSpaAttn.Compute;

namespace RectifiedSpaAttn.Attention.Pipeline;

/// <summary>
/// Device buffers that attention calls on one accelerator hand back for the next call to reuse. Allocating and freeing
/// a dozen scratch buffers per call costs about a millisecond on CUDA (cuMemFree waits for the device), which is most
/// of a sparse call at 16k tokens; repeated calls of one shape, the usual case in a diffusion loop, reuse them instead.
/// Buffers are kept by element type and length, at most <see cref="MaxKept"/> per accelerator; the accelerator frees
/// whatever is left when it is disposed.
/// </summary>
internal sealed class ScratchPool
{
    private const int MaxKept = 64;
    private static readonly ConditionalWeakTable<Accelerator, ScratchPool> s_pools = new();
    private readonly Dictionary<(Type, long), Stack<IDisposable>> _free = [];
    private int _kept;

    public static ScratchPool For(Accelerator accelerator) => s_pools.GetValue(accelerator, _ => new ScratchPool());

    /// <summary>A buffer of exactly <paramref name="length"/> elements: a returned one when there is one, else a new one.</summary>
    public DeviceBuffer<T> Rent<T>(Accelerator accelerator, long length) where T : unmanaged
    {
        lock (_free)
        {
            if (_free.TryGetValue((typeof(T), length), out Stack<IDisposable>? stack))
                while (stack.TryPop(out IDisposable? candidate))
                {
                    _kept--;
                    var buffer = (DeviceBuffer<T>)candidate;
                    if (!buffer.IsDisposed) return buffer;
                }
        }
        return accelerator.Allocate<T>(length);
    }

    /// <summary>Takes <paramref name="buffer"/> back for reuse, or frees it when the pool is full.</summary>
    public void Return<T>(DeviceBuffer<T> buffer) where T : unmanaged
    {
        if (buffer.IsDisposed) return;
        lock (_free)
        {
            if (_kept < MaxKept)
            {
                if (!_free.TryGetValue((typeof(T), buffer.Length), out Stack<IDisposable>? stack))
                    _free[(typeof(T), buffer.Length)] = stack = new Stack<IDisposable>();
                stack.Push(buffer);
                _kept++;
                return;
            }
        }
        buffer.Dispose();
    }
}
