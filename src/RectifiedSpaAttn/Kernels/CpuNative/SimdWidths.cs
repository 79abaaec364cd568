using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace RectifiedSpaAttn.Kernels.CpuNative;

/// <summary>512-bit vectors (AVX-512): 16 floats.</summary>
internal readonly unsafe struct Simd512 : ISimd<Vector512<float>>
{
    public static int Width => Vector512<float>.Count;
    public static Vector512<float> Zero => Vector512<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Broadcast(float x) => Vector512.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Load(float* p) => Vector512.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, Vector512<float> v) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.MultiplyAddEstimate(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Multiply(Vector512<float> a, Vector512<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Subtract(Vector512<float> a, Vector512<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Max(Vector512<float> a, Vector512<float> b) => Vector512.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        // See FastExp: clamp, split x = n ln2 + r, degree-6 polynomial in r, scale by 2^n through the exponent bits.
        x = Vector512.Min(Vector512.Max(x, Vector512.Create(FastExp.Low)), Vector512.Create(FastExp.High));
        Vector512<float> n = Vector512.Round(x * Vector512.Create(FastExp.Log2E));
        Vector512<float> r = Vector512.MultiplyAddEstimate(n, Vector512.Create(-FastExp.Ln2High), x);
        r = Vector512.MultiplyAddEstimate(n, Vector512.Create(-FastExp.Ln2Low), r);
        Vector512<float> p = Vector512.Create(FastExp.C6);
        p = Vector512.MultiplyAddEstimate(p, r, Vector512.Create(FastExp.C5));
        p = Vector512.MultiplyAddEstimate(p, r, Vector512.Create(FastExp.C4));
        p = Vector512.MultiplyAddEstimate(p, r, Vector512.Create(FastExp.C3));
        p = Vector512.MultiplyAddEstimate(p, r, Vector512.Create(FastExp.C2));
        p = Vector512.MultiplyAddEstimate(p, r, Vector512<float>.One);
        p = Vector512.MultiplyAddEstimate(p, r, Vector512<float>.One);
        Vector512<int> bits = Vector512.ShiftLeft(Vector512.ConvertToInt32(n) + Vector512.Create(127), 23);
        return p * bits.AsSingle();
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float MaxAcross(Vector512<float> v) => Simd256.MaxAcross(Vector256.Max(v.GetLower(), v.GetUpper()));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float SumAcross(Vector512<float> v) => Vector512.Sum(v);
}

/// <summary>256-bit vectors (AVX2): 8 floats.</summary>
internal readonly unsafe struct Simd256 : ISimd<Vector256<float>>
{
    public static int Width => Vector256<float>.Count;
    public static Vector256<float> Zero => Vector256<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Broadcast(float x) => Vector256.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Load(float* p) => Vector256.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, Vector256<float> v) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.MultiplyAddEstimate(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Multiply(Vector256<float> a, Vector256<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Subtract(Vector256<float> a, Vector256<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Max(Vector256<float> a, Vector256<float> b) => Vector256.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        // See FastExp: clamp, split x = n ln2 + r, degree-6 polynomial in r, scale by 2^n through the exponent bits.
        x = Vector256.Min(Vector256.Max(x, Vector256.Create(FastExp.Low)), Vector256.Create(FastExp.High));
        Vector256<float> n = Vector256.Round(x * Vector256.Create(FastExp.Log2E));
        Vector256<float> r = Vector256.MultiplyAddEstimate(n, Vector256.Create(-FastExp.Ln2High), x);
        r = Vector256.MultiplyAddEstimate(n, Vector256.Create(-FastExp.Ln2Low), r);
        Vector256<float> p = Vector256.Create(FastExp.C6);
        p = Vector256.MultiplyAddEstimate(p, r, Vector256.Create(FastExp.C5));
        p = Vector256.MultiplyAddEstimate(p, r, Vector256.Create(FastExp.C4));
        p = Vector256.MultiplyAddEstimate(p, r, Vector256.Create(FastExp.C3));
        p = Vector256.MultiplyAddEstimate(p, r, Vector256.Create(FastExp.C2));
        p = Vector256.MultiplyAddEstimate(p, r, Vector256<float>.One);
        p = Vector256.MultiplyAddEstimate(p, r, Vector256<float>.One);
        Vector256<int> bits = Vector256.ShiftLeft(Vector256.ConvertToInt32(n) + Vector256.Create(127), 23);
        return p * bits.AsSingle();
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float MaxAcross(Vector256<float> v) => Simd128.MaxAcross(Vector128.Max(v.GetLower(), v.GetUpper()));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float SumAcross(Vector256<float> v) => Vector256.Sum(v);
}

/// <summary>128-bit vectors (SSE on x64, NEON on arm64): 4 floats.</summary>
internal readonly unsafe struct Simd128 : ISimd<Vector128<float>>
{
    public static int Width => Vector128<float>.Count;
    public static Vector128<float> Zero => Vector128<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Broadcast(float x) => Vector128.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Load(float* p) => Vector128.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, Vector128<float> v) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> MultiplyAdd(Vector128<float> a, Vector128<float> b, Vector128<float> c) => Vector128.MultiplyAddEstimate(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Multiply(Vector128<float> a, Vector128<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Add(Vector128<float> a, Vector128<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Subtract(Vector128<float> a, Vector128<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Max(Vector128<float> a, Vector128<float> b) => Vector128.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Exp(Vector128<float> x)
    {
        // See FastExp: clamp, split x = n ln2 + r, degree-6 polynomial in r, scale by 2^n through the exponent bits.
        x = Vector128.Min(Vector128.Max(x, Vector128.Create(FastExp.Low)), Vector128.Create(FastExp.High));
        Vector128<float> n = Vector128.Round(x * Vector128.Create(FastExp.Log2E));
        Vector128<float> r = Vector128.MultiplyAddEstimate(n, Vector128.Create(-FastExp.Ln2High), x);
        r = Vector128.MultiplyAddEstimate(n, Vector128.Create(-FastExp.Ln2Low), r);
        Vector128<float> p = Vector128.Create(FastExp.C6);
        p = Vector128.MultiplyAddEstimate(p, r, Vector128.Create(FastExp.C5));
        p = Vector128.MultiplyAddEstimate(p, r, Vector128.Create(FastExp.C4));
        p = Vector128.MultiplyAddEstimate(p, r, Vector128.Create(FastExp.C3));
        p = Vector128.MultiplyAddEstimate(p, r, Vector128.Create(FastExp.C2));
        p = Vector128.MultiplyAddEstimate(p, r, Vector128<float>.One);
        p = Vector128.MultiplyAddEstimate(p, r, Vector128<float>.One);
        Vector128<int> bits = Vector128.ShiftLeft(Vector128.ConvertToInt32(n) + Vector128.Create(127), 23);
        return p * bits.AsSingle();
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float MaxAcross(Vector128<float> v) => MathF.Max(MathF.Max(v.GetElement(0), v.GetElement(1)), MathF.Max(v.GetElement(2), v.GetElement(3)));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float SumAcross(Vector128<float> v) => Vector128.Sum(v);
}

/// <summary>No vectors: one float per "register", for hardware without SIMD acceleration (and as the simplest oracle).</summary>
internal readonly unsafe struct SimdScalar : ISimd<float>
{
    public static int Width => 1;
    public static float Zero => 0f;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Broadcast(float x) => x;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Load(float* p) => *p;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, float v) => *p = v;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float MultiplyAdd(float a, float b, float c) => a * b + c;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Multiply(float a, float b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Add(float a, float b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Subtract(float a, float b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Max(float a, float b) => MathF.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Exp(float x) => MathF.Exp(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float MaxAcross(float v) => v;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float SumAcross(float v) => v;
}
