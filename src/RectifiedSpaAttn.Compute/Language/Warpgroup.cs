namespace RectifiedSpaAttn.Compute;

/// <summary>
/// Warpgroup-level matrix multiply (<c>wgmma</c>, sm_90a) and register reallocation. A warpgroup is 4 consecutive
/// warps of a group whose first warp index is a multiple of 4: group-linear threads <c>128 w</c> to
/// <c>128 w + 127</c>. Only kernels marked <see cref="RequiresHopperAttribute"/> may use these.
/// </summary>
/// <remarks>
/// <para><b>Shared-memory operands</b> use the K-major layout with the 128-byte swizzle that a
/// <see cref="BulkTensor"/> load with <see cref="TensorMapSwizzle.Bytes128"/> and a 64-element (128-byte) inner box
/// of 16-bit values produces: row r of the tile (an M row of A, an N row of B) occupies bytes <c>128 r</c> to
/// <c>128 r + 127</c> of the tile, and the 16-byte chunk c of that row (elements <c>8c</c> to <c>8c + 7</c> along K)
/// is stored at chunk <c>c ^ (r % 8)</c>, i.e. the byte at logical offset o lies at <see cref="BulkTensor.Swizzle128"/>(o).
/// The tile must start at a 1024-byte aligned shared address. The operand of one instruction is the 16 K columns
/// starting at element <c>index</c> of the view, which must be <c>row0 * 64 + k0</c> with row0 a multiple of 8 and k0
/// a multiple of 16 below 64; rows follow at 128 bytes each.</para>
/// <para><b>Accumulator fragment</b> (m64nN, f32): thread t of the warpgroup (warp <c>w = t / 32</c>, lane <c>l</c>)
/// holds N/2 values; value i is D[row, col] with <c>row = 16 w + l / 4 + 8 ((i / 2) % 2)</c> and
/// <c>col = 8 (i / 4) + 2 (l % 4) + i % 2</c>. The accumulator span's length says N (N / 2 floats: 32 for N = 64,
/// 64 for 128, 96 for 192, 128 for 256; N is a multiple of 8 up to 256).</para>
/// <para><b>Asynchrony</b>: <c>MmaAsync</c> only issues the product. Before the first one, and whenever the
/// accumulator registers were touched by ordinary code, every thread of the warpgroup calls <see cref="Fence"/>;
/// <see cref="CommitGroup"/> closes a group of issued products, and the accumulators (and the shared tiles they read)
/// may be used only after <see cref="WaitGroup"/> leaves fewer groups pending than the one that holds them. The CPU
/// emulation computes each product when it is issued, and requires a fence before the first product after each
/// wait (stricter than PTX) and a commit before a wait counts it.</para>
/// <para>Products of bf16/fp16 values are exact in f32; the CPU sums them in ascending k in f32 and then adds the
/// accumulator (the hardware's internal order is unspecified; results agree to f32 rounding).</para>
/// </remarks>
public static class Warpgroup
{
    /// <summary>The warpgroup's index in the group: <c>Group.LinearIndex / 128</c>.</summary>
    public static int Index => throw new KernelOnlyException("Warpgroup");

    /// <summary>The thread's index in its warpgroup: <c>Group.LinearIndex % 128</c>.</summary>
    public static int ThreadIndex => throw new KernelOnlyException("Warpgroup");

    /// <summary><c>wgmma.fence.sync.aligned</c>: orders earlier register and shared-memory accesses before the next <c>MmaAsync</c>.</summary>
    public static void Fence() => throw new KernelOnlyException("Warpgroup");

    /// <summary><c>wgmma.commit_group.sync.aligned</c>: closes the group of products issued since the last commit.</summary>
    public static void CommitGroup() => throw new KernelOnlyException("Warpgroup");

    /// <summary><c>wgmma.wait_group.sync.aligned pending</c>: waits until at most <paramref name="pending"/> (a constant, 0-7) committed groups are unfinished.</summary>
    public static void WaitGroup(int pending) => throw new KernelOnlyException("Warpgroup");

