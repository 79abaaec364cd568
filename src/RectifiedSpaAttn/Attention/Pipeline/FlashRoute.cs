using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.Cpu;
using RectifiedSpaAttn.Kernels.Attention;
using RectifiedSpaAttn.Kernels.Attention.Flash;
using RectifiedSpaAttn.Kernels.Attention.Flash.TensorCore;
using RectifiedSpaAttn.Kernels.CpuNative;

namespace RectifiedSpaAttn.Attention.Pipeline;

/// <summary>
/// Where the token-level attention (the heavy step) runs: the generated flash kernels on the accelerator, or, on the CPU
/// accelerator, the hand-vectorised host implementation with the same contract (the emulated kernels keep exact GPU
/// semantics, which makes them right for testing and slow for work). The estimation steps take their own route (<see cref="EstimationRoute"/>).
/// </summary>
internal readonly struct FlashRoute
{
    private readonly Accelerator _accelerator;

    private FlashRoute(Accelerator accelerator, bool native)
    {
        _accelerator = accelerator;
        IsNative = native;
    }

    /// <summary>True when the host implementation runs the attention (CPU accelerator, not forced onto the kernels).</summary>
    public bool IsNative { get; }

    /// <summary>Whether the tensor-core kernels take this call (CUDA, a built 16-bit combination).</summary>
    private bool UsesTensorCores<T>(AttentionShape shape) where T : unmanaged =>
        !IsNative && _accelerator.Kind == AcceleratorKind.Cuda
        && TensorCoreFlashSteps.IsSupported(typeof(T), shape.HeadDim, shape.QueryBlockSize, shape.KeyBlockSize);

    /// <summary>The route for <paramref name="accelerator"/>; <paramref name="forceKernels"/> runs the emulated kernels even on the CPU.</summary>
    public static FlashRoute For(Accelerator accelerator, bool forceKernels) =>
        new(accelerator, !forceKernels && accelerator is CpuAccelerator);

    /// <summary>Throws when no flash kernel is built for this combination (the host implementation takes any).</summary>
    public void RequireSupported<T>(AttentionShape shape) where T : unmanaged
    {
        if (IsNative || FlashSteps.IsSupported(typeof(T), shape.HeadDim, shape.QueryBlockSize, shape.KeyBlockSize)) return;
        throw new NotSupportedException(
            $"No attention kernel is built for {typeof(T).Name} inputs with head dim {shape.HeadDim} and {shape.QueryBlockSize}x{shape.KeyBlockSize} " +
            $"blocks, so it cannot run on {_accelerator}. Built: {FlashSteps.DescribeSupported()}. (The CPU accelerator takes any combination.)");
    }

    /// <summary>Dense attention for queries <c>[queryStart, queryStart + queryCount)</c>, enqueued on <paramref name="launcher"/>.</summary>
    public void Dense<T>(IKernelLauncher launcher, AttentionShape shape, ArrayView<T> q, ArrayView<T> k, ArrayView<T> v, ArrayView<T> output, int queryStart, int queryCount)
        where T : unmanaged
    {
        if (queryCount == 0) return;
        if (IsNative) CpuFlashAttention.DenseAttention(shape, q, k, v, output, queryStart, queryCount);
        else if (UsesTensorCores<T>(shape)) TensorCoreFlashSteps.DenseAttention(launcher, shape, q, k, v, output, queryStart, queryCount);
        else FlashSteps.DenseAttention(launcher, shape, q, k, v, output, queryStart, queryCount);
    }

    /// <summary>Block-sparse attention over the compact lists (with the rectification when <paramref name="rectify"/>), enqueued on <paramref name="launcher"/>.</summary>
    public void Sparse<T>(
        IKernelLauncher launcher, AttentionShape shape, ArrayView<T> q, ArrayView<T> k, ArrayView<T> v, ArrayView<int> counts, ArrayView<int> lists,
        ArrayView<float> rectification, ArrayView<float> compensation, bool rectify, ArrayView<T> output)
        where T : unmanaged
    {
        if (shape.QueryBlocks == 0) return;
        if (IsNative) CpuFlashAttention.SparseAttention(shape, q, k, v, counts, lists, rectification, compensation, rectify, output);
        else if (UsesTensorCores<T>(shape)) TensorCoreFlashSteps.SparseAttention(launcher, shape, q, k, v, counts, lists, rectification, compensation, rectify, output);
        else FlashSteps.SparseAttention(launcher, shape, q, k, v, counts, lists, rectification, compensation, rectify, output);
    }
}
