namespace RectifiedSpaAttn.Compute;

/// <summary>Hints to the kernel compiler. They change how code is generated, never what it computes.</summary>
public static class KernelHint
{
    /// <summary>
    /// Placed anywhere in the body of a <c>for</c> loop whose start, bound and step are constants after specialisation,
    /// asks the compiler to unroll it: the body is repeated with the counter as a constant. Loops that index a register
    /// array (<c>Span&lt;T&gt;</c> from <c>stackalloc</c>) are unrolled without being asked. On the host it does nothing.
    /// </summary>
    public static void Unroll() { }

    /// <summary>
    /// Placed in a kernel's body (once; arguments constant after specialisation), promises that the kernel is launched
    /// with at most <paramref name="maxGroupSize"/> threads per group and asks for <paramref name="minGroupsPerMultiprocessor"/>
    /// groups to fit on one multiprocessor at once. On CUDA it becomes PTX <c>.maxntid</c> and <c>.minnctapersm</c>:
    /// ptxas then caps registers per thread at what that many groups leave (64K / (groups x threads)), spilling if it
    /// must, where without it a kernel takes up to 255 registers when it finds a use for them. Every accelerator refuses
    /// a launch of more than <paramref name="maxGroupSize"/> threads per group (see <c>Accelerator.MaxGroupSizeFor</c>);
    /// the minimum is only a hint to CUDA's register allocator (0: none). On the host it does nothing.
    /// </summary>
    /// <param name="maxGroupSize">The most threads per group any launch uses (1 to 1024).</param>
    /// <param name="minGroupsPerMultiprocessor">Groups that should fit on a multiprocessor at once, or 0 for no request.</param>
    public static void LaunchBounds(int maxGroupSize, int minGroupsPerMultiprocessor) { }
}
