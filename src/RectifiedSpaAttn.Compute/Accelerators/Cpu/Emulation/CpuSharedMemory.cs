using System.ComponentModel;
using System.Runtime.InteropServices;

namespace RectifiedSpaAttn.Compute.Emulation;

/// <summary>
/// The static shared memory of one group call, for generated code only. Each worker thread keeps one aligned
/// native block and reuses it for every group it runs, so a launch of many groups does not allocate per group.
/// </summary>
/// <remarks>
/// Like GPU shared memory, the block's contents are undefined at the start of a group (they hold whatever the
/// previous group on this worker left).
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class CpuSharedMemory
{
    /// <summary>1 KiB, as the sm_90a module aligns shared memory, so 128-byte-swizzled tiles (wgmma, bulk tensor copies) sit where they would on the GPU.</summary>
    private const int Alignment = 1024;

    [ThreadStatic] private static Block? t_block;

    /// <summary>Returns an aligned block of at least <paramref name="bytes"/> bytes; give it back with <see cref="Return"/>.</summary>
    public static nint Rent(int bytes)
    {
        Block? block = t_block;
        if (block is { InUse: false } && block.Bytes >= bytes)
        {
            block.InUse = true;
            return block.Address;
        }
        if (block is { InUse: true })
        {
            // A nested group call on this thread (not something the launcher does): give it its own block.
            return Block.Allocate(bytes);
        }
        block?.Dispose();
        t_block = block = new Block(bytes) { InUse = true };
        return block.Address;
    }

    /// <summary>Gives back a block from <see cref="Rent"/>.</summary>
    public static void Return(nint address)
    {
        Block? block = t_block;
        if (block is not null && block.Address == address) block.InUse = false;
        else Block.Free(address);
    }

    /// <summary>Owns one native block; the finalizer frees it when its worker thread is gone.</summary>
    private sealed class Block : IDisposable
    {
        public Block(int bytes)
        {
            Bytes = Math.Max(bytes, 1024);
            Address = Allocate(Bytes);
        }

        public nint Address { get; private set; }
        public int Bytes { get; }
        public bool InUse { get; set; }

        public static unsafe nint Allocate(int bytes) => (nint)NativeMemory.AlignedAlloc((nuint)Math.Max(bytes, 1), Alignment);

        public static unsafe void Free(nint address) => NativeMemory.AlignedFree((void*)address);

        public void Dispose()
        {
            if (Address != 0) Free(Address);
            Address = 0;
            GC.SuppressFinalize(this);
        }

        ~Block()
        {
            if (Address != 0) Free(Address);
        }
    }
}
