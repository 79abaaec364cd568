namespace RectifiedSpaAttn.Kernels.CpuNative;

/// <summary>
/// The few float-vector operations the flash micro-kernels need, as static members of a struct so that a kernel generic
/// over <typeparamref name="TVec"/> and its operations is compiled once per vector width (the JIT specialises generics
/// over structs and inlines the calls): one kernel source serves AVX-512, AVX2, SSE/NEON and plain scalars.
/// </summary>
/// <typeparam name="TVec">The register type: <c>Vector512&lt;float&gt;</c>, <c>Vector256&lt;float&gt;</c>,
/// <c>Vector128&lt;float&gt;</c> or <see cref="float"/>.</typeparam>
internal unsafe interface ISimd<TVec> where TVec : unmanaged
{
    /// <summary>Lanes per register.</summary>
    static abstract int Width { get; }

    /// <summary>All lanes zero.</summary>
    static abstract TVec Zero { get; }

    /// <summary>All lanes <paramref name="x"/>.</summary>
    static abstract TVec Broadcast(float x);

    /// <summary>Loads <see cref="Width"/> floats (no alignment required).</summary>
    static abstract TVec Load(float* p);

    /// <summary>Stores <see cref="Width"/> floats (no alignment required).</summary>
    static abstract void Store(float* p, TVec v);

    /// <summary><c>a * b + c</c>, fused where the hardware can.</summary>
    static abstract TVec MultiplyAdd(TVec a, TVec b, TVec c);

    /// <summary>Lane-wise product.</summary>
    static abstract TVec Multiply(TVec a, TVec b);

    /// <summary>Lane-wise sum.</summary>
    static abstract TVec Add(TVec a, TVec b);

    /// <summary>Lane-wise difference.</summary>
    static abstract TVec Subtract(TVec a, TVec b);

    /// <summary>Lane-wise maximum.</summary>
    static abstract TVec Max(TVec a, TVec b);

    /// <summary>Lane-wise <c>e^x</c>; <c>e^-inf</c> is 0.</summary>
    static abstract TVec Exp(TVec x);

    /// <summary>The largest lane.</summary>
    static abstract float MaxAcross(TVec v);

    /// <summary>The sum of the lanes.</summary>
    static abstract float SumAcross(TVec v);
}
