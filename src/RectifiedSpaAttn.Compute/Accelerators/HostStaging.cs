namespace RectifiedSpaAttn.Compute;

/// <summary>
/// Host memory one stream copies to the device from (page-locked on CUDA, so the copy is truly asynchronous): an
/// upload on a stream first copies the caller's data here, so the caller may reuse its own memory at once, and
/// enqueues the device copy from here. A block is reused only after the stream passed the marker recorded behind its
/// last copy, so a copy still waiting in the stream never sees its source overwritten. Freed with the stream.
/// </summary>
internal sealed unsafe class HostStaging(Accelerator accelerator, AcceleratorStream stream)
{
    /// <summary>Blocks are at least this large, so small uploads (masks, orders) of varying size share them.</summary>
    private const long MinBlockBytes = 64 * 1024;

    private readonly List<Block> _blocks = [];

    /// <summary>Copies <paramref name="bytes"/> from <paramref name="source"/> into a free block and calls <paramref name="enqueue"/> with its address.</summary>
    public void Upload(void* source, long bytes, Action<nint> enqueue)
    {
        lock (_blocks)
        {
            Block block = Take(bytes);
            Buffer.MemoryCopy(source, (void*)block.Pointer, block.Bytes, bytes);
            enqueue(block.Pointer);
            block.LastUse?.Dispose();
            block.LastUse = stream.RecordMarker();
        }
    }

    /// <summary>Frees every block; the caller has waited for the stream.</summary>
    public void Free()
    {
        lock (_blocks)
        {
            foreach (Block block in _blocks)
            {
                block.LastUse?.Dispose();
                accelerator.FreeStaging(block.Pointer);
            }
            _blocks.Clear();
        }
    }

    /// <summary>Whether any block is held (then the stream must be waited for before <see cref="Free"/>).</summary>
    public bool IsEmpty
    {
        get
        {
            lock (_blocks) return _blocks.Count == 0;
        }
    }

    private Block Take(long bytes)
    {
        Block? best = null;
        foreach (Block block in _blocks)
            if (block.Bytes >= bytes && (block.LastUse is null || block.LastUse.HasPassed) && (best is null || block.Bytes < best.Bytes))
                best = block;
        if (best is not null) return best;
        long size = Math.Max(bytes, MinBlockBytes);
        var created = new Block(accelerator.AllocateStaging(size), size);
        _blocks.Add(created);
        return created;
    }

    private sealed class Block(nint pointer, long bytes)
    {
        public nint Pointer { get; } = pointer;
        public long Bytes { get; } = bytes;
        public StreamMarker? LastUse { get; set; }
    }
}
