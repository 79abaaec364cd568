namespace RectifiedSpaAttn.Compute;

/// <summary>
/// Math intrinsics with a fixed meaning on every backend. Kernels may also call <see cref="MathF"/> and
/// <see cref="Math"/> (Exp, Log, Sqrt, Abs, Min, Max, FusedMultiplyAdd, ...), which compile to the same
/// accurate device functions; the <c>Fast</c> members here map to the hardware approximations.
/// </summary>
public static class XMath
{
    /// <summary>2^x, hardware approximation (<c>ex2.approx.ftz.f32</c>; <c>native_exp2</c> in OpenCL; exact on the CPU).</summary>
    public static float Exp2Fast(float x) => throw new KernelOnlyException("XMath.Exp2Fast");
    /// <summary>1/sqrt(x) (<c>rsqrt.approx.f32</c>; <c>rsqrt</c> in OpenCL).</summary>
    public static float Rsqrt(float x) => throw new KernelOnlyException("XMath.Rsqrt");
    /// <summary>1/x, hardware approximation (<c>rcp.approx.f32</c>).</summary>
    public static float RcpFast(float x) => throw new KernelOnlyException("XMath.RcpFast");
}
