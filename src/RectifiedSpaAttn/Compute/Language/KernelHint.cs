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
}
