using System.ComponentModel;

namespace RectifiedSpaAttn.Compute.Emulation;

/// <summary>
/// One emulated thread's view of the asynchronous warpgroup instructions: <c>wgmma</c> (computed when issued) with the
/// bookkeeping of fences, commits and waits, and the bulk tensor copy. For generated code only.
/// </summary>
/// <remarks>
/// The checks are those the emulation can make: a product issued without a <c>wgmma.fence</c> since the thread's last
/// wait (or since the start) throws, as does a wait for more groups than are outstanding.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed unsafe class CpuWarpgroup
{
    private readonly string _kernelName;
    private readonly float[] _accumulators = new float[128];
    private bool _fenced;
    private int _uncommitted;
    private int _committed;

    /// <summary>State for one thread of kernel <paramref name="kernelName"/>.</summary>
    public CpuWarpgroup(string kernelName) => _kernelName = kernelName;

    /// <summary>A scratch array for a product's accumulators (reused).</summary>
    public float[] Accumulators => _accumulators;

    /// <summary><c>wgmma.fence</c>.</summary>
    public void Fence() => _fenced = true;

    /// <summary><c>wgmma.commit_group</c>.</summary>
    public void Commit()
    {
        if (_uncommitted > 0) _committed++;
        _uncommitted = 0;
    }

    /// <summary><c>wgmma.wait_group</c>: the products are already computed; the fence must be renewed before the next product.</summary>
    public void Wait(int pending)
    {
        if (_uncommitted > 0 && pending == 0)
            throw new InvalidOperationException($"{_kernelName}: Warpgroup.WaitGroup(0) with products issued since the last CommitGroup; they belong to no group and are not waited for.");
        _committed = Math.Min(_committed, pending);
        _fenced = false;
    }

    /// <summary>
    /// <c>wgmma.mma_async</c> with A and B in shared memory (K-major, 128-byte swizzle): D = A·Bᵀ (+ D) for the
    /// <paramref name="n"/>/2 accumulators of warpgroup thread <paramref name="thread"/>.
    /// </summary>
    public void MmaShared(int thread, int n, bool bfloat16, bool accumulate,
        nint aRoot, long aRootBytes, long aByteOffset, long aIndex, string aName,
        nint bRoot, long bRootBytes, long bByteOffset, long bIndex, string bName, int bAtomStride)
    {
        Issue();
        nint a = Start(aRoot, aRootBytes, aByteOffset, aIndex, aName, 0), b = Start(bRoot, bRootBytes, bByteOffset, bIndex, bName, bAtomStride);
        int w = thread >> 5, l = thread & 31;
        Span<float> aRow = stackalloc float[16];
        for (int i = 0; i < n / 2; i++)
        {
            int row = 16 * w + (l >> 2) + 8 * ((i >> 1) & 1), col = 8 * (i >> 2) + 2 * (l & 3) + (i & 1);
            for (int k = 0; k < 16; k++) aRow[k] = Element(a, row, k, aRoot, aRootBytes, aName, bfloat16);
            _accumulators[i] = Dot(aRow, b, col, bRoot, bRootBytes, bName, bfloat16, bAtomStride) + (accumulate ? _accumulators[i] : 0f);
        }
    }

    /// <summary>
    /// <c>wgmma.mma_async</c> with A from registers: each lane's four A words were published to its warp's exchange
    /// (<see cref="CpuWarp.PublishWords"/>) in the <c>mma.m16n8k16</c> A fragment layout.
    /// </summary>
    public void MmaRegisterA(int thread, int n, bool bfloat16, bool accumulate, CpuWarp warp, int bank,
        nint bRoot, long bRootBytes, long bByteOffset, long bIndex, string bName, int bAtomStride)
    {
        Issue();
        nint b = Start(bRoot, bRootBytes, bByteOffset, bIndex, bName, bAtomStride);
        int l = thread & 31;
        Span<float> aRow = stackalloc float[16];
        for (int i = 0; i < n / 2; i++)
        {
            int r = (l >> 2) + 8 * ((i >> 1) & 1), col = 8 * (i >> 2) + 2 * (l & 3) + (i & 1);
            for (int k = 0; k < 16; k += 2)
            {
                // Row r, columns k and k+1 are in lane 4 (r % 8) + (k % 8) / 2, register (r / 8) + 2 (k / 8).
                uint word = warp.Published(bank, 4 * (r & 7) + ((k & 7) >> 1), (r >> 3) + 2 * (k >> 3));
                aRow[k] = Unpack(word, bfloat16, high: false);
                aRow[k + 1] = Unpack(word, bfloat16, high: true);
            }
            _accumulators[i] = Dot(aRow, b, col, bRoot, bRootBytes, bName, bfloat16, bAtomStride) + (accumulate ? _accumulators[i] : 0f);
        }
    }

    /// <summary><c>cp.async.bulk.tensor</c>: the copy, then its bytes completed on the barrier.</summary>
    public static void TensorLoad(nint map, int rank, int elementSize, int x, int y, int z,
        nint root, long rootBytes, long byteOffset, long index, string rootName,
        nint barRoot, long barRootBytes, long barByteOffset, long barIndex, string barName)
    {
        nint destination = CpuMemory.Address(root, rootBytes, byteOffset, index, elementSize, elementSize, rootName);
        int bytes = CpuTensorMap.Copy(map, rank, destination, root + (nint)rootBytes - destination, rootName, x, y, z);
        CpuMbarrier.CompleteTransaction(barRoot, barRootBytes, barByteOffset, barIndex, barName, bytes);
    }

    private void Issue()
    {
        if (!_fenced)
            throw new InvalidOperationException($"{_kernelName}: Warpgroup.MmaAsync without a Warpgroup.Fence() since the start or the last WaitGroup (PTX requires wgmma.fence before a wgmma whose registers were touched).");
        _uncommitted++;
    }

    private float Dot(ReadOnlySpan<float> aRow, nint b, int col, nint root, long rootBytes, string name, bool bfloat16, int atomStride)
    {
        float sum = aRow[0] * BElement(b, col, 0, root, rootBytes, name, bfloat16, atomStride);
        for (int k = 1; k < 16; k++) sum += aRow[k] * BElement(b, col, k, root, rootBytes, name, bfloat16, atomStride);
        return sum;
    }

    /// <summary>B[n, k]: K-major (<paramref name="atomStride"/> 0) or MN-major in 64-element atoms <paramref name="atomStride"/> bytes apart.</summary>
    private float BElement(nint start, int n, int k, nint root, long rootBytes, string name, bool bfloat16, int atomStride)
        => atomStride == 0
            ? Element(start, n, k, root, rootBytes, name, bfloat16)
            : At(start + (n >> 6) * atomStride + k * 128 + (n & 63) * 2, root, rootBytes, name, bfloat16);

    /// <summary>The address of an operand's first element, checked to be where the swizzled layout allows.</summary>
    private nint Start(nint root, long rootBytes, long byteOffset, long index, string name, int atomStride)
    {
        nint start = CpuMemory.Address(root, rootBytes, byteOffset, index, 2, 2, name);
        if (atomStride != 0 && (start & 0x3FF) != 0)
            throw new InvalidOperationException(
                $"{_kernelName}: an MN-major wgmma B operand in '{name}' starts at address 0x{start:X}; it must be a 1024-byte aligned tile plus 1024 bytes per 8 K rows.");
        if ((start & 0x39F) != 0)
            throw new InvalidOperationException(
                $"{_kernelName}: a wgmma operand in '{name}' starts at address 0x{start:X}; it must be a 1024-byte aligned tile plus 128 bytes per row (a multiple of 8 rows) plus 32 bytes per 16 K columns.");
        return start;
    }

    /// <summary>Element (row, k) of a K-major 128-byte-swizzled operand starting at <paramref name="start"/>.</summary>
    private float Element(nint start, int row, int k, nint root, long rootBytes, string name, bool bfloat16)
        => At(start + row * 128 + k * 2, root, rootBytes, name, bfloat16);

    /// <summary>The 16-bit value at swizzled linear address <paramref name="linear"/> (bits 4-6 xored with bits 7-9).</summary>
    private float At(nint linear, nint root, long rootBytes, string name, bool bfloat16)
    {
        nint physical = linear ^ (((linear >> 7) & 7) << 4);
        if (physical < root || physical + 2 > root + (nint)rootBytes)
            throw new IndexOutOfRangeException($"{_kernelName}: a wgmma operand reads outside '{name}' ({rootBytes} bytes).");
        ushort bits = *(ushort*)physical;
        return bfloat16 ? BitConverter.UInt32BitsToSingle((uint)bits << 16) : (float)BitConverter.UInt16BitsToHalf(bits);
    }

    private static float Unpack(uint word, bool bfloat16, bool high)
    {
        ushort bits = (ushort)(high ? word >> 16 : word);
        return bfloat16 ? BitConverter.UInt32BitsToSingle((uint)bits << 16) : (float)BitConverter.UInt16BitsToHalf(bits);
    }
}
