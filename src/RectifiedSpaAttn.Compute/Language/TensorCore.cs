namespace RectifiedSpaAttn.Compute;

/// <summary>
/// The A operand of <c>mma.sync.aligned.m16n8k16</c> held by one lane: four 32-bit registers, each two packed
/// 16-bit elements, laid out exactly as the PTX ISA's "Matrix Fragments for mma.m16n8k16" section defines.
/// </summary>
public record struct MmaFragmentA(uint R0, uint R1, uint R2, uint R3);

/// <summary>The B operand of <c>mma.m16n8k16</c> held by one lane: two registers of packed 16-bit elements.</summary>
public record struct MmaFragmentB(uint R0, uint R1);

/// <summary>The f32 accumulator (C and D) of <c>mma.m16n8k16</c> held by one lane: four singles.</summary>
public record struct MmaAccumulator(float C0, float C1, float C2, float C3);

/// <summary>
/// Warp-level tensor-core intrinsics with exact PTX semantics. All 32 lanes must execute each call
/// (warp-uniform control flow). The CPU backend reproduces the fragment layouts exactly; OpenCL emulates them
/// through local memory.
/// </summary>
public static class TensorCore
{
    /// <summary><c>mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32</c>: D = A·B + C.</summary>
    public static MmaAccumulator MmaBFloat16(MmaFragmentA a, MmaFragmentB b, MmaAccumulator c) => throw new KernelOnlyException("TensorCore.MmaBFloat16");
    /// <summary><c>mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32</c>: D = A·B + C.</summary>
    public static MmaAccumulator MmaHalf(MmaFragmentA a, MmaFragmentB b, MmaAccumulator c) => throw new KernelOnlyException("TensorCore.MmaHalf");

    /// <summary>
    /// <c>ldmatrix.sync.aligned.m8n8.x1.shared.b16</c>: lanes 0-7 each give the shared-memory element offset of one
    /// 8 x 16-bit row; every lane receives one register of the 8x8 matrix.
    /// </summary>
    public static uint LoadMatrixX1<T>(ArrayView<T> shared, int rowOffset) where T : unmanaged => throw new KernelOnlyException("TensorCore.LoadMatrixX1");
    /// <summary><c>ldmatrix...x2</c>: lanes 0-15 give row offsets of two 8x8 matrices.</summary>
    public static (uint R0, uint R1) LoadMatrixX2<T>(ArrayView<T> shared, int rowOffset) where T : unmanaged => throw new KernelOnlyException("TensorCore.LoadMatrixX2");
    /// <summary><c>ldmatrix...x4</c>: all 32 lanes give row offsets of four 8x8 matrices.</summary>
    public static UInt4 LoadMatrixX4<T>(ArrayView<T> shared, int rowOffset) where T : unmanaged => throw new KernelOnlyException("TensorCore.LoadMatrixX4");
    /// <summary><c>ldmatrix...x1.trans</c>: as <see cref="LoadMatrixX1{T}"/>, the matrix transposed.</summary>
    public static uint LoadMatrixX1Transposed<T>(ArrayView<T> shared, int rowOffset) where T : unmanaged => throw new KernelOnlyException("TensorCore.LoadMatrixX1Transposed");
    /// <summary><c>ldmatrix...x2.trans</c>.</summary>
    public static (uint R0, uint R1) LoadMatrixX2Transposed<T>(ArrayView<T> shared, int rowOffset) where T : unmanaged => throw new KernelOnlyException("TensorCore.LoadMatrixX2Transposed");
    /// <summary><c>ldmatrix...x4.trans</c>.</summary>
    public static UInt4 LoadMatrixX4Transposed<T>(ArrayView<T> shared, int rowOffset) where T : unmanaged => throw new KernelOnlyException("TensorCore.LoadMatrixX4Transposed");
}

/// <summary>
/// Asynchronous global-to-shared copies (<c>cp.async</c>, sm_80+). The CPU and OpenCL backends copy at once,
/// which satisfies the same visibility rules: data is visible after the matching <see cref="WaitGroup"/> and a barrier.
/// </summary>
public static class AsyncCopy
{
    /// <summary><c>cp.async.cg.shared.global</c> of 16 bytes; both element offsets must be 16-byte aligned.</summary>
    public static void Copy16<T>(ArrayView<T> sharedDestination, int destinationIndex, ArrayView<T> globalSource, long sourceIndex) where T : unmanaged
        => throw new KernelOnlyException("AsyncCopy.Copy16");
    /// <summary><c>cp.async.commit_group</c>: closes the current group of copies.</summary>
    public static void CommitGroup() => throw new KernelOnlyException("AsyncCopy.CommitGroup");
    /// <summary><c>cp.async.wait_group N</c>: waits until at most <paramref name="pending"/> (a constant) groups are in flight.</summary>
    public static void WaitGroup(int pending) => throw new KernelOnlyException("AsyncCopy.WaitGroup");
}
