using System.Runtime.CompilerServices;
using RectifiedSpaAttn.Compute;

namespace RectifiedSpaAttn.Attention.Pipeline;

/// <summary>
/// Device buffers that attention calls on one accelerator hand back for the next call to reuse. Allocating and freeing
/// a dozen scratch buffers per call costs about a millisecond on CUDA (cuMemFree waits for the device), which is most
/// of a sparse call at 16k tokens; repeated calls of one shape, the usual case in a diffusion loop, reuse them instead
/// and allocate nothing (<see cref="Accelerator.AllocationCount"/> stays put).
/// <para>
/// Calls return before the device has run them, so a returned buffer may still be in use by the stream that returned
/// it. Each buffer comes back with that stream and a <see cref="StreamMarker"/> (shared: <see cref="SharedMarker"/>) recorded behind the call's work: a call
/// on the same stream may take it at once (the stream runs in order), a call on another stream only once the marker
/// has passed. Buffers are kept by element type and length, at most <see cref="MaxKept"/> per accelerator (the oldest
/// goes when a new one comes back to a full pool); the accelerator frees whatever is left when it is disposed.
/// </para>
/// </summary>
internal sealed class ScratchPool
{
    private const int MaxKept = 64;
    private static readonly ConditionalWeakTable<Accelerator, ScratchPool> s_pools = new();
    private readonly Dictionary<(Type, long), List<Entry>> _free = [];
    private int _kept;
    private long _returned;

    public static ScratchPool For(Accelerator accelerator) => s_pools.GetValue(accelerator, _ => new ScratchPool());

    /// <summary>
    /// A buffer of exactly <paramref name="length"/> elements for work on <paramref name="stream"/>: a returned one that
    /// this stream may use now when there is one (its own first, so that each stream keeps a set and calls alternating
    /// between streams do not wait on each other's markers), else a new one.
    /// </summary>
    public DeviceBuffer<T> Rent<T>(AcceleratorStream stream, long length) where T : unmanaged
    {
        lock (_free)
        {
            if (_free.TryGetValue((typeof(T), length), out List<Entry>? entries))
            {
                entries.RemoveAll(e => ((DeviceBuffer<T>)e.Buffer).IsDisposed && Drop(e));
                int pick = entries.FindLastIndex(e => e.Stream == stream);
                if (pick < 0) pick = entries.FindLastIndex(e => e.Marker.HasPassed);
                if (pick >= 0)
                {
                    Entry entry = entries[pick];
                    entries.RemoveAt(pick);
                    Drop(entry);
                    return (DeviceBuffer<T>)entry.Buffer;
                }
            }
        }
        return stream.Accelerator.Allocate<T>(length);
    }

    /// <summary>Lets go of an entry leaving the pool (called under the lock); true, for <see cref="List{T}.RemoveAll"/>.</summary>
    private bool Drop(Entry entry)
    {
        entry.Marker.Release();
        _kept--;
        return true;
    }

    /// <summary>
    /// Takes <paramref name="buffer"/> back for reuse: work enqueued on <paramref name="stream"/> before
    /// <paramref name="marker"/> may still use it. When the pool is full, the buffer returned longest ago makes room
    /// (the shapes of the latest calls are the ones the next calls need); it is freed once its own marker has passed.
    /// </summary>
    public void Return<T>(DeviceBuffer<T> buffer, AcceleratorStream stream, SharedMarker marker) where T : unmanaged
    {
        if (buffer.IsDisposed) return;
        Entry? evicted = null;
        lock (_free)
        {
            if (_kept >= MaxKept) evicted = RemoveOldest();
            if (!_free.TryGetValue((typeof(T), buffer.Length), out List<Entry>? entries))
                _free[(typeof(T), buffer.Length)] = entries = [];
            entries.Add(new Entry(buffer, stream, marker.Retain(), ++_returned));
            _kept++;
        }
        if (evicted is { } old) Free(old);
    }

    /// <summary>Returns <paramref name="buffer"/> behind the work enqueued on <paramref name="stream"/> so far (nothing to do once the accelerator is gone).</summary>
    public void ReturnNow<T>(DeviceBuffer<T> buffer, AcceleratorStream stream) where T : unmanaged
    {
        if (stream.Accelerator.IsDisposed) return;
        SharedMarker marker = SharedMarker.Record(stream);
        try
        {
            Return(buffer, stream, marker);
        }
        finally
        {
            marker.Release();
        }
    }

    private Entry? RemoveOldest()
    {
        List<Entry>? oldestList = null;
        int oldestIndex = -1;
        foreach (List<Entry> entries in _free.Values)
            for (int i = 0; i < entries.Count; i++)
                if (oldestList is null || entries[i].Sequence < oldestList[oldestIndex].Sequence)
                    (oldestList, oldestIndex) = (entries, i);
        if (oldestList is null) return null;
        Entry oldest = oldestList[oldestIndex];
        oldestList.RemoveAt(oldestIndex);
        _kept--;
        return oldest;
    }

    /// <summary>Frees an evicted buffer once the work that may still use it is done (freeing memory a queued kernel reads is not safe on every backend).</summary>
    private static void Free(Entry entry)
    {
        try
        {
            while (!entry.Marker.HasPassed) Thread.Yield();
            entry.Buffer.Dispose();
        }
        finally
        {
            entry.Marker.Release();
        }
    }

    /// <summary>A buffer waiting in the pool.</summary>
    /// <param name="Buffer">The buffer.</param>
    /// <param name="Stream">The stream whose work may still use it.</param>
    /// <param name="Marker">Behind that work.</param>
    /// <param name="Sequence">When the buffer came back (larger is later), for eviction.</param>
    private readonly record struct Entry(IDisposable Buffer, AcceleratorStream Stream, SharedMarker Marker, long Sequence);
}
