using System.Runtime.CompilerServices;
using RectifiedSpaAttn.Attention.Pipeline.FlashFamilies;
using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.Cpu;
using RectifiedSpaAttn.Compute.Cuda;
using RectifiedSpaAttn.Kernels.Attention;
using RectifiedSpaAttn.Kernels.Attention.Flash;
using RectifiedSpaAttn.Kernels.Attention.Flash.Hopper;

namespace RectifiedSpaAttn.Attention.Pipeline;

/// <summary>
/// Where the token-level attention (the heavy step) runs. The kernel families a device can run are chosen once per
/// accelerator, in preference order (<see cref="FamiliesFor"/>): on the CPU accelerator the hand-vectorised host
/// implementation (the emulated kernels keep exact GPU semantics, which makes them right for testing and slow for
/// work); on CUDA the Hopper kernels where the device loads their sm_90a module (compute capability 9.0), then the
/// Ampere tensor-core kernels; everywhere the portable kernels last. Each call goes to the first family that supports
/// its element type, head dim and block sizes. The estimation steps take their own route (<see cref="EstimationRoute"/>).
/// </summary>
internal readonly struct FlashRoute
{
    /// <summary>The families per accelerator (and whether the kernels were forced), chosen on first use.</summary>
    private static readonly ConditionalWeakTable<Accelerator, IFlashFamily[]> s_chosen = new(), s_chosenForced = new();

    private readonly Accelerator _accelerator;

    private FlashRoute(Accelerator accelerator, IFlashFamily[] families)
    {
        _accelerator = accelerator;
        Families = families;
    }

    /// <summary>The families this route may use, most preferred first; the last takes every combination a kernel is built for.</summary>
    public IReadOnlyList<IFlashFamily> Families { get; }

    /// <summary>True when the host implementation runs the attention (CPU accelerator, not forced onto the kernels).</summary>
    public bool IsNative => Families[0] is CpuNativeFlashFamily;

    /// <summary>The route for <paramref name="accelerator"/>; <paramref name="forceKernels"/> runs the emulated kernels even on the CPU.</summary>
    public static FlashRoute For(Accelerator accelerator, bool forceKernels) =>
        new(accelerator, (forceKernels ? s_chosenForced : s_chosen).GetValue(accelerator, a => FamiliesFor(a, forceKernels)));

    /// <summary>
    /// The families <paramref name="accelerator"/> runs, most preferred first: CPU (not forced): the host code; CUDA:
    /// Hopper where its sm_90a module loads, then tensor cores, then portable; anything else (OpenCL, the forced CPU):
    /// portable. The Hopper kernels' CPU emulation is for their tests, never a route.
    /// </summary>
    public static IFlashFamily[] FamiliesFor(Accelerator accelerator, bool forceKernels) => accelerator switch
    {
        CpuAccelerator when !forceKernels => [CpuNativeFlashFamily.Instance],
        CudaAccelerator cuda when HopperFlashSteps.RunsOn(cuda) =>
            [HopperFlashFamily.Instance, TensorCoreFlashFamily.Instance, PortableFlashFamily.Instance],
        CudaAccelerator => [TensorCoreFlashFamily.Instance, PortableFlashFamily.Instance],
        _ => [PortableFlashFamily.Instance],
    };

    /// <summary>The family that takes calls of this element type and shape (null when none is built for it).</summary>
    public IFlashFamily? FamilyFor<T>(AttentionShape shape) where T : unmanaged
    {
        foreach (IFlashFamily family in Families)
            if (family.Supports(typeof(T), shape.HeadDim, shape.QueryBlockSize, shape.KeyBlockSize)) return family;
        return null;
    }

    /// <summary>Throws when no flash kernel is built for this combination (the host implementation takes any).</summary>
    public void RequireSupported<T>(AttentionShape shape) where T : unmanaged
    {
        if (FamilyFor<T>(shape) is not null) return;
        throw new NotSupportedException(
            $"No attention kernel is built for {typeof(T).Name} inputs with head dim {shape.HeadDim} and {shape.QueryBlockSize}x{shape.KeyBlockSize} " +
            $"blocks, so it cannot run on {_accelerator}. Built: {FlashSteps.DescribeSupported()}. (The CPU accelerator takes any combination.)");
    }

    /// <summary>Dense attention for queries <c>[queryStart, queryStart + queryCount)</c>, enqueued on <paramref name="launcher"/>.</summary>
    public void Dense<T>(IKernelLauncher launcher, AttentionShape shape, ArrayView<T> q, ArrayView<T> k, ArrayView<T> v, ArrayView<T> output, int queryStart, int queryCount)
        where T : unmanaged
    {
        if (queryCount == 0) return;
        Require<T>(shape).Dense(launcher, shape, q, k, v, output, queryStart, queryCount);
    }

    /// <summary>Block-sparse attention over the compact lists (with the rectification when <paramref name="rectify"/>), enqueued on <paramref name="launcher"/>.</summary>
    public void Sparse<T>(
        IKernelLauncher launcher, AttentionShape shape, ArrayView<T> q, ArrayView<T> k, ArrayView<T> v, ArrayView<int> counts, ArrayView<int> lists,
        ArrayView<float> rectification, ArrayView<float> compensation, bool rectify, ArrayView<T> output)
        where T : unmanaged
    {
        if (shape.QueryBlocks == 0) return;
        Require<T>(shape).Sparse(launcher, shape, q, k, v, counts, lists, rectification, compensation, rectify, output);
    }

    private IFlashFamily Require<T>(AttentionShape shape) where T : unmanaged
    {
        RequireSupported<T>(shape);
        return FamilyFor<T>(shape)!;
    }
}