    /// <summary>
    /// <c>wgmma.mma_async.sync.aligned.m64nNk16.f32.{bf16|f16}</c> with A and B in shared memory (both K-major, 128-byte
    /// swizzle; see the remarks of <see cref="Warpgroup"/>): <c>D = A·Bᵀ + (accumulate ? D : 0)</c>, where A is 64 x 16
    /// (rows of view <paramref name="a"/> from <paramref name="aIndex"/>) and B is N x 16 (rows of <paramref name="b"/>
    /// from <paramref name="bIndex"/>), so the product is 64 x N. T is <c>BFloat16</c> or <c>Half</c>.
    /// </summary>
    /// <param name="accumulators">This thread's N/2 accumulators (a register array of N / 2 floats, N a multiple of 8 up to 256).</param>
    /// <param name="a">Shared view holding the A tile.</param>
    /// <param name="aIndex">Element index of A[0, 0] of this step (see remarks).</param>
    /// <param name="b">Shared view holding the B tile.</param>
    /// <param name="bIndex">Element index of B[0, 0] of this step.</param>
    /// <param name="accumulate">False: D = A·Bᵀ (the accumulators' old values are ignored).</param>
    /// <param name="bAtomStride">0 (default): B is K-major as described. Otherwise B is MN-major (transposed), as a
    /// bulk tensor copy of a K x N row-major tile (N contiguous) leaves it: atoms of 64 consecutive n (128 bytes, 128-byte
    /// swizzled) by K rows, row k of an atom at byte <c>128 k</c>, atom j (n from 64 j) at byte <c>j * bAtomStride</c>
    /// (a constant multiple of 1024); <paramref name="bIndex"/> then designates B[0, k0] with k0 a multiple of 8 rows,
    /// and the instruction reads rows k0 to k0 + 15. This is O += P·V with V stored kv x d.</param>
    public static void MmaAsync<T>(Span<float> accumulators, ArrayView<T> a, int aIndex, ArrayView<T> b, int bIndex, bool accumulate, int bAtomStride = 0)
        where T : unmanaged => throw new KernelOnlyException("Warpgroup");

    /// <summary>
    /// <c>wgmma.mma_async</c> with A from registers: as the shared-memory form, but each warp w supplies rows
    /// <c>16 w</c> to <c>16 w + 15</c> of A in the fragment layout of <c>mma.m16n8k16</c>'s A (<paramref name="a0"/>:
    /// row <c>l/4</c>, columns <c>2(l%4)</c> and the next; <paramref name="a1"/>: row + 8; <paramref name="a2"/>: columns + 8;
    /// <paramref name="a3"/>: both; the lower-indexed element in bits 0-15), for example packed with <c>Packed.PackBFloat16</c>.
    /// </summary>
    public static void MmaAsync<T>(Span<float> accumulators, uint a0, uint a1, uint a2, uint a3, ArrayView<T> b, int bIndex, bool accumulate, int bAtomStride = 0)
        where T : unmanaged => throw new KernelOnlyException("Warpgroup");

    /// <summary><c>setmaxnreg.inc.sync.aligned.u32</c>: raises this warpgroup's register budget per thread to <paramref name="registers"/> (a constant multiple of 8, 24-256), taking registers that other warpgroups' decreases returned to the group's pool, and waiting until they are there. The pool is what the group was launched with (ptxas's count at entry times the group size), so budgets beyond it wait forever; the CPU emulation reports that as a deadlock. Needs <c>KernelHint.LaunchBounds</c> with a minimum of groups per multiprocessor (without, ptxas and the emulation ignore it).</summary>
    public static void IncreaseRegisters(int registers) => throw new KernelOnlyException("Warpgroup");

    /// <summary><c>setmaxnreg.dec.sync.aligned.u32</c>: lowers this warpgroup's register budget per thread to <paramref name="registers"/> (a constant multiple of 8, 24-256), returning the rest to the group's pool (see <see cref="IncreaseRegisters"/>).</summary>
    public static void DecreaseRegisters(int registers) => throw new KernelOnlyException("Warpgroup");
}
