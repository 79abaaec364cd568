namespace RectifiedSpaAttn.Compute;

/// <summary>
/// Declares that a kernel uses Hopper-only instructions (<see cref="Warpgroup"/>, <see cref="Mbarrier"/>,
/// <see cref="BulkTensor"/>, <see cref="HopperWarp"/>). The compiler then builds it for PTX target <c>sm_90a</c>
/// (ISA 8.0) instead of the portable <c>sm_80</c> module; its variants carry
/// <see cref="KernelVariant.ArchitectureRequirement"/> ("needs sm_90a (Hopper): ..."), which OpenCL and CUDA devices
/// of another compute capability report instead of running it. The CPU accelerator runs it through its emulation of
/// those instructions. Using a Hopper intrinsic in a kernel without this attribute is build error RSA0013.
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class RequiresHopperAttribute : Attribute
{
}
